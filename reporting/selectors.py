"""Reads of meetings, cycles and reports, scoped to who asks."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from core import permissions
from core.models import Role, User
from reporting.models import Cycle, Meeting, Report


def meetings_queryset() -> QuerySet[Meeting]:
    """Meetings and their cycles are public."""
    return Meeting.objects.select_related("cycle").order_by("-start_date")


def open_cycles() -> QuerySet[Cycle]:
    return Cycle.objects.open_on().select_related("meeting").order_by("deadline")


def reports_visible_to(user: User) -> QuerySet[Report]:
    """UNODA staff see every report; a State's officials and delegated assistants see their
    State's reports in any status; everyone sees published reports."""
    qs = Report.objects.select_related("state", "cycle__meeting")
    if permissions.is_unoda_staff(user):
        return qs
    states = permissions.states_for(user, Role.STATE_EDITOR, Role.STATE_APPROVER, Role.ASSISTANT)
    return qs.filter(Q(status=Report.Status.PUBLISHED) | Q(state__in=states))


def review_queue(user: User) -> QuerySet[Report]:
    """Submitted reports waiting for UNODA, oldest first."""
    if not permissions.is_unoda_staff(user):
        return Report.objects.none()
    return reports_visible_to(user).submitted().order_by("submitted_at")
