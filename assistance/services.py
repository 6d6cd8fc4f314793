"""State changes on needs, offers and matches.

A need's status follows its matches: a donor's interest puts it in discussion, an agreement
matches it, then it is funded and completed; when every conversation ends without agreement
it is open again. The State may withdraw it at any time before it is funded.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from assistance import permissions
from assistance.matching import explain
from assistance.models import (
    NEED_FIELDS,
    OFFER_FIELDS,
    AssistanceType,
    Match,
    MatchMessage,
    Need,
    Offer,
    Theme,
    donor_key,
)
from assistance.vocabulary import kind_from_text, theme_from_text
from core import audit
from core.errors import WorkflowError
from core.models import Membership, MemberState, Organisation, Role, User
from core.selectors import users_with_role
from core.services import tell
from core.text import clean_text
from reporting.models import Report

NEEDS_TABLE_KEY = "assistance.needs"
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
Status = Need.Status


# Needs ------------------------------------------------------------------------------------


def _fingerprint(theme: str, kind: str, description: str) -> str:
    text = "\x1f".join((theme, kind, " ".join(description.split()).casefold()))
    return hashlib.sha256(text.encode()).hexdigest()


def _cost(value: Any) -> Decimal | None:
    try:
        cost = Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None
    return cost if cost is not None and cost.is_finite() and cost >= 0 else None


def _currency(value: Any) -> str:
    code = str(value or "").strip().upper()
    return code if CURRENCY_RE.match(code) else ""


def needs_in_answers(answers: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of the report's needs table as need fields (free-text theme and type mapped
    onto the taxonomy, in any of the six languages)."""
    rows = answers.get(NEEDS_TABLE_KEY) or []
    needs = []
    for row in rows if isinstance(rows, list) else []:
        description = str(row.get("description") or "").strip()
        if not description:
            continue
        needs.append(
            {
                "theme": theme_from_text(str(row.get("theme") or "")),
                "kind": kind_from_text(str(row.get("type") or "")),
                "description": description[:5000],
                "estimated_cost": _cost(row.get("estimated_cost")),
                "currency": _currency(row.get("currency")),
            }
        )
    return needs


@transaction.atomic
def record_needs_from_report(report: Report, answers: dict[str, Any]) -> list[Need]:
    """Record the needs of a published report, once per table row: publishing again (after an
    amendment) adds only new rows, and withdraws the open needs whose row was removed."""
    visibility = (
        Need.Visibility.RESTRICTED
        if report.published_visibility == Report.Visibility.RESTRICTED
        else Need.Visibility.PUBLIC
    )
    rows = {
        _fingerprint(row["theme"], row["kind"], row["description"]): row
        for row in needs_in_answers(answers)
    }
    known = set(report.needs.values_list("fingerprint", flat=True))
    created = []
    for fingerprint, row in rows.items():
        if fingerprint in known:
            continue
        try:
            with transaction.atomic():
                need = Need.objects.create(
                    state=report.state,
                    report=report,
                    fingerprint=fingerprint,
                    visibility=visibility,
                    **row,
                )
        except IntegrityError:  # recorded by a concurrent delivery of the same signal
            continue
        audit.record(
            "assistance.need.recorded",
            actor=None,
            obj=need,
            state=report.state,
            data={"source": "report", "report": report.pk},
        )
        created.append(need)
    _withdraw_removed_rows(report, set(rows))
    report.needs.exclude(visibility=visibility).update(visibility=visibility)
    return created


def _withdraw_removed_rows(report: Report, fingerprints: set[str]) -> None:
    removed = report.needs.filter(status=Status.OPEN).exclude(fingerprint__in=fingerprints)
    for need in removed.select_for_update():
        need.status = Status.WITHDRAWN
        need.updated_at = timezone.now()
        need.save(update_fields=["status", "updated_at"])
        audit.record(
            "assistance.need.withdrawn",
            actor=None,
            obj=need,
            state=need.state,
            data={"reason": "removed from the amended report", "report": report.pk},
        )


