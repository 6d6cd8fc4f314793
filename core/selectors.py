"""Reads of shared data that depend on who asks."""

from __future__ import annotations

from django.db.models import QuerySet

from core import permissions
from core.models import AuditEntry, Membership, MemberState, Organisation, User


def states_queryset() -> QuerySet[MemberState]:
    """All States: public data."""
    return MemberState.objects.order_by("name")


def organisations_visible_to(user: User) -> QuerySet[Organisation]:
    qs = Organisation.objects.order_by("acronym")
    return qs if permissions.can_manage_organisations(user) else qs.filter(is_active=True)


def memberships_manageable_by(user: User) -> QuerySet[Membership]:
    """Memberships the user may see on the people page: all for administrators, their own
    State's editors and assistants for an approver, none otherwise."""
    qs = Membership.objects.select_related("user", "state", "organisation", "granted_by")
    if permissions.is_administrator(user):
        return qs
    states = permissions.states_for(user, "state_approver")
    if not states:
        return qs.none()
    return qs.filter(state__in=states)


def audit_entries_visible_to(user: User) -> QuerySet[AuditEntry]:
    if not permissions.can_view_audit_log(user):
        return AuditEntry.objects.none()
    return AuditEntry.objects.select_related("actor", "state")


def users_with_role(*roles: str, state: MemberState | None = None) -> QuerySet[User]:
    """Active people holding one of `roles` now (for `state`, when given): who to notify."""
    memberships = Membership.objects.active().filter(role__in=roles)
    if state is not None:
        memberships = memberships.filter(state=state)
    return User.objects.filter(is_active=True, memberships__in=memberships).distinct()
