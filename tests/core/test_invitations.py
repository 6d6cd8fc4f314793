"""Invitations: sent by the right people, accepted once, expired, reused, wrong person."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry, Invitation, Membership, Role, User
from core.services import invite_person
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def invite(by, **fields):
    fields.setdefault("email", "new.person@example.org")
    fields.setdefault("role", Role.STATE_EDITOR)
    with_state = fields.pop("state", None)
    from core.models import MemberState

    state = MemberState.objects.get(iso3=with_state) if with_state else None
    return invite_person(by=by, state=state, **fields)


def path_of(link: str) -> str:
    return urlsplit(link).path


def test_approver_invites_an_editor_for_their_state(
    client_for, approver, django_capture_on_commit_callbacks
):
    client = client_for(approver)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("core:invitation-create"),
            {
                "email": "Colleague@Example.org",
                "role": Role.STATE_EDITOR,
                "state": approver.memberships.get().state_id,
                "language": "fr",
            },
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "colleague@example.org"
    assert invitation.state.iso3 == "FRA"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["colleague@example.org"]
    assert "/invitations/" in message.body
    assert "Invitation" in message.subject or "invitation" in message.subject.lower()
    assert AuditEntry.objects.filter(action="core.invitation.sent").count() == 1


def test_invitation_email_is_in_the_recipients_language(
    approver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(approver, state="FRA", language="fr")
    assert "Invitation" in mail.outbox[0].subject
    assert "invite" in mail.outbox[0].body  # French: « … vous invite … »


def test_approver_cannot_invite_for_another_state_or_an_approver(client_for, approver):
    client = client_for(approver)
    from core.models import MemberState

    ken = MemberState.objects.get(iso3="KEN")
    response = client.post(
        reverse("core:invitation-create"),
        {
            "email": "x@example.org",
            "role": Role.STATE_EDITOR,
            "state": ken.pk,
            "language": "en",
        },
    )
    assert response.status_code == 200  # form error: the State is not among the choices
    response = client.post(
        reverse("core:invitation-create"),
        {
            "email": "x@example.org",
            "role": Role.STATE_APPROVER,
            "state": approver.memberships.get().state_id,
            "language": "en",
        },
    )
    assert response.status_code == 200
    assert not Invitation.objects.exists()


def test_editor_and_outsider_cannot_invite(client_for, editor, outsider):
    for user in (editor, outsider):
        assert (
            client_for(user)
            .post(
                reverse("core:invitation-create"),
                {
                    "email": "x@example.org",
                    "role": Role.STATE_EDITOR,
                    "language": "en",
                },
            )
            .status_code
            == 403
        )
    assert not Invitation.objects.exists()
    assert AuditEntry.objects.filter(action="core.permission.denied").count() == 2


def test_new_person_accepts_invitation_and_gets_the_role(anonymous, approver):
    invitation, link = invite(approver, state="FRA")
    url = path_of(link)
    assert anonymous.get(url).status_code == 200
    response = anonymous.post(
        url,
        {
            "username": "newcomer",
            "first_name": "Nadia",
            "last_name": "Roux",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="newcomer")
    assert user.email == "new.person@example.org"
    membership = Membership.objects.get(user=user)
    assert (membership.role, membership.state.iso3) == (Role.STATE_EDITOR, "FRA")
    assert user.emailaddress_set.get().verified
    assert anonymous.get(reverse("dashboard")).status_code == 200
    assert AuditEntry.objects.filter(action="core.invitation.accepted").exists()


def test_invitation_link_cannot_be_reused(anonymous, approver):
    invitation, link = invite(approver, state="FRA")
    url = path_of(link)
    anonymous.post(
        url,
        {
            "username": "newcomer",
            "first_name": "N",
            "last_name": "R",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    again = type(anonymous)()
    response = again.get(url)
    assert response.status_code == 410
    assert b"already been used" in response.content
    response = again.post(
        url,
        {
            "username": "second",
            "first_name": "N",
            "last_name": "R",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 410
    assert not User.objects.filter(username="second").exists()


def test_expired_invitation_is_refused(anonymous, approver):
    invitation, link = invite(approver, state="FRA")
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    response = anonymous.post(
        path_of(link),
        {
            "username": "late",
            "first_name": "L",
            "last_name": "T",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 410
    assert b"expired" in response.content
    assert not User.objects.filter(username="late").exists()


def test_unknown_invitation_token_is_404(anonymous, db):
    assert anonymous.get("/invitations/not-a-real-token/").status_code == 404


def test_weak_password_is_refused_with_a_clear_error(anonymous, approver):
    _invitation, link = invite(approver, state="FRA")
    response = anonymous.post(
        path_of(link),
        {
            "username": "weak",
            "first_name": "W",
            "last_name": "P",
            "password1": "12345678",
            "password2": "12345678",
        },
    )
    assert response.status_code == 200
    assert b"too short" in response.content or b"too common" in response.content
    assert not User.objects.filter(username="weak").exists()


def test_existing_user_accepts_while_logged_in(client_for, approver):
    person = UserFactory(email="new.person@example.org")
    _invitation, link = invite(approver, state="FRA")
    client = client_for(person)
    assert client.post(path_of(link)).status_code == 302
    assert Membership.objects.filter(user=person, role=Role.STATE_EDITOR).exists()


def test_invitation_for_someone_else_is_refused(client_for, approver):
    other = UserFactory(email="other@example.org")
    _invitation, link = invite(approver, state="FRA")
    response = client_for(other).post(path_of(link), follow=True)
    assert b"another e-mail address" in response.content
    assert not Membership.objects.filter(user=other).exists()


def test_delegated_assistant_needs_an_organisation_and_an_end_date(approver):
    from core.errors import WorkflowError
    from core.models import Organisation

    with pytest.raises(WorkflowError):
        invite(
            approver,
            state="FRA",
            role=Role.ASSISTANT,
            organisation=Organisation.objects.get(acronym="UNODC"),
        )
    invitation, _link = invite(
        approver,
        state="FRA",
        role=Role.ASSISTANT,
        organisation=Organisation.objects.get(acronym="UNODC"),
        access_until=timezone.now() + timedelta(days=30),
    )
    assert invitation.access_until is not None


def test_administrator_invites_a_reviewer(client_for, administrator):
    response = client_for(administrator).post(
        reverse("core:invitation-create"),
        {
            "email": "reviewer2@un.org",
            "role": Role.REVIEWER,
            "language": "en",
        },
    )
    assert response.status_code == 302
    assert Invitation.objects.get().role == Role.REVIEWER
