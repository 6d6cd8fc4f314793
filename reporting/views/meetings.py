"""Meetings and reporting cycles pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.errors import WorkflowError
from core.permissions import is_unoda_staff
from core.views import deny
from reporting import selectors, services
from reporting.forms import MeetingForm
from reporting.permissions import can_manage_meetings


@require_GET
def meeting_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "reporting/meetings.html",
        {
            "meetings": selectors.meetings_queryset(),
            "can_manage": can_manage_meetings(request.user),
            "can_review": is_unoda_staff(request.user),
        },
    )


@login_required
def meeting_create(request: HttpRequest) -> HttpResponse:
    if not can_manage_meetings(request.user):
        raise deny(request, "cannot manage meetings")
    form = MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.create_meeting(by=request.user, **form.cleaned_data)
        except WorkflowError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("%(meeting)s was created.") % {"meeting": meeting})
            return redirect("reporting:meeting-list")
    return render(request, "reporting/meeting_form.html", {"form": form})
