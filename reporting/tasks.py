"""Thin Celery tasks for reporting: they take ids and a language code, load, and call one
builder."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.contrib.auth.models import AnonymousUser

from core.models import User
from reporting import exports, spreadsheets
from reporting.analysis import build as analysis_build
from reporting.models import Cycle
from reporting.services import analysis, deadlines


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


# --- the analysis of national reports (meeting documents) ------------------------------------
# Heavy tasks go to the documents queue, whose workers recycle their process after each task
# (WeasyPrint keeps memory until the process ends). acks_late and reject_on_worker_lost: a
# task whose worker dies is delivered again; the build steps are idempotent.
DOCUMENT_TASK = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (Exception,),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "max_retries": analysis_build.MAX_ATTEMPTS,
}


@shared_task(**DOCUMENT_TASK)
def build_analysis_edition(edition_id: int) -> int:
    """Plan the edition's chunks and queue every one not yet rendered."""
    chunk_ids = analysis_build.start(edition_id)
    for chunk_id in chunk_ids:
        render_analysis_chunk.delay(chunk_id)
    return len(chunk_ids)


@shared_task(**DOCUMENT_TASK)
def render_analysis_chunk(chunk_id: int) -> bool:
    return analysis_build.render_chunk(chunk_id, on_assembly=assemble_analysis_edition.delay)


@shared_task(**DOCUMENT_TASK)
def assemble_analysis_edition(edition_id: int) -> bool:
    return analysis_build.assemble(edition_id)


STALLED_AFTER = datetime.timedelta(minutes=10)


@shared_task
def resume_stalled_editions() -> int:
    """Every few minutes: queue again the build steps that should have finished (a worker
    was killed, the broker lost a message)."""
    tasks = {
        "build": build_analysis_edition,
        "chunk": render_analysis_chunk,
        "assemble": assemble_analysis_edition,
    }
    queued = 0
    for kind, pk in analysis_build.stalled(older_than=STALLED_AFTER):
        tasks[kind].delay(pk)
        queued += 1
    return queued


@shared_task
def build_automatic_editions() -> int:
    """Daily: the editions due before each meeting and after each cycle's deadline."""
    return len(analysis.schedule_automatic_editions())
