"""Uploads kept between the preview and the confirmation."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import WorkflowError
from core.models import User
from reporting.models import Report
from reporting.spreadsheets.common import UPLOAD_FOLDER, UPLOAD_MAX_AGE, UPLOAD_SALT

# --- Uploads kept between the preview and the confirmation -----------------------------------


def keep_upload(report: Report, user: User, data: bytes) -> str:
    """Store an upload until it is confirmed, under `workbooks/<report>/<random>.xlsx` in
    the default storage; returns a signed token naming it, for the confirmation form."""
    name = default_storage.save(
        f"{UPLOAD_FOLDER}/{report.pk}/{secrets.token_hex(16)}.xlsx", ContentFile(data)
    )
    return signing.dumps({"report": report.pk, "user": user.pk, "name": name}, salt=UPLOAD_SALT)


def take_upload(report: Report, user: User, token: str) -> bytes:
    """The upload a token names, if it was kept for this report and person less than
    UPLOAD_MAX_AGE seconds ago; the stored file is deleted."""
    try:
        kept = signing.loads(token, salt=UPLOAD_SALT, max_age=UPLOAD_MAX_AGE)
    except signing.BadSignature:
        kept = None
    name = kept.get("name", "") if isinstance(kept, dict) else ""
    valid = (
        isinstance(kept, dict)
        and kept.get("report") == report.pk
        and kept.get("user") == user.pk
        and name.startswith(f"{UPLOAD_FOLDER}/{report.pk}/")
    )
    if not valid or not default_storage.exists(name):
        raise WorkflowError(
            _("The uploaded workbook has expired. Upload it again."), code="expired"
        )
    try:
        with default_storage.open(name, "rb") as stored:
            return stored.read()
    finally:
        default_storage.delete(name)


def delete_stale_uploads(*, older_than: timedelta | None = None) -> int:
    """Delete kept uploads that were never confirmed (older than UPLOAD_MAX_AGE by
    default); returns how many. Meant for a periodic task."""
    limit = timezone.now() - (older_than or timedelta(seconds=UPLOAD_MAX_AGE))
    deleted = 0
    try:
        folders, _files = default_storage.listdir(UPLOAD_FOLDER)
    except FileNotFoundError:
        return 0
    for folder in folders:
        for file in default_storage.listdir(f"{UPLOAD_FOLDER}/{folder}")[1]:
            name = f"{UPLOAD_FOLDER}/{folder}/{file}"
            if default_storage.get_modified_time(name) < limit:
                default_storage.delete(name)
                deleted += 1
    return deleted