def _check_need_data(data: dict[str, Any]) -> dict[str, Any]:
    values = {name: data[name] for name in NEED_FIELDS if name in data}
    if "theme" in values and values["theme"] not in Theme.values:
        raise WorkflowError(_("Choose a theme from the list."), code="invalid")
    if "kind" in values and values["kind"] not in AssistanceType.values:
        raise WorkflowError(_("Choose a type of assistance from the list."), code="invalid")
    if "description" in values and not str(values["description"]).strip():
        raise WorkflowError(_("Describe the need."), code="invalid")
    currency = values.get("currency")
    if currency and not CURRENCY_RE.match(currency):
        raise WorkflowError(
            _("Give the currency as a three-letter code, for example USD."), code="invalid"
        )
    if values.get("estimated_cost") is not None and not values.get("currency", "x"):
        raise WorkflowError(_("Give the currency of the estimated cost."), code="invalid")
    return values


@transaction.atomic
def record_need(*, by: User, state: MemberState, data: dict[str, Any]) -> Need:
    """A State's official records a need outside any report."""
    if not permissions.can_record_need(by, state):
        raise WorkflowError(_("You may only record needs of your own State."), code="forbidden")
    values = _check_need_data(data)
    if not values.get("theme") or not values.get("kind") or not values.get("description"):
        raise WorkflowError(_("Give the theme, the type and a description."), code="invalid")
    need = Need.objects.create(state=state, created_by=by, **values)
    audit.record(
        "assistance.need.recorded", actor=by, obj=need, state=state, data={"source": "manual"}
    )
    return need


@transaction.atomic
def update_need(need: Need, *, by: User, data: dict[str, Any]) -> Need:
    need = Need.objects.select_for_update().select_related("state").get(pk=need.pk)
    if not permissions.can_edit_need(by, need):
        raise WorkflowError(_("Only the State's officials may change this need."), code="forbidden")
    values = _check_need_data(data)
    changed = sorted(name for name, value in values.items() if getattr(need, name) != value)
    for name in changed:
        setattr(need, name, values[name])
    if changed:
        need.updated_at = timezone.now()
        need.save()
        audit.record(
            "assistance.need.updated",
            actor=by,
            obj=need,
            state=need.state,
            data={"fields": changed},
        )
    return need


@transaction.atomic
def withdraw_need(need: Need, *, by: User) -> Need:
    """The State no longer needs this; its open conversations end as declined."""
    need = Need.objects.select_for_update().select_related("state").get(pk=need.pk)
    if not permissions.can_edit_need(by, need):
        raise WorkflowError(
            _("Only the State's officials may withdraw this need."), code="forbidden"
        )
    if need.status == Status.FUNDED:
        raise WorkflowError(_("A funded need cannot be withdrawn; complete it instead."))
    for match in need.matches.filter(status__in=LIVE).select_for_update():
        _set_match_status(match, Match.Status.DECLINED, by=by, side="state")
    need.status = Status.WITHDRAWN
    need.updated_at = timezone.now()
    need.save(update_fields=["status", "updated_at"])
    audit.record("assistance.need.withdrawn", actor=by, obj=need, state=need.state)
    return need


def sync_need_status(need: Need, *, by: User | None) -> Need:
    """Set the need's status from the furthest stage among its matches."""
    if need.status == Status.WITHDRAWN:
        return need
    statuses = set(need.matches.values_list("status", flat=True))
    need_status = next((n for m, n in STAGES if m in statuses), Status.OPEN)
    if need.status != need_status:
        before, need.status, need.updated_at = need.status, need_status, timezone.now()
        need.save(update_fields=["status", "updated_at"])
        audit.record(
            "assistance.need.status_changed",
            actor=by,
            obj=need,
            state=need.state,
            data={"from": before, "to": need_status},
        )
    return need


# Offers -----------------------------------------------------------------------------------


def _check_offer(offer: Offer) -> None:
    if not str(offer.title or "").strip():
        raise WorkflowError(_("Give the offer a title."), code="invalid")
    if not offer.themes or set(offer.themes) - set(Theme.values):
        raise WorkflowError(_("Choose at least one theme from the list."), code="invalid")
    if not offer.kinds or set(offer.kinds) - set(AssistanceType.values):
        raise WorkflowError(
            _("Choose at least one type of assistance from the list."), code="invalid"
        )
    low, high = offer.budget_min, offer.budget_max
    if low is not None and high is not None and low > high:
        raise WorkflowError(_("The largest amount must not be below the smallest."), code="invalid")
    if offer.starts_on and offer.ends_on and offer.starts_on > offer.ends_on:
        raise WorkflowError(_("The period cannot end before it starts."), code="invalid")
    if not CURRENCY_RE.match(offer.currency or ""):
        raise WorkflowError(
            _("Give the currency as a three-letter code, for example USD."), code="invalid"
        )


