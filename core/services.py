"""State changes on shared objects: invitations, memberships, API tokens, organisations.

Each function runs in a transaction, re-checks its preconditions, writes one audit entry
and returns the changed object.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit, permissions
from core.emails import render_subject, send_templated_mail
from core.errors import WorkflowError
from core.models import (
    ApiToken,
    Invitation,
    Membership,
    MemberState,
    Notification,
    Organisation,
    Role,
    User,
    hash_secret,
)


def _check_scope(
    role: str,
    state: MemberState | None,
    organisation: Organisation | None,
    access_until: datetime | None,
) -> None:
    needs_state = role in (Role.STATE_EDITOR, Role.STATE_APPROVER, Role.ASSISTANT)
    if needs_state and state is None:
        raise WorkflowError(_("Choose the State for this role."))
    if role in (Role.REVIEWER, Role.ADMINISTRATOR) and (state or organisation):
        raise WorkflowError(_("UNODA roles are not tied to a State or an organisation."))
    if role in (Role.STATE_EDITOR, Role.STATE_APPROVER) and organisation:
        raise WorkflowError(_("State roles are not tied to an organisation."))
    if role == Role.DONOR and bool(state) == bool(organisation):
        raise WorkflowError(_("A donor acts for either one State or one organisation."))
    if role == Role.ASSISTANT:
        if organisation is None:
            raise WorkflowError(_("A delegated assistant must belong to an organisation."))
        if access_until is None or access_until <= timezone.now():
            raise WorkflowError(_("Give a date in the future until which access is granted."))


@transaction.atomic
def grant_membership(
    *,
    user: User,
    role: str,
    by: User | None,
    state: MemberState | None = None,
    organisation: Organisation | None = None,
    expires_at: datetime | None = None,
) -> Membership:
    """Give `user` a role, unless they already hold the same live one."""
    _check_scope(role, state, organisation, expires_at)
    existing = (
        Membership.objects.active()
        .filter(user=user, role=role, state=state, organisation=organisation)
        .first()
    )
    if existing:
        return existing
    membership = Membership.objects.create(
        user=user,
        role=role,
        state=state,
        organisation=organisation,
        expires_at=expires_at,
        granted_by=by,
    )
    audit.record(
        "core.membership.granted",
        actor=by,
        obj=membership,
        state=state,
        data={"user": user.username, "role": role},
    )
    return membership


@transaction.atomic
def revoke_membership(*, membership: Membership, by: User) -> Membership:
    """End a membership now; the person loses the role on their next request."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if not permissions.can_revoke_membership(by, membership):
        raise WorkflowError(_("You may not revoke this role."), code="forbidden")
    if membership.revoked_at is not None:
        raise WorkflowError(_("This role has already been revoked."))
    membership.revoked_at = timezone.now()
    membership.revoked_by = by
    membership.save(update_fields=["revoked_at", "revoked_by"])
    audit.record(
        "core.membership.revoked",
        actor=by,
        obj=membership,
        state=membership.state,
        data={"user": membership.user.username, "role": membership.role},
    )
    return membership


@transaction.atomic
def invite_person(
    *,
    by: User,
    email: str,
    role: str,
    state: MemberState | None = None,
    organisation: Organisation | None = None,
    access_until: datetime | None = None,
    language: str = "en",
) -> tuple[Invitation, str]:
    """Create a one-time invitation and e-mail its link. Returns it with the link."""
    if not permissions.can_invite(by, role, state):
        raise WorkflowError(_("You may not invite people to this role."), code="forbidden")
    _check_scope(role, state, organisation, access_until)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        email=email.strip().lower(),
        role=role,
        state=state,
        organisation=organisation,
        access_until=access_until,
        language=language,
        token_hash=hash_secret(token),
        invited_by=by,
        expires_at=timezone.now() + timedelta(days=settings.INVITATION_LIFETIME_DAYS),
    )
    link = settings.SITE_URL + reverse("core:invitation-accept", args=[token])
    send_templated_mail(
        template="invitation",
        to=invitation.email,
        language=language,
        context={"invitation": invitation, "link": link, "inviter": by},
    )
    audit.record(
        "core.invitation.sent",
        actor=by,
        obj=invitation,
        state=state,
        data={"email": invitation.email, "role": role},
    )
    return invitation, link


def find_invitation(token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("state", "organisation", "invited_by")
        .filter(token_hash=hash_secret(token))
        .first()
    )


