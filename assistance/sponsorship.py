"""The sponsorship fund for meeting delegates: a State applies for one delegate's travel and
subsistence, UNODA approves (within the fund's balance) or rejects, the State may withdraw
while the application waits; donors pay into the fund.

The balance changes only under a row lock on the fund, and the database refuses a negative
balance: two approvals at the same moment cannot together spend more than the fund holds.
Lock order is application, then fund, everywhere, so that no two services deadlock.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from assistance.models import (
    FundContribution,
    SponsorshipApplication,
    SponsorshipFund,
    donor_key,
)
from assistance.permissions import (
    OFFICIAL_ROLES,
    Donor,
    can_apply_for_sponsorship,
    can_decide_sponsorship,
    can_view_fund_statement,
    donors_for,
)
from core import audit
from core.errors import WorkflowError
from core.models import MemberState, Organisation, User
from core.permissions import AnyUser, is_administrator, is_unoda_staff, states_for
from core.selectors import users_with_role
from core.services import tell
from reporting.models import Meeting

Status = SponsorshipApplication.Status
#: Money columns hold 14 digits, 2 of them decimals.
MONEY_LIMIT = Decimal(10) ** 12
CENT = Decimal("0.01")
NOTE_LENGTH = SponsorshipApplication._meta.get_field("decision_note").max_length


# --- reads ---------------------------------------------------------------------------


def sponsorship_fund() -> SponsorshipFund:
    """The one sponsorship fund (the lowest pk), created empty on first use."""
    fund = SponsorshipFund.objects.order_by("pk").first()
    return fund or SponsorshipFund.objects.create()


def meetings_open_for_sponsorship() -> QuerySet[Meeting]:
    """Meetings that start after today: the only ones a delegate can still travel to."""
    return Meeting.objects.filter(start_date__gt=timezone.localdate()).order_by("start_date")


def applications_visible_to(user: AnyUser) -> QuerySet[SponsorshipApplication]:
    """UNODA sees every application; a State's officials see their own State's; nobody
    else (donors and other States included) sees any."""
    qs = SponsorshipApplication.objects.select_related("state", "meeting", "fund", "decided_by")
    if is_unoda_staff(user):
        return qs
    states = states_for(user, *OFFICIAL_ROLES)
    return qs.filter(state__in=states) if states else qs.none()


@dataclass(frozen=True)
class FundStatement:
    fund: SponsorshipFund
    total_contributed: Decimal
    total_granted: Decimal
    contributions: QuerySet[FundContribution]

    @property
    def balance(self) -> Decimal:
        return self.fund.balance


def fund_statement(user: AnyUser) -> FundStatement | None:
    """Balance, money in, money granted and every contribution; None for anyone who may
    not see them."""
    if not can_view_fund_statement(user):
        return None
    fund = sponsorship_fund()
    contributions = fund.contributions.select_related(
        "donor_state", "donor_organisation", "created_by"
    )
    granted = fund.applications.filter(status=Status.APPROVED).aggregate(
        total=Sum("amount_granted")
    )["total"]
    contributed = contributions.aggregate(total=Sum("amount"))["total"]
    return FundStatement(
        fund=fund,
        total_contributed=contributed or Decimal(0),
        total_granted=granted or Decimal(0),
        contributions=contributions,
    )


def format_money(amount: Decimal, currency: str) -> str:
    """An amount with its currency code, in the active language's number format."""
    return f"{number_format(amount, 2, force_grouping=True)} {currency}"


# --- checks --------------------------------------------------------------------------


