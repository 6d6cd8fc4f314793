"""Backup and restore (docs/DEPLOYMENT.md): scripts/backup then scripts/restore into a new
database and a new data folder preserve reports, revisions, answers, attachments' bytes and
the audit log, whose append-only trigger comes back with it."""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from core.models import AuditEntry, MemberState
from reporting import services
from reporting.models import Attachment, Report, ReportRevision
from tests.conftest import open_cycle_for, publish

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.postgres
QUESTIONNAIRE = {
    "code": "backup",
    "title": {"en": "Backup"},
    "sections": [
        {
            "key": "general",
            "number": "1",
            "title": {"en": "General"},
            "questions": [
                {"key": "body", "number": "1.1", "type": "short_text", "text": {"en": "Body"}},
                {
                    "key": "plan",
                    "number": "1.2",
                    "type": "file",
                    "text": {"en": "Plan"},
                    "config": {"accept": ["pdf"]},
                },
            ],
        }
    ],
}
#: Compared row by row between the original and the restored database.
TABLES = [
    "reporting_report",
    "reporting_reportrevision",
    "reporting_answer",
    "reporting_attachment",
    "core_auditentry",
]


def database_url(name: str) -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{db['USER']}{password}@{host}:{db['PORT'] or 5432}/{name}"


def rows(cursor, table: str) -> list[tuple]:
    cursor.execute(f"SELECT * FROM {table} ORDER BY id")  # noqa: S608 (our own table names)
    return cursor.fetchall()


def row_counts(cursor) -> dict[str, int]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    counts = {}
    for (table,) in cursor.fetchall():
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608
        counts[table] = cursor.fetchone()[0]
    return counts


@pytest.fixture
def empty_database():
    """A new, empty database on the same server, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restore"
    admin = psycopg2.connect(database_url("postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(name)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def script(name: str, *args: str, **env: str) -> None:
    result = subprocess.run(
        [str(ROOT / "scripts" / name), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# pg_dump reads from its own connection: the data must be committed.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_backup_then_restore_preserves_reports_revisions_files_and_audit_log(
    editor, approver, reviewer, settings, tmp_path, empty_database
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL")
    settings.MEDIA_ROOT = tmp_path / "data" / "media"
    report = services.create_report(
        state=MemberState.objects.get(iso3="FRA"),
        cycle=open_cycle_for(publish(QUESTIONNAIRE), number=43),
        by=editor,
        language="fr",
    )
    services.save_answers(
        report, by=editor, changes=[services.AnswerChange("body", "Commission nationale", 0)]
    )
    uploads = {}
    for name in ("plan.pdf", "annexe.pdf"):
        content = b"%PDF-1.4\n%" + os.urandom(2048) + b"\n%%EOF\n"
        upload = SimpleUploadedFile(name, content, content_type="application/pdf")
        attachment, _result = services.upload_attachment(
            Report.objects.get(pk=report.pk), question_key="plan", upload=upload, by=editor
        )
        uploads[attachment.token] = content
    services.submit_report(
        Report.objects.get(pk=report.pk), by=approver, visibility="public", mfa_verified=True
    )
    services.publish_report(Report.objects.get(pk=report.pk), by=reviewer)
    assert ReportRevision.objects.filter(report=report).count() >= 2
    assert AuditEntry.objects.count() >= 6

    backup, restored = tmp_path / "backup", tmp_path / "restored"
    original_url = database_url(connection.settings_dict["NAME"])
    script("backup", str(backup), DATABASE_URL=original_url, DATA_DIR=str(tmp_path / "data"))
    assert {p.name for p in backup.iterdir()} == {"database.dump", "media.tar.gz", "SHA256SUMS"}
    script("restore", str(backup), DATABASE_URL=empty_database, DATA_DIR=str(restored))

    with contextlib.closing(psycopg2.connect(original_url)) as db, db.cursor() as cursor:
        before = {table: rows(cursor, table) for table in TABLES}
        counts = row_counts(cursor)
    with contextlib.closing(psycopg2.connect(empty_database)) as db, db.cursor() as cursor:
        after = {table: rows(cursor, table) for table in TABLES}
        assert row_counts(cursor) == counts  # every table, django_migrations included
        # The append-only trigger came back with the audit log.
        with pytest.raises(psycopg2.DatabaseError, match="append-only"):
            cursor.execute("UPDATE core_auditentry SET action = 'forged'")
    for table in TABLES:
        assert after[table] == before[table], table
    assert len(after["reporting_attachment"]) == 2
    for attachment in Attachment.objects.filter(report=report):
        content = (restored / "media" / attachment.file.name).read_bytes()
        assert content == uploads[attachment.token]
        assert hashlib.sha256(content).hexdigest() == attachment.sha256

    # The application runs on the restored database: no migration is missing.
    check = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--check"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": empty_database, "TESTING": "true"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.django_db
def test_restore_refuses_a_database_that_is_not_empty(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL")
    url = database_url(connection.settings_dict["NAME"])
    script("backup", str(tmp_path / "backup"), DATABASE_URL=url, DATA_DIR=str(tmp_path))
    result = subprocess.run(
        [str(ROOT / "scripts" / "restore"), str(tmp_path / "backup")],
        env={**os.environ, "DATABASE_URL": url, "DATA_DIR": str(tmp_path / "other")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "restore into an empty one" in result.stderr