@transaction.atomic
def save_offer(
    *,
    by: User,
    data: dict[str, Any],
    donor: permissions.Donor | None = None,
    offer: Offer | None = None,
) -> Offer:
    """Create an offer for one of the user's donors, or change one of theirs."""
    if offer is None:
        if donor is None or donor not in permissions.donors_for(by):
            raise WorkflowError(_("You may only make offers as a donor."), code="forbidden")
        offer = Offer(donor_state=donor[0], donor_organisation=donor[1], created_by=by)
    elif not permissions.acts_for_donor(by, offer):
        raise WorkflowError(_("Only the donor may change this offer."), code="forbidden")
    changed = sorted(name for name in OFFER_FIELDS if name in data)
    for name in changed:
        if name != "eligible_states":
            setattr(offer, name, data[name])
    _check_offer(offer)
    creating = offer.pk is None
    offer.save()
    if "eligible_states" in data:
        offer.eligible_states.set(data["eligible_states"])
    audit.record(
        "assistance.offer.created" if creating else "assistance.offer.updated",
        actor=by,
        obj=offer,
        state=offer.donor_state,
        data={"fields": changed},
    )
    return offer


@transaction.atomic
def close_offer(offer: Offer, *, by: User) -> Offer:
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if not permissions.acts_for_donor(by, offer):
        raise WorkflowError(_("Only the donor may close this offer."), code="forbidden")
    if offer.status == Offer.Status.CLOSED:
        raise WorkflowError(_("This offer is already closed."))
    offer.status = Offer.Status.CLOSED
    offer.save(update_fields=["status"])
    audit.record("assistance.offer.closed", actor=by, obj=offer, state=offer.donor_state)
    return offer


# Matches ----------------------------------------------------------------------------------

#: Longest message, agreement and outcome note (the lengths of their columns).
MESSAGE_MAX_LENGTH = 5000
OUTCOME_MAX_LENGTH = 2000

LIVE = (Match.Status.INTERESTED, Match.Status.AGREED, Match.Status.FUNDED)
#: A match's status → the need's status it implies, furthest stage first.
STAGES = (
    (Match.Status.COMPLETED, Status.COMPLETED),
    (Match.Status.FUNDED, Status.FUNDED),
    (Match.Status.AGREED, Status.MATCHED),
    (Match.Status.INTERESTED, Status.IN_DISCUSSION),
)


def donor_people(donor_state: MemberState | None, organisation: Organisation | None):
    memberships = Membership.objects.active().filter(
        role=Role.DONOR, state=donor_state, organisation=organisation
    )
    return User.objects.filter(is_active=True, memberships__in=memberships).distinct()


def _people_of_other_side(match: Match, side: str) -> Iterable[User]:
    if side == "donor":
        return users_with_role(*permissions.OFFICIAL_ROLES, state=match.need.state)
    return donor_people(match.donor_state, match.donor_organisation)


def _tell(match: Match, side: str, template: str = "assistance_match_updated") -> None:
    """Tell the other party, each person in their own language."""
    path = reverse("assistance:match-detail", args=[match.pk])
    tell(_people_of_other_side(match, side), template=template, path=path, context={"match": match})


@transaction.atomic
def express_interest(
    need: Need,
    *,
    by: User,
    donor: permissions.Donor,
    message: str,
    offer: Offer | None = None,
) -> Match:
    """A donor tells the State it may help with a need: a conversation starts."""
    need = Need.objects.select_for_update().select_related("state").get(pk=need.pk)
    if donor not in permissions.donors_for(by) or not permissions.can_express_interest(by, need):
        raise WorkflowError(
            _("Only a donor may express interest in an open need."), code="forbidden"
        )
    if offer is not None and (offer.donor_state, offer.donor_organisation) != donor:
        raise WorkflowError(_("Choose one of this donor's offers."), code="invalid")
    message = clean_text(message, max_length=MESSAGE_MAX_LENGTH)
    if not message:
        raise WorkflowError(_("Write a message to the State."), code="invalid")
    try:
        with transaction.atomic():
            match = Match.objects.create(
                need=need,
                offer=offer,
                donor_state=donor[0],
                donor_organisation=donor[1],
                donor_key=donor_key(*donor),
                score=explain(need, offer)["score"] if offer else None,
                created_by=by,
            )
    except IntegrityError:
        raise WorkflowError(_("This donor is already in a conversation about this need.")) from None
    MatchMessage.objects.create(match=match, author=by, side="donor", body=message.strip())
    audit.record(
        "assistance.match.interest_expressed",
        actor=by,
        obj=match,
        state=need.state,
        data={"need": need.pk, "offer": offer.pk if offer else None},
    )
    sync_need_status(need, by=by)
    _tell(match, "donor", "assistance_interest")
    return match