def clean_amount(value: Any, *, allow_zero: bool = False) -> Decimal:
    """A money amount: a number, positive (or zero when allowed), with at most two decimal
    places. Raises WorkflowError("invalid") with a sentence saying what is wrong."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise WorkflowError(_("Enter an amount as a number."), code="invalid") from None
    if not amount.is_finite():
        raise WorkflowError(_("Enter an amount as a number."), code="invalid")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise WorkflowError(_("Enter an amount greater than zero."), code="invalid")
    if amount >= MONEY_LIMIT:
        raise WorkflowError(_("This amount is too large."), code="invalid")
    if amount != amount.quantize(CENT):
        raise WorkflowError(_("Enter an amount with at most two decimal places."), code="invalid")
    return amount.quantize(CENT)


def clean_note(note: str, *, limit: int = NOTE_LENGTH) -> str:
    """A note without surrounding spaces, refused when longer than the column holds."""
    note = (note or "").strip()
    if len(note) > limit:
        raise WorkflowError(
            _("Keep the note within %(limit)d characters.") % {"limit": limit},
            code="invalid",
        )
    return note


def _check_move(application: SponsorshipApplication, status: str) -> None:
    if status not in SponsorshipApplication.TRANSITIONS.get(application.status, set()):
        raise WorkflowError(
            _("This application has already been decided or withdrawn."), code="not_allowed_now"
        )


def _locked(application: SponsorshipApplication) -> SponsorshipApplication:
    return SponsorshipApplication.objects.select_for_update().get(pk=application.pk)


def _locked_fund(fund_id: int) -> SponsorshipFund:
    return SponsorshipFund.objects.select_for_update().get(pk=fund_id)


# --- state changes -------------------------------------------------------------------


@transaction.atomic
def apply_for_sponsorship(
    *,
    by: User,
    state: MemberState,
    meeting: Meeting,
    traveller_name: str,
    travel_cost: Any,
    subsistence_cost: Any,
    traveller_position: str = "",
    justification: str = "",
) -> SponsorshipApplication:
    """A State's official asks the fund to pay for one delegate to attend a meeting that
    has not yet started."""
    if not can_apply_for_sponsorship(by, state):
        raise WorkflowError(_("You may only apply for your own State."), code="forbidden")
    if not meetings_open_for_sponsorship().filter(pk=meeting.pk).exists():
        raise WorkflowError(_("Choose a meeting that has not yet taken place."), code="invalid")
    if not traveller_name.strip():
        raise WorkflowError(_("Give the traveller's name."), code="invalid")
    travel = clean_amount(travel_cost, allow_zero=True)
    subsistence = clean_amount(subsistence_cost, allow_zero=True)
    if travel + subsistence <= 0:
        raise WorkflowError(_("Ask for an amount greater than zero."), code="invalid")
    application = SponsorshipApplication.objects.create(
        state=state,
        meeting=meeting,
        fund=sponsorship_fund(),
        traveller_name=traveller_name.strip(),
        traveller_position=traveller_position.strip(),
        travel_cost=travel,
        subsistence_cost=subsistence,
        justification=justification.strip(),
        created_by=by,
    )
    audit.record(
        "assistance.sponsorship_application.submitted",
        actor=by,
        obj=application,
        state=state,
        data={"meeting": meeting.pk, "amount_requested": str(application.amount_requested)},
    )
    return application


def _spend(application: SponsorshipApplication, amount: Decimal) -> SponsorshipFund:
    """Take `amount` from the locked fund; the database constraint refuses a negative
    balance, whatever happened since the balance was last read."""
    fund = _locked_fund(application.fund_id)
    try:
        with transaction.atomic():
            SponsorshipFund.objects.filter(pk=fund.pk).update(balance=F("balance") - amount)
    except IntegrityError:
        raise WorkflowError(
            _("The fund holds %(balance)s, less than the %(amount)s to be granted.")
            % {
                "balance": format_money(fund.balance, fund.currency),
                "amount": format_money(amount, fund.currency),
            },
            code="insufficient_funds",
        ) from None
    fund.refresh_from_db(fields=["balance"])
    return fund


@transaction.atomic
def approve_sponsorship(
    application: SponsorshipApplication, *, by: User, amount: Any = None, note: str = ""
) -> SponsorshipApplication:
    """UNODA grants up to the amount asked for (all of it by default), taken from the
    fund's balance."""
    if not can_decide_sponsorship(by, application):
        raise WorkflowError(_("Only UNODA decides on sponsorship."), code="forbidden")
    application = _locked(application)
    _check_move(application, Status.APPROVED)
    requested = application.amount_requested
    granted = requested if amount in (None, "") else clean_amount(amount)
    if granted > requested:
        raise WorkflowError(
            _("The amount granted cannot be more than the %(amount)s asked for.")
            % {"amount": format_money(requested, application.fund.currency)},
            code="invalid",
        )
    note = clean_note(note)
    fund = _spend(application, granted)
    _decide(application, Status.APPROVED, by=by, note=note, amount_granted=granted)
    audit.record(
        "assistance.sponsorship_application.approved",
        actor=by,
        obj=application,
        state=application.state,
        data={"amount_granted": str(granted), "balance": str(fund.balance)},
    )
    _tell_decision(application)
    return application


