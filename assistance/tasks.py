"""Thin Celery tasks for assistance."""

from __future__ import annotations

from celery import shared_task

from assistance.services import record_needs_from_report
from reporting.models import Report


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def record_report_needs(report_id: int) -> int:
    """Record the needs of the report's latest published revision. Idempotent and
    independent of order: a row already recorded is never recorded twice (the database
    checks it too), and a late retry reads the latest revision, not its own."""
    report = Report.objects.select_related("state").filter(pk=report_id).first()
    revision = report and report.revisions.filter(status=Report.Status.PUBLISHED).last()
    if revision is None:
        return 0
    return len(record_needs_from_report(report, revision.answers))
