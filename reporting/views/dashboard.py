"""The home page and each role's dashboard: what the person should see first."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core import permissions
from core.models import MemberState, Role
from reporting import selectors as reporting_selectors


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "reporting/home.html",
        {
            "open_cycles": reporting_selectors.open_cycles(),
            "state_count": MemberState.objects.count(),
            "published_count": reporting_selectors.reports_visible_to(request.user)
            .published()
            .count(),
        },
    )


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    memberships = permissions.active_memberships(user)
    visible = reporting_selectors.reports_visible_to(user)
    state_ids = {m.state_id for m in memberships if m.state_id and m.role != Role.DONOR}
    return render(
        request,
        "reporting/dashboard.html",
        {
            "memberships": memberships,
            "state_reports": visible.filter(state_id__in=state_ids).order_by(
                "state__name", "-cycle__deadline"
            ),
            "official_states": [
                m.state for m in memberships if m.role in (Role.STATE_EDITOR, Role.STATE_APPROVER)
            ],
            "open_cycles": reporting_selectors.open_cycles(),
            "queue": reporting_selectors.review_queue(user)[:50],
            "is_staff_member": permissions.is_unoda_staff(user),
            "is_donor": permissions.has_role(user, Role.DONOR),
            "can_invite": permissions.is_administrator(user)
            or bool(permissions.states_for(user, Role.STATE_APPROVER)),
        },
    )
