"""Sponsorship pages: a State's applications, UNODA's decisions, the fund for donors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from assistance import permissions, sponsorship
from assistance.forms_sponsorship import (
    FundContributionForm,
    SponsorshipApplicationForm,
    SponsorshipDecisionForm,
)
from assistance.models import SponsorshipApplication
from assistance.permissions import (
    OFFICIAL_ROLES,
    can_apply_for_sponsorship,
    can_contribute_to_fund,
    can_decide_sponsorship,
)
from core.errors import WorkflowError
from core.permissions import is_unoda_staff, states_for
from core.views import deny, get_visible_or_404

Status = SponsorshipApplication.Status


def get_application_for_user(
    request: HttpRequest, pk: int, *, action: str = "view"
) -> SponsorshipApplication:
    """404 when the application is not the user's State's (nor the user UNODA); 403 when
    the user sees it but may not make this change."""
    application = get_visible_or_404(
        request, sponsorship.applications_visible_to(request.user), pk=pk
    )
    if action == "decide" and not can_decide_sponsorship(request.user, application):
        raise deny(request, "cannot decide sponsorship")
    if action == "withdraw" and not can_apply_for_sponsorship(request.user, application.state):
        raise deny(request, "cannot withdraw sponsorship application")
    return application


@login_required
@require_GET
def application_list(request: HttpRequest) -> HttpResponse:
    own = states_for(request.user, *OFFICIAL_ROLES)
    sees_fund = permissions.can_view_fund_statement(request.user)
    if not own and not sees_fund:
        raise deny(request, "cannot see sponsorship applications")
    return render(
        request,
        "assistance/sponsorship_list.html",
        {
            "applications": sponsorship.applications_visible_to(request.user),
            "sees_applications": bool(own) or is_unoda_staff(request.user),
            "can_apply": bool(own),
            "fund": sponsorship.sponsorship_fund() if sees_fund else None,
        },
    )


@login_required
def application_apply(request: HttpRequest) -> HttpResponse:
    own = states_for(request.user, *OFFICIAL_ROLES)
    if not own:
        raise deny(request, "cannot apply for sponsorship")
    fund = sponsorship.sponsorship_fund()
    form = SponsorshipApplicationForm(request.POST or None, states=own, currency=fund.currency)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            application = sponsorship.apply_for_sponsorship(
                by=request.user,
                state=form.chosen_state(),
                **{name: data[name] for name in SponsorshipApplicationForm.Meta.fields},
            )
        except WorkflowError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The application was sent to UNODA."))
            return redirect("assistance:sponsorship-detail", application.pk)
    return render(request, "assistance/sponsorship_form.html", {"form": form, "fund": fund})


def _render_detail(
    request: HttpRequest,
    application: SponsorshipApplication,
    form: SponsorshipDecisionForm | None = None,
) -> HttpResponse:
    submitted = application.status == Status.SUBMITTED
    can_decide = submitted and can_decide_sponsorship(request.user, application)
    return render(
        request,
        "assistance/sponsorship_detail.html",
        {
            "application": application,
            "can_decide": can_decide,
            "can_withdraw": submitted
            and can_apply_for_sponsorship(request.user, application.state),
            "form": form or (SponsorshipDecisionForm() if can_decide else None),
        },
    )


@login_required
@require_GET
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, get_application_for_user(request, pk))


@login_required
@require_POST
def application_decide(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_application_for_user(request, pk, action="decide")
    form = SponsorshipDecisionForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, application, form)
    data = form.cleaned_data
    try:
        if data["decision"] == "approve":
            sponsorship.approve_sponsorship(
                application, by=request.user, amount=data["amount_granted"], note=data["note"]
            )
            messages.success(request, _("The application was approved."))
        else:
            sponsorship.reject_sponsorship(application, by=request.user, note=data["note"])
            messages.success(request, _("The application was rejected."))
    except WorkflowError as exc:
        form.add_error(None, exc.message)
        return _render_detail(request, application, form)
    return redirect("assistance:sponsorship-detail", application.pk)


@login_required
@require_POST
def application_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_application_for_user(request, pk, action="withdraw")
    try:
        sponsorship.withdraw_sponsorship_application(application, by=request.user)
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The application was withdrawn."))
    return redirect("assistance:sponsorship-detail", application.pk)


def _render_fund(request: HttpRequest, form: FundContributionForm | None = None) -> HttpResponse:
    statement = sponsorship.fund_statement(request.user)
    if statement is None:
        raise deny(request, "cannot see the sponsorship fund")
    if form is None and can_contribute_to_fund(request.user):
        form = _contribution_form(request, None, statement.fund.currency)
    return render(
        request, "assistance/sponsorship_fund.html", {"statement": statement, "form": form}
    )


def _contribution_form(request: HttpRequest, data, currency: str) -> FundContributionForm:
    donors = sponsorship.contribution_donors_for(request.user)
    return FundContributionForm(data, donors=donors, currency=currency)


@login_required
@require_GET
def fund(request: HttpRequest) -> HttpResponse:
    return _render_fund(request)


@login_required
@require_POST
def fund_contribute(request: HttpRequest) -> HttpResponse:
    if not can_contribute_to_fund(request.user):
        raise deny(request, "cannot contribute to the sponsorship fund")
    form = _contribution_form(request, request.POST, sponsorship.sponsorship_fund().currency)
    if not form.is_valid():
        return _render_fund(request, form)
    state, organisation = form.chosen_donor()
    try:
        sponsorship.record_contribution(
            by=request.user,
            amount=form.cleaned_data["amount"],
            donor_state=state,
            donor_organisation=organisation,
            note=form.cleaned_data["note"],
        )
    except WorkflowError as exc:
        form.add_error(None, exc.message)
        return _render_fund(request, form)
    messages.success(request, _("The contribution was recorded."))
    return redirect("assistance:fund")
