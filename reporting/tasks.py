"""Thin Celery tasks for reporting: they take ids and a language code, load, and call one
builder."""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth.models import AnonymousUser

from core.models import User
from reporting import exports, spreadsheets
from reporting.models import Cycle
from reporting.services import deadlines


@shared_task
def build_cycle_export(cycle_id: int, fmt: str, language: str, user_id: int | None) -> str | None:
    """Build a cycle's CSV or XLSX file for the audience of `user_id` (None: the public) into
    the default storage (`exports.export_name`). Idempotent: a second run replaces the file.
    The audience is decided when the task runs, so a role revoked meanwhile narrows it."""
    cycle = Cycle.objects.select_related("meeting", "questionnaire").filter(pk=cycle_id).first()
    if cycle is None:
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    return exports.store_cycle_export(
        cycle, fmt=fmt, language=language, user=user or AnonymousUser()
    )


@shared_task
def send_deadline_reminders() -> int:
    """Daily: remind States without a submitted report (each reminder goes once)."""
    return deadlines.send_deadline_reminders()


@shared_task
def delete_stale_workbook_uploads() -> int:
    """Hourly: uploaded workbooks whose changes were never confirmed."""
    return spreadsheets.delete_stale_uploads()