@transaction.atomic
def accept_invitation(
    *, invitation: Invitation, user: User, request: HttpRequest | None = None
) -> Membership:
    """Use an invitation once: grant its role to `user` and mark their e-mail verified."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise WorkflowError(_("This invitation has already been used."), code="used")
    if invitation.cancelled_at is not None or invitation.expires_at <= timezone.now():
        raise WorkflowError(
            _("This invitation has expired. Ask the person who invited you for a new one."),
            code="expired",
        )
    if user.email.lower() != invitation.email:
        raise WorkflowError(
            _("This invitation was sent to another e-mail address."), code="wrong_user"
        )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    _mark_email_verified(user)
    membership = grant_membership(
        user=user,
        role=invitation.role,
        by=invitation.invited_by,
        state=invitation.state,
        organisation=invitation.organisation,
        expires_at=invitation.access_until,
    )
    audit.record(
        "core.invitation.accepted",
        actor=user,
        obj=invitation,
        state=invitation.state,
        request=request,
    )
    return membership


def _mark_email_verified(user: User) -> None:
    from allauth.account.models import EmailAddress

    address, _created = EmailAddress.objects.get_or_create(
        user=user,
        email__iexact=user.email,
        defaults={"email": user.email, "primary": True, "verified": True},
    )
    if not address.verified:
        address.verified = True
        address.save(update_fields=["verified"])


@transaction.atomic
def create_user_from_invitation(
    *, invitation: Invitation, username: str, password: str, first_name: str, last_name: str
) -> User:
    """A person without an account sets a name and password through their invitation."""
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise WorkflowError(_("An account with this e-mail address exists: log in first."))
    user = User.objects.create_user(
        username=username,
        email=invitation.email,
        password=password,
        first_name=first_name,
        last_name=last_name,
        language=invitation.language,
    )
    audit.record("core.user.created", actor=user, obj=user, data={"via": "invitation"})
    return user


@transaction.atomic
def create_api_token(
    *, user: User, name: str, expires_at: datetime | None = None, request: HttpRequest | None = None
) -> tuple[ApiToken, str]:
    """Create a personal API token; the secret is returned once and never stored."""
    if not name.strip():
        raise WorkflowError(_("Give the token a name."))
    if expires_at is not None and expires_at <= timezone.now():
        raise WorkflowError(_("The expiry date must be in the future."))
    secret = "poa_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100],
        prefix=secret[:12],
        key_hash=hash_secret(secret),
        expires_at=expires_at,
    )
    audit.record("core.api_token.created", actor=user, obj=token, request=request)
    return token, secret


@transaction.atomic
def revoke_api_token(*, token: ApiToken, by: User) -> ApiToken:
    if token.user_id != by.pk and not permissions.is_administrator(by):
        raise WorkflowError(_("You may not revoke this token."), code="forbidden")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record("core.api_token.revoked", actor=by, obj=token)
    return token


@transaction.atomic
def save_organisation(*, organisation: Organisation, by: User) -> Organisation:
    """Create or update an organisation (from a validated form instance)."""
    if not permissions.can_manage_organisations(by):
        raise WorkflowError(_("You may not manage organisations."), code="forbidden")
    created = organisation.pk is None
    organisation.save()
    audit.record(
        "core.organisation.created" if created else "core.organisation.updated",
        actor=by,
        obj=organisation,
    )
    return organisation


@transaction.atomic
def update_profile(*, user: User, first_name: str, last_name: str, language: str) -> User:
    user.first_name, user.last_name, user.language = first_name, last_name, language
    user.save(update_fields=["first_name", "last_name", "language"])
    audit.record("core.user.updated", actor=user, obj=user, data={"language": language})
    return user


def account_exists(email: str) -> bool:
    return User.objects.filter(email__iexact=email).exists()


def notify(*, user: User, message: str, url: str = "") -> Notification:
    """Leave a message in the person's notifications (already in their language)."""
    return Notification.objects.create(user=user, message=message[:500], url=url[:300])


def tell(people: Iterable[User], *, template: str, path: str, context: dict[str, Any]) -> None:
    """Tell each person in their own language: a notification whose text is the e-mail's
    subject, and the e-mail (sent once the transaction commits). The templates get `link`,
    the absolute address of `path`."""
    context = {**context, "link": settings.SITE_URL + path}
    for person in people:
        notify(user=person, url=path, message=render_subject(template, person.language, context))
        if person.email:
            send_templated_mail(
                template=template, to=person.email, language=person.language, context=context
            )


@transaction.atomic
def mark_notifications_read(*, user: User) -> int:
    return Notification.objects.unread().filter(user=user).update(read_at=timezone.now())
