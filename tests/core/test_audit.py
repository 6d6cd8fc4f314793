"""The audit log is append-only, and staff can browse and filter it."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from core import audit
from core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_entries_cannot_be_changed_or_deleted_through_the_orm(editor):
    entry = audit.record("core.test.done", actor=editor, data={"a": 1})
    entry.action = "core.test.forged"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="x")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "core.test.done"


@pytest.mark.postgres
def test_postgresql_refuses_update_and_delete_in_sql(editor):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL")
    entry = audit.record("core.test.done", actor=editor)
    for sql in (
        "UPDATE core_auditentry SET action = 'forged' WHERE id = %s",
        "DELETE FROM core_auditentry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).action == "core.test.done"


def test_reviewer_filters_the_audit_log(client_for, reviewer, editor):
    audit.record("core.test.first", actor=editor)
    audit.record("reporting.test.second", actor=reviewer)
    client = client_for(reviewer)
    page = client.get(reverse("core:audit-log"), {"action": "core.test"}).content.decode()
    assert "core.test.first" in page
    assert "reporting.test.second" not in page
    page = client.get(reverse("core:audit-log"), {"actor": "reviewer"}).content.decode()
    assert "reporting.test.second" in page
    assert "core.test.first" not in page


def test_state_officials_cannot_read_the_audit_log(client_for, editor, approver):
    for user in (editor, approver):
        assert client_for(user).get(reverse("core:audit-log")).status_code == 403
    denial = AuditEntry.objects.filter(action="core.permission.denied").first()
    assert denial.data["path"] == reverse("core:audit-log")


def test_audit_log_query_count_does_not_grow_with_entries(
    client_for, reviewer, editor, django_assert_max_num_queries
):
    client = client_for(reviewer)
    for i in range(10):
        audit.record(f"core.test.n{i}", actor=editor)
    with django_assert_max_num_queries(12) as small:
        client.get(reverse("core:audit-log"))
    for i in range(40):
        audit.record(f"core.test.m{i}", actor=editor)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("core:audit-log"))