@transaction.atomic
def reject_sponsorship(
    application: SponsorshipApplication, *, by: User, note: str
) -> SponsorshipApplication:
    """UNODA turns an application down, saying why."""
    if not can_decide_sponsorship(by, application):
        raise WorkflowError(_("Only UNODA decides on sponsorship."), code="forbidden")
    note = clean_note(note)
    if not note:
        raise WorkflowError(_("Say why the application is rejected."), code="invalid")
    application = _locked(application)
    _check_move(application, Status.REJECTED)
    _decide(application, Status.REJECTED, by=by, note=note)
    audit.record(
        "assistance.sponsorship_application.rejected",
        actor=by,
        obj=application,
        state=application.state,
    )
    _tell_decision(application)
    return application


def _decide(
    application: SponsorshipApplication,
    status: str,
    *,
    by: User,
    note: str,
    amount_granted: Decimal | None = None,
) -> None:
    application.status = status
    application.amount_granted = amount_granted
    application.decision_note = note
    application.decided_by = by
    application.decided_at = timezone.now()
    application.save(
        update_fields=["status", "amount_granted", "decision_note", "decided_by", "decided_at"]
    )


@transaction.atomic
def withdraw_sponsorship_application(
    application: SponsorshipApplication, *, by: User
) -> SponsorshipApplication:
    """The State's official takes back an application UNODA has not yet decided on."""
    if not can_apply_for_sponsorship(by, application.state):
        raise WorkflowError(
            _("Only the State's officials may withdraw its application."), code="forbidden"
        )
    application = _locked(application)
    _check_move(application, Status.WITHDRAWN)
    application.status = Status.WITHDRAWN
    application.save(update_fields=["status"])
    audit.record(
        "assistance.sponsorship_application.withdrawn",
        actor=by,
        obj=application,
        state=application.state,
    )
    return application


def _tell_decision(application: SponsorshipApplication) -> None:
    """Tell the State's officials, each in their language, that UNODA has decided."""
    tell(
        users_with_role(*OFFICIAL_ROLES, state=application.state),
        template="sponsorship_decided",
        path=reverse("assistance:sponsorship-detail", args=[application.pk]),
        context={
            "application": application,
            "approved": application.status == Status.APPROVED,
            "currency": application.fund.currency,
        },
    )


def contribution_donors_for(user: AnyUser) -> list[Donor]:
    """The donors a person may record a contribution for: their own donor scopes; an
    administrator records for any State or organisation."""
    own = donors_for(user)
    if not is_administrator(user):
        return own
    others = [(None, o) for o in Organisation.objects.order_by("acronym")]
    others += [(s, None) for s in MemberState.objects.order_by("name")]
    return own + [donor for donor in others if donor not in own]


def _check_donor(by: User, donor: Donor) -> None:
    state, organisation = donor
    if (state is None) == (organisation is None):
        raise WorkflowError(_("Choose the donor: one State or one organisation."), code="invalid")
    if donor not in donors_for(by) and not is_administrator(by):
        raise WorkflowError(
            _("You may only record contributions for a donor you act for."), code="forbidden"
        )


@transaction.atomic
def record_contribution(
    *,
    by: User,
    amount: Any,
    donor_state: MemberState | None = None,
    donor_organisation: Organisation | None = None,
    note: str = "",
) -> FundContribution:
    """A donor (or an administrator on a donor's behalf) records money paid into the
    fund; the balance grows by the amount. Without a donor given, a person acting for a
    single donor records for that one."""
    donor = (donor_state, donor_organisation)
    if donor == (None, None) and len(donors_for(by)) == 1:
        donor = donors_for(by)[0]
    _check_donor(by, donor)
    amount = clean_amount(amount)
    note = clean_note(note, limit=FundContribution._meta.get_field("note").max_length)
    fund = _locked_fund(sponsorship_fund().pk)
    SponsorshipFund.objects.filter(pk=fund.pk).update(balance=F("balance") + amount)
    contribution = FundContribution.objects.create(
        fund=fund,
        donor_state=donor[0],
        donor_organisation=donor[1],
        amount=amount,
        note=note,
        created_by=by,
    )
    audit.record(
        "assistance.fund_contribution.recorded",
        actor=by,
        obj=contribution,
        state=donor[0],
        data={"amount": str(amount), "donor": donor_key(*donor)},
    )
    return contribution
