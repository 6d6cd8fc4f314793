"""Help with a national report: the State asks, an organisation accepts, the State's
approver grants and revokes time-limited access to the draft."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from assistance import help
from assistance.forms_help import AcceptHelpForm, GrantAccessForm, HelpRequestForm
from assistance.models import HelpRequest
from assistance.permissions import (
    OFFICIAL_ROLES,
    can_accept_help_request,
    can_ask_for_help,
    can_grant_delegated_access,
)
from core.errors import WorkflowError
from core.permissions import is_unoda_staff, organisations_for, states_for
from core.views import deny, get_visible_or_404
from reporting.selectors import reports_visible_to


def get_help_request_for_user(request: HttpRequest, pk: int, *, action: str = "view"):
    """404 when the user may not see the request (another State's officials included);
    403 when they see it but may not do `action`."""
    help_request = get_visible_or_404(request, help.help_requests_visible_to(request.user), pk=pk)
    allowed = {
        "view": lambda user, hr: True,
        "accept": can_accept_help_request,
        "grant": can_grant_delegated_access,
        "close": help.is_state_side,
    }[action](request.user, help_request)
    if not allowed:
        raise deny(request, f"cannot {action} help request")
    return help_request


@login_required
@require_GET
def help_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not (states_for(user, *OFFICIAL_ROLES) or organisations_for(user) or is_unoda_staff(user)):
        raise deny(request, "cannot use help requests")
    return render(
        request,
        "assistance/help_list.html",
        {"help_requests": help.help_requests_visible_to(user)},
    )


@login_required
def help_ask(request: HttpRequest, report_pk: int) -> HttpResponse:
    report = get_visible_or_404(request, reports_visible_to(request.user), pk=report_pk)
    if not can_ask_for_help(request.user, report.state):
        raise deny(request, "cannot ask for help")
    form = HelpRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            help_request = help.ask_for_help(
                report, by=request.user, description=form.cleaned_data["description"]
            )
        except WorkflowError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Your request for help was sent to organisations."))
            return redirect("assistance:help-detail", help_request.pk)
    return render(request, "assistance/help_ask.html", {"form": form, "report": report})


@login_required
@require_GET
def help_detail(request: HttpRequest, pk: int) -> HttpResponse:
    help_request = get_help_request_for_user(request, pk)
    user = request.user
    can_accept = can_accept_help_request(user, help_request)
    can_grant = can_grant_delegated_access(user, help_request)
    context = {
        "hr": help_request,
        "can_accept": can_accept,
        "accept_form": AcceptHelpForm(organisations=organisations_for(user))
        if can_accept
        else None,
        "can_grant": can_grant and help_request.status == HelpRequest.Status.ACCEPTED,
        "grant_form": GrantAccessForm(help_request=help_request) if can_grant else None,
        "can_close": help.is_state_side(user, help_request)
        and help_request.status != HelpRequest.Status.CLOSED,
        "grants": help.grants_of(help_request) if help.can_see_grants(user, help_request) else None,
        "can_revoke": can_grant,
    }
    return render(request, "assistance/help_detail.html", context)


@login_required
@require_POST
def help_accept(request: HttpRequest, pk: int) -> HttpResponse:
    help_request = get_help_request_for_user(request, pk, action="accept")
    form = AcceptHelpForm(request.POST, organisations=organisations_for(request.user))
    if not form.is_valid():
        messages.error(request, _("Choose the organisation you accept the request for."))
        return redirect("assistance:help-detail", help_request.pk)
    try:
        help.accept_help_request(
            help_request, by=request.user, organisation=form.cleaned_data["organisation"]
        )
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("You accepted the request. The State has been told."))
    return redirect("assistance:help-detail", help_request.pk)


@login_required
def help_grant(request: HttpRequest, pk: int) -> HttpResponse:
    help_request = get_help_request_for_user(request, pk, action="grant")
    form = GrantAccessForm(request.POST or None, help_request=help_request)
    if request.method == "POST" and form.is_valid():
        try:
            help.grant_delegated_access(
                help_request,
                by=request.user,
                user=form.cleaned_data["user"],
                until=help.access_ends_at(form.cleaned_data["until"]),
            )
        except WorkflowError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Access to the draft was granted."))
            return redirect("assistance:help-detail", help_request.pk)
    return render(request, "assistance/help_grant.html", {"hr": help_request, "form": form})


@login_required
@require_POST
def help_revoke(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    help_request = get_help_request_for_user(request, pk, action="grant")
    membership = get_object_or_404(help_request.grants, pk=membership_pk)
    try:
        help.revoke_delegated_access(help_request, by=request.user, membership=membership)
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Access to the draft was revoked."))
    return redirect("assistance:help-detail", help_request.pk)


@login_required
@require_POST
def help_close(request: HttpRequest, pk: int) -> HttpResponse:
    help_request = get_help_request_for_user(request, pk, action="close")
    try:
        help.close_help_request(help_request, by=request.user)
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The request was closed."))
    return redirect("assistance:help-detail", help_request.pk)
