"""Revoking a role takes effect on the next request; delegated access expires by itself."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry, Membership, Role
from tests.factories import member

pytestmark = pytest.mark.django_db


def test_revoked_editor_loses_access_on_next_request(client_for, approver, editor):
    editor_client = client_for(editor)
    assert b"France" in editor_client.get(reverse("dashboard")).content
    membership = editor.memberships.get()
    response = client_for(approver).post(reverse("core:membership-revoke", args=[membership.pk]))
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.revoked_at is not None
    assert membership.revoked_by == approver
    # Same session, next request: the role is gone.
    page = editor_client.get(reverse("dashboard")).content
    assert b"You hold no role yet" in page
    entry = AuditEntry.objects.get(action="core.membership.revoked")
    assert entry.actor == approver
    assert entry.state.iso3 == "FRA"


def test_outsider_cannot_revoke_and_sees_404(client_for, outsider, editor):
    membership = editor.memberships.get()
    response = client_for(outsider).post(reverse("core:membership-revoke", args=[membership.pk]))
    assert response.status_code == 404
    membership.refresh_from_db()
    assert membership.revoked_at is None


def test_editor_cannot_revoke_a_colleague(client_for, editor, db):
    colleague = member(Role.STATE_EDITOR, state="FRA")
    membership = colleague.memberships.get()
    response = client_for(editor).post(reverse("core:membership-revoke", args=[membership.pk]))
    assert response.status_code == 404
    membership.refresh_from_db()
    assert membership.revoked_at is None


def test_revoke_is_post_only(client_for, approver, editor):
    membership = editor.memberships.get()
    response = client_for(approver).get(reverse("core:membership-revoke", args=[membership.pk]))
    assert response.status_code == 405


def test_approver_sees_only_own_state_people(client_for, approver, editor, outsider):
    page = client_for(approver).get(reverse("core:people")).content.decode()
    assert editor.email in page
    assert outsider.email not in page


def test_expired_delegated_assistant_has_no_access(client_for, db):
    assistant = member(
        Role.ASSISTANT,
        state="FRA",
        organisation="UNODC",
        expires_at=timezone.now() + timedelta(days=1),
    )
    client = client_for(assistant)
    assert b"Delegated assistant" in client.get(reverse("dashboard")).content
    Membership.objects.filter(user=assistant).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert b"You hold no role yet" in client.get(reverse("dashboard")).content


def test_database_refuses_a_state_role_without_a_state(db):
    from django.db import IntegrityError

    user = member(Role.DONOR, organisation="EU")
    with pytest.raises(IntegrityError):
        Membership.objects.create(user=user, role=Role.STATE_EDITOR)