def _locked(match: Match) -> Match:
    return Match.objects.select_for_update().select_related("need__state").get(pk=match.pk)


def _set_match_status(match: Match, status: str, *, by: User, side: str, **fields: Any) -> Match:
    if status not in Match.TRANSITIONS[match.status]:
        raise WorkflowError(_("This conversation cannot change to this status now."))
    match.status = status
    match.updated_at = timezone.now()
    for name, value in fields.items():
        setattr(match, name, value)
    match.save()
    audit.record(
        f"assistance.match.{status}",
        actor=by,
        obj=match,
        state=match.need.state,
        data={"side": side},
    )
    return match


def _move(match: Match, status: str, *, by: User, sides: tuple[str, ...], **fields: Any) -> Match:
    match = _locked(match)
    side = permissions.side_in_match(by, match)
    if side not in sides:
        raise WorkflowError(_("The other party does this, not you."), code="forbidden")
    _set_match_status(match, status, by=by, side=side, **fields)
    sync_need_status(match.need, by=by)
    _tell(match, side)
    return match


@transaction.atomic
def post_match_message(match: Match, *, by: User, body: str) -> MatchMessage:
    match = _locked(match)
    side = permissions.side_in_match(by, match)
    if side is None:
        raise WorkflowError(_("Only the donor and the State write here."), code="forbidden")
    body = clean_text(body, max_length=MESSAGE_MAX_LENGTH)
    if not body:
        raise WorkflowError(_("Write a message."), code="invalid")
    if match.status in Match.CLOSED:
        raise WorkflowError(_("This conversation is closed."))
    message = MatchMessage.objects.create(match=match, author=by, side=side, body=body.strip())
    match.updated_at = timezone.now()
    match.save(update_fields=["updated_at"])
    audit.record("assistance.match.message_added", actor=by, obj=match, state=match.need.state)
    _tell(match, side)
    return message


@transaction.atomic
def record_agreement(
    match: Match, *, by: User, agreement: str, amount: Decimal | None, currency: str = ""
) -> Match:
    """Either party records what was agreed (and the amount, when money is involved)."""
    agreement = clean_text(agreement, max_length=MESSAGE_MAX_LENGTH)
    if not agreement:
        raise WorkflowError(_("Describe what was agreed."), code="invalid")
    if amount is not None and (amount < 0 or not CURRENCY_RE.match(currency or "")):
        raise WorkflowError(
            _("Give a positive amount and its currency as a three-letter code."), code="invalid"
        )
    return _move(
        match,
        Match.Status.AGREED,
        by=by,
        sides=("donor", "state"),
        agreement=agreement.strip(),
        amount=amount,
        currency=currency if amount is not None else "",
    )


@transaction.atomic
def mark_match_funded(match: Match, *, by: User) -> Match:
    return _move(match, Match.Status.FUNDED, by=by, sides=("donor",))


@transaction.atomic
def complete_match(match: Match, *, by: User, outcome: str) -> Match:
    outcome = clean_text(outcome, max_length=OUTCOME_MAX_LENGTH)
    if not outcome:
        raise WorkflowError(_("Write a short note on the outcome."), code="invalid")
    return _move(
        match, Match.Status.COMPLETED, by=by, sides=("donor", "state"), outcome=outcome.strip()
    )


@transaction.atomic
def decline_match(match: Match, *, by: User) -> Match:
    return _move(match, Match.Status.DECLINED, by=by, sides=("state",))


@transaction.atomic
def withdraw_match(match: Match, *, by: User) -> Match:
    return _move(match, Match.Status.WITHDRAWN, by=by, sides=("donor",))
