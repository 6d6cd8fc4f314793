"""Help with a national report: a State asks, an organisation (a UN regional centre, say)
accepts, and the State's approver grants one of its people time-limited delegated access
to the draft.

Access is an ASSISTANT membership (core), so it ends by itself when `expires_at` passes and
can be revoked; reporting already lets live assistants read and edit their State's drafts.
Audit entries carry ids, never the description.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from assistance.models import HelpRequest
from assistance.permissions import (
    OFFICIAL_ROLES,
    can_accept_help_request,
    can_ask_for_help,
    can_grant_delegated_access,
)
from core import audit
from core.errors import WorkflowError
from core.models import Membership, Organisation, Role, User
from core.permissions import AnyUser, is_unoda_staff, organisations_for, states_for
from core.selectors import users_with_role
from core.services import grant_membership, revoke_membership, tell
from reporting.models import Report

Status = HelpRequest.Status
#: Delegated access is granted for at most this many days ahead.
MAX_ACCESS_DAYS = 180
LIVE = (Status.OPEN, Status.ACCEPTED)


# --- reads -------------------------------------------------------------------------------


def help_requests_visible_to(user: AnyUser) -> QuerySet[HelpRequest]:
    """UNODA sees every request; a State's officials see their State's; people of
    organisations see the open ones (to take one on) and those their organisation accepted.
    Nobody else, another State's officials included, learns that a request exists."""
    qs = HelpRequest.objects.select_related(
        "state", "report__cycle__meeting", "organisation", "accepted_by"
    )
    if is_unoda_staff(user):
        return qs
    visible = Q(state__in=states_for(user, *OFFICIAL_ROLES))
    organisations = organisations_for(user)
    if organisations:
        visible |= Q(status=Status.OPEN) | Q(organisation__in=organisations)
    return qs.filter(visible)


