"""State changes on the directory of national points of contact."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit
from core.emails import render_subject, send_templated_mail
from core.errors import WorkflowError
from core.i18n import format_list
from core.models import MemberState, Role, User
from core.selectors import users_with_role
from core.services import notify
from tracing.models import (
    CONTACT_FIELDS,
    PUBLIC_BY_DEFAULT,
    ConfirmationRequest,
    ContactPoint,
    ContactPointVersion,
    ContactUpdateProposal,
    MarkingPractice,
)
from tracing.permissions import can_edit_contacts

TEXT_LIMITS = {"address": 1000}
CONFIRM_AFTER_DAYS = 365


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """Contact fields from a form, the API or a report answer; unknown fields are refused."""
    unknown = set(data) - {*CONTACT_FIELDS, "same_as_poa", "public_fields"}
    if unknown:
        raise WorkflowError(
            _("Unknown fields: %(fields)s.") % {"fields": format_list(sorted(unknown))},
            code="invalid",
        )
    cleaned: dict[str, Any] = {}
    for name in CONTACT_FIELDS:
        if name == "working_languages":
            languages = data.get(name) or []
            if not isinstance(languages, list) or not set(languages) <= set(
                settings.LANGUAGE_CODES
            ):
                raise WorkflowError(
                    _("Choose working languages among the six UN languages."), code="invalid"
                )
            cleaned[name] = [code for code in settings.LANGUAGE_CODES if code in languages]
            continue
        value = str(data.get(name) or "").strip()
        if len(value) > TEXT_LIMITS.get(name, 300):
            raise WorkflowError(
                _("The field “%(field)s” is too long.") % {"field": name}, code="invalid"
            )
        cleaned[name] = value
    if cleaned["email"]:
        try:
            validate_email(cleaned["email"])
        except ValidationError:
            raise WorkflowError(_("Enter a valid e-mail address."), code="invalid") from None
    public = data.get("public_fields", list(PUBLIC_BY_DEFAULT))
    cleaned["public_fields"] = [name for name in CONTACT_FIELDS if name in public]
    cleaned["same_as_poa"] = bool(data.get("same_as_poa"))
    return cleaned


@transaction.atomic
def save_contact_point(
    *, state: MemberState, kind: str, data: dict[str, Any], by: User, note: str = ""
) -> ContactPoint:
    """Create or update one of a State's contacts; keeps the history and counts as a
    confirmation of that contact."""
    if not can_edit_contacts(by, state):
        raise WorkflowError(_("You may not change this State's contacts."), code="forbidden")
    if kind not in ContactPoint.Kind.values:
        raise WorkflowError(_("Unknown kind of contact."), code="invalid")
    fields = _clean(data)
    now = timezone.now()
    contact, created = ContactPoint.objects.select_for_update().get_or_create(
        state=state, kind=kind, defaults={"updated_at": now}
    )
    for name, value in fields.items():
        setattr(contact, name, value)
    contact.updated_at = contact.last_confirmed_at = now
    contact.updated_by = by
    contact.save()
    ContactPointVersion.objects.create(
        contact=contact,
        data=contact.data(),
        public_fields=contact.public_fields,
        changed_by=by,
        note=note[:200],
    )
    audit.record(
        "tracing.contact.created" if created else "tracing.contact.updated",
        actor=by,
        obj=contact,
        state=state,
        data={"kind": kind, "note": note[:200]},
    )
    return contact


@transaction.atomic
def confirm_contacts(*, state: MemberState, by: User) -> int:
    """The State confirms that its contacts are still right."""
    if not can_edit_contacts(by, state):
        raise WorkflowError(_("You may not change this State's contacts."), code="forbidden")
    count = ContactPoint.objects.filter(state=state).update(last_confirmed_at=timezone.now())
    audit.record(
        "tracing.contacts.confirmed", actor=by, obj=state, state=state, data={"contacts": count}
    )
    return count


def request_yearly_confirmations(*, today: datetime.date | None = None) -> int:
    """Ask each State whose contacts were not confirmed for a year to confirm or update them
    (once per State and calendar year, whatever re-runs)."""
    today = today or timezone.localdate()
    limit = timezone.now() - datetime.timedelta(days=CONFIRM_AFTER_DAYS)
    stale = (
        (
            ContactPoint.objects.filter(last_confirmed_at__lt=limit)
            | ContactPoint.objects.filter(last_confirmed_at__isnull=True, updated_at__lt=limit)
        )
        .values_list("state_id", flat=True)
        .distinct()
    )
    asked = 0
    for state in MemberState.objects.filter(pk__in=list(stale)):
        asked += _ask(state, today.year)
    return asked


def _ask(state: MemberState, year: int) -> int:
    approvers = list(users_with_role(Role.STATE_APPROVER, state=state))
    path = reverse("tracing:state-contacts", args=[state.iso3])
    try:
        with transaction.atomic():
            ConfirmationRequest.objects.create(state=state, year=year, recipients=len(approvers))
            for person in approvers:
                context = {"state": state, "link": settings.SITE_URL + path}
                notify(
                    user=person,
                    url=path,
                    message=render_subject("contacts_confirmation", person.language, context),
                )
                send_templated_mail(
                    template="contacts_confirmation",
                    to=person.email,
                    language=person.language,
                    context=context,
                )
            audit.record(
                "tracing.contacts.confirmation_requested",
                actor=None,
                obj=state,
                state=state,
                data={"year": year, "recipients": len(approvers)},
            )
    except IntegrityError:
        return 0
    return 1


# --- updates offered by published reports -------------------------------------------------

#: Report questions (by key) whose contact answers feed the directory.
REPORT_CONTACT_KEYS = {
    "coordination.poc": ContactPoint.Kind.POA,
    "coordination.iti_poc": ContactPoint.Kind.ITI,
    "coordination.body.contact": ContactPoint.Kind.COORDINATION,
}


def propose_updates_from_report(report, answers: dict[str, Any]) -> list[ContactUpdateProposal]:
    """Contacts answered in a published report become proposals for the directory."""
    proposals = []
    for key, kind in REPORT_CONTACT_KEYS.items():
        value = answers.get(key)
        if not isinstance(value, dict) or not any(value.values()):
            continue
        current = ContactPoint.objects.filter(state=report.state, kind=kind).first()
        if current and all(
            getattr(current, k) == v for k, v in value.items() if k in CONTACT_FIELDS
        ):
            continue
        proposals.append(
            ContactUpdateProposal.objects.create(
                state=report.state,
                kind=kind,
                report=report,
                data={k: v for k, v in value.items() if k in CONTACT_FIELDS},
            )
        )
    return proposals


@transaction.atomic
def decide_proposal(
    *, proposal: ContactUpdateProposal, accept: bool, by: User
) -> ContactUpdateProposal:
    """The State or UNODA applies (or dismisses) a contact update from a report."""
    proposal = ContactUpdateProposal.objects.select_for_update().get(pk=proposal.pk)
    if not can_edit_contacts(by, proposal.state):
        raise WorkflowError(_("You may not change this State's contacts."), code="forbidden")
    if proposal.decided_at is not None:
        raise WorkflowError(_("This update has already been decided."), code="decided")
    if accept:
        current = ContactPoint.objects.filter(state=proposal.state, kind=proposal.kind).first()
        data = {**(current.data() if current else {}), **proposal.data}
        if current:
            data["public_fields"] = current.public_fields
        save_contact_point(
            state=proposal.state,
            kind=proposal.kind,
            data=data,
            by=by,
            note=_("From the published report"),
        )
    proposal.decided_at, proposal.decided_by, proposal.accepted = timezone.now(), by, accept
    proposal.save(update_fields=["decided_at", "decided_by", "accepted"])
    audit.record(
        "tracing.contact_update.decided",
        actor=by,
        obj=proposal,
        state=proposal.state,
        data={"accepted": accept},
    )
    return proposal


# --- marking practices ----------------------------------------------------------------------

#: Report question key → marking practice field.
REPORT_MARKING_KEYS = {
    "manufacture.marking": "manufacture_required",
    "manufacture.marking.elements": "manufacture_elements",
    "manufacture.marking.country_code": "country_code",
    "manufacture.marking.methods": "manufacture_methods",
    "transfers.import_marking": "import_required",
    "transfers.import_marking.format": "import_mark_format",
    "transfers.import_marking.year": "import_mark_year",
    "stockpiles.marking": "state_held_marked",
}
EDITABLE_MARKING_FIELDS = (*REPORT_MARKING_KEYS.values(), "alteration_measures", "is_public")


def update_marking_from_report(report, answers: dict[str, Any]) -> MarkingPractice | None:
    """A published report fills the State's marking practice (answers it gives win)."""
    values = {
        field: answers[key]
        for key, field in REPORT_MARKING_KEYS.items()
        if answers.get(key) not in (None, "", [])
    }
    if not values:
        return None
    practice, _created = MarkingPractice.objects.update_or_create(
        state=report.state,
        defaults={
            **values,
            "source_report": report,
            "updated_at": timezone.now(),
            "is_public": report.published_visibility == "public",
        },
    )
    audit.record(
        "tracing.marking.updated",
        actor=None,
        obj=practice,
        state=report.state,
        data={"from_report": report.pk, "fields": sorted(values)},
    )
    return practice


@transaction.atomic
def save_marking_practice(*, state: MemberState, data: dict[str, Any], by: User) -> MarkingPractice:
    """The State (or UNODA) corrects or completes its marking practice."""
    if not can_edit_contacts(by, state):
        raise WorkflowError(
            _("You may not change this State's marking practice."), code="forbidden"
        )
    unknown = set(data) - set(EDITABLE_MARKING_FIELDS)
    if unknown:
        raise WorkflowError(
            _("Unknown fields: %(fields)s.") % {"fields": format_list(sorted(unknown))},
            code="invalid",
        )
    practice, _created = MarkingPractice.objects.get_or_create(state=state)
    for name, value in data.items():
        setattr(practice, name, value)
    practice.updated_at, practice.updated_by = timezone.now(), by
    practice.save()
    audit.record(
        "tracing.marking.updated",
        actor=by,
        obj=practice,
        state=state,
        data={"fields": sorted(data)},
    )
    return practice
