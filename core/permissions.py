"""Who may do what. Pure functions of (user, object), used by views and the API alike."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from core.models import (
    MFA_ROLES,
    STATE_ROLES,
    UNODA_ROLES,
    Membership,
    MemberState,
    Organisation,
    Role,
    User,
)

AnyUser = User | AnonymousUser


def active_memberships(user: AnyUser) -> list[Membership]:
    """The user's live memberships, loaded once per request object (so a revocation
    takes effect on the next request)."""
    if not user.is_authenticated or not user.is_active:
        return []
    cached = getattr(user, "_active_memberships", None)
    if cached is None:
        cached = list(
            Membership.objects.active(timezone.now())
            .filter(user=user)
            .select_related("state", "organisation")
        )
        user._active_memberships = cached
    return cached


def has_role(user: AnyUser, *roles: Role) -> bool:
    return any(m.role in roles for m in active_memberships(user))


def is_unoda_staff(user: AnyUser) -> bool:
    """UNODA reviewers and administrators (and superusers) see every State's reports."""
    return user.is_authenticated and (user.is_superuser or has_role(user, *UNODA_ROLES))


def is_administrator(user: AnyUser) -> bool:
    return user.is_authenticated and (user.is_superuser or has_role(user, Role.ADMINISTRATOR))


def requires_mfa(user: AnyUser) -> bool:
    """Approvers, UNODA staff and superusers must have a second factor."""
    return user.is_authenticated and (user.is_superuser or has_role(user, *MFA_ROLES))


def states_for(user: AnyUser, *roles: Role) -> list[MemberState]:
    """The States for which the user holds one of `roles` (default: editor or approver)."""
    roles = roles or STATE_ROLES
    return [m.state for m in active_memberships(user) if m.role in roles and m.state]


def organisations_for(user: AnyUser) -> list[Organisation]:
    return [m.organisation for m in active_memberships(user) if m.organisation]


def is_state_official(user: AnyUser, state: MemberState | None = None) -> bool:
    """An editor or approver (of `state`, when given)."""
    states = states_for(user)
    return bool(states) if state is None else state in states


def can_invite(user: AnyUser, role: str, state: MemberState | None = None) -> bool:
    """Administrators invite to any role; a State's approver invites editors and delegated
    assistants for their own State only."""
    if is_administrator(user):
        return True
    if role in (Role.STATE_EDITOR, Role.ASSISTANT) and state is not None:
        return state in states_for(user, Role.STATE_APPROVER)
    return False


def can_revoke_membership(user: AnyUser, membership: Membership) -> bool:
    if membership.user_id == getattr(user, "pk", None) and membership.role == Role.ADMINISTRATOR:
        return False  # an administrator cannot lock themselves out
    return can_invite(user, membership.role, membership.state)


def can_view_audit_log(user: AnyUser) -> bool:
    return is_unoda_staff(user)


def can_manage_organisations(user: AnyUser) -> bool:
    return is_administrator(user)