def people_of(organisation: Organisation) -> QuerySet[User]:
    """Active people holding a live membership with `organisation` (donor or assistant)."""
    memberships = Membership.objects.active().filter(organisation=organisation)
    return (
        User.objects.filter(is_active=True, memberships__in=memberships)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def grants_of(help_request: HelpRequest) -> QuerySet[Membership]:
    """The delegated accesses granted under the request, newest first."""
    return help_request.grants.select_related("user", "granted_by", "revoked_by").order_by(
        "-created_at", "-pk"
    )


def is_state_side(user: AnyUser, help_request: HelpRequest) -> bool:
    """An editor or approver of the State that asked."""
    return can_ask_for_help(user, help_request.state)


def can_see_grants(user: AnyUser, help_request: HelpRequest) -> bool:
    """The State, UNODA and the accepting organisation see who has access to the draft."""
    if is_unoda_staff(user) or is_state_side(user, help_request):
        return True
    return help_request.organisation is not None and (
        help_request.organisation in organisations_for(user)
    )


def access_ends_at(day: datetime.date) -> datetime.datetime:
    """Access granted "until" a day lasts to the end of that day (in the site's time zone)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.max))


# --- notifications -----------------------------------------------------------------------


def _tell(people: Iterable[User], help_request: HelpRequest, template: str, **extra) -> None:
    """Notify each person in-app and by e-mail, in their language."""
    path = reverse("assistance:help-detail", args=[help_request.pk])
    tell(people, template=template, path=path, context={"help_request": help_request, **extra})


def _organisation_people() -> QuerySet[User]:
    """Everyone who could take on an open request: people of any active organisation."""
    memberships = Membership.objects.active().filter(organisation__is_active=True)
    return User.objects.filter(is_active=True, memberships__in=memberships).distinct()


def _state_officials(help_request: HelpRequest) -> QuerySet[User]:
    return users_with_role(*OFFICIAL_ROLES, state=help_request.state)


# --- state changes -----------------------------------------------------------------------


@transaction.atomic
def ask_for_help(report: Report, *, by: User, description: str) -> HelpRequest:
    """The State's editor or approver asks organisations for help with an editable report;
    one open or accepted request per report."""
    if not can_ask_for_help(by, report.state):
        raise WorkflowError(_("Only your State's officials can ask for help."), code="forbidden")
    report = (
        Report.objects.select_for_update(of=("self",)).select_related("state").get(pk=report.pk)
    )
    if not report.is_editable:
        raise WorkflowError(
            _("Help can only be asked for a report that can still be edited."),
            code="not_allowed_now",
        )
    description = description.strip()
    if not description:
        raise WorkflowError(_("Say what help you need."), code="invalid")
    if len(description) > 3000:
        raise WorkflowError(_("Keep the description under 3,000 characters."), code="invalid")
    if HelpRequest.objects.filter(report=report, status__in=LIVE).exists():
        raise WorkflowError(_("Help has already been asked for this report."), code="already_asked")
    help_request = HelpRequest.objects.create(
        state=report.state, report=report, description=description, created_by=by
    )
    audit.record(
        "assistance.help_request.asked",
        actor=by,
        obj=help_request,
        state=report.state,
        data={"report": report.pk},
    )
    _tell(_organisation_people(), help_request, "help_request_asked")
    return help_request


def _locked(help_request: HelpRequest) -> HelpRequest:
    return (
        HelpRequest.objects.select_for_update(of=("self",))
        .select_related("state", "organisation", "report")
        .get(pk=help_request.pk)
    )


@transaction.atomic
def accept_help_request(
    help_request: HelpRequest, *, by: User, organisation: Organisation
) -> HelpRequest:
    """A person of `organisation` takes the open request on for their organisation."""
    help_request = _locked(help_request)
    if organisation not in organisations_for(by):
        raise WorkflowError(
            _("You can only accept for an organisation you belong to."), code="forbidden"
        )
    if not can_accept_help_request(by, help_request):
        raise WorkflowError(_("This request is no longer open."), code="not_allowed_now")
    help_request.status = Status.ACCEPTED
    help_request.organisation = organisation
    help_request.accepted_by = by
    help_request.accepted_at = timezone.now()
    help_request.save(update_fields=["status", "organisation", "accepted_by", "accepted_at"])
    audit.record(
        "assistance.help_request.accepted",
        actor=by,
        obj=help_request,
        state=help_request.state,
        data={"organisation": organisation.acronym},
    )
    _tell(_state_officials(help_request), help_request, "help_request_accepted")
    colleagues = people_of(organisation).exclude(pk=by.pk)
    _tell(colleagues, help_request, "help_request_accepted")
    return help_request


def _check_grant(help_request: HelpRequest, by: User, user: User, until: datetime.datetime):
    if not can_grant_delegated_access(by, help_request):
        raise WorkflowError(
            _("Only your State's approver can grant access to the draft."), code="forbidden"
        )
    if help_request.status != Status.ACCEPTED:
        raise WorkflowError(
            _("Access can only be granted once an organisation has accepted the request."),
            code="not_allowed_now",
        )
    if not help_request.report.is_editable:
        raise WorkflowError(_("This report can no longer be edited."), code="not_allowed_now")
    if not people_of(help_request.organisation).filter(pk=user.pk).exists():
        raise WorkflowError(
            _("Choose a person of the organisation that accepted the request."), code="invalid"
        )
    latest = timezone.localdate() + datetime.timedelta(days=MAX_ACCESS_DAYS)
    if until <= timezone.now() or timezone.localdate(until) > latest:
        raise WorkflowError(
            _("Give a date in the future, at most %(days)s days ahead.")
            % {"days": MAX_ACCESS_DAYS},
            code="invalid",
        )


@transaction.atomic
def grant_delegated_access(
    help_request: HelpRequest, *, by: User, user: User, until: datetime.datetime
) -> Membership:
    """The State's approver lets a person of the accepting organisation read and edit the
    State's drafts until `until`; the access ends by itself then."""
    help_request = _locked(help_request)
    _check_grant(help_request, by, user, until)
    scope = {"state": help_request.state, "organisation": help_request.organisation}
    live = Membership.objects.active().filter(user=user, role=Role.ASSISTANT, **scope).first()
    if live is not None:
        raise WorkflowError(
            _("This person already has access until %(date)s. Revoke it first to change it.")
            % {"date": formats.date_format(timezone.localtime(live.expires_at), "DATETIME_FORMAT")},
            code="already_granted",
        )
    membership = grant_membership(user=user, role=Role.ASSISTANT, by=by, expires_at=until, **scope)
    help_request.grants.add(membership)
    audit.record(
        "assistance.help_request.access_granted",
        actor=by,
        obj=help_request,
        state=help_request.state,
        data={"user": user.username, "membership": membership.pk, "until": until.isoformat()},
    )
    report_path = reverse("reporting:report-detail", args=[help_request.report_id])
    _tell(
        [user],
        help_request,
        "help_request_access_granted",
        until=until,
        report_link=settings.SITE_URL + report_path,
    )
    return membership


@transaction.atomic
def revoke_delegated_access(
    help_request: HelpRequest, *, by: User, membership: Membership
) -> Membership:
    """The State's approver ends an access granted under the request now."""
    help_request = _locked(help_request)
    if not can_grant_delegated_access(by, help_request):
        raise WorkflowError(
            _("Only your State's approver can revoke access to the draft."), code="forbidden"
        )
    membership = help_request.grants.filter(pk=membership.pk).first()
    if membership is None:
        raise WorkflowError(_("This access was not granted under this request."), code="invalid")
    if not membership.is_active:
        raise WorkflowError(_("This access has already ended."), code="not_allowed_now")
    membership = revoke_membership(membership=membership, by=by)
    audit.record(
        "assistance.help_request.access_revoked",
        actor=by,
        obj=help_request,
        state=help_request.state,
        data={"user": membership.user.username, "membership": membership.pk},
    )
    _tell([membership.user], help_request, "help_request_access_revoked")
    return membership


def _check_close(help_request: HelpRequest, by: User, live: list[Membership]) -> None:
    if not is_state_side(by, help_request):
        raise WorkflowError(
            _("Only your State's officials can close the request."), code="forbidden"
        )
    if help_request.status == Status.CLOSED:
        raise WorkflowError(_("This request is already closed."), code="not_allowed_now")
    if live and not can_grant_delegated_access(by, help_request):
        raise WorkflowError(
            _(
                "Someone still has access to the draft: only your State's approver can close "
                "the request."
            ),
            code="forbidden",
        )


@transaction.atomic
def close_help_request(help_request: HelpRequest, *, by: User) -> HelpRequest:
    """The State closes its request; any access still live under it ends now, which only
    the approver may do."""
    help_request = _locked(help_request)
    live = list(grants_of(help_request).filter(pk__in=Membership.objects.active()))
    _check_close(help_request, by, live)
    organisation = help_request.organisation
    # Before revoking: assistants who belong to the organisation only through this access
    # hear of the closing too.
    recipients = list(people_of(organisation)) if organisation else []
    for membership in live:
        revoke_membership(membership=membership, by=by)
    help_request.status = Status.CLOSED
    help_request.save(update_fields=["status"])
    audit.record(
        "assistance.help_request.closed",
        actor=by,
        obj=help_request,
        state=help_request.state,
        data={"revoked": [m.pk for m in live]},
    )
    _tell(recipients, help_request, "help_request_closed")
    return help_request
