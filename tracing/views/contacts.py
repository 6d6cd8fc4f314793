"""The directory of national points of contact: pages and exports."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import WorkflowError
from core.i18n import current_language, format_list
from core.models import MemberState
from core.pdf import render_template_to_pdf
from core.views import deny
from reporting.exports import neutralise
from reporting.questions import display_value
from tracing import selectors, services
from tracing.forms import (
    FIELD_LABELS,
    ContactPointForm,
    DirectoryFilterForm,
    MarkingForm,
    MarkingSearchForm,
)
from tracing.models import CONTACT_FIELDS, ContactPoint, ContactUpdateProposal, MarkingPractice
from tracing.permissions import can_edit_contacts


def _filtered(request: HttpRequest) -> tuple[DirectoryFilterForm, list[ContactPoint]]:
    form = DirectoryFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    contacts = selectors.directory(
        request.user,
        text=data.get("q", ""),
        region=data.get("region", ""),
        group=data.get("group", ""),
        kind=data.get("kind", ""),
    )
    return form, contacts


def _rows(request: HttpRequest, contacts: list[ContactPoint]) -> list[dict[str, Any]]:
    return [{"contact": c, "fields": selectors.visible_contact(request.user, c)} for c in contacts]


@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    form, contacts = _filtered(request)
    return render(
        request,
        "tracing/directory.html",
        {
            "form": form,
            "rows": _rows(request, contacts),
            "labels": FIELD_LABELS,
        },
    )


@require_GET
def directory_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The directory as the reader may see it, as CSV (formula-safe)."""
    _form, contacts = _filtered(request)

    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())

    def lines():
        yield "\ufeff"
        yield writer.writerow(["state", "kind", *CONTACT_FIELDS, "last_confirmed"])
        for row in _rows(request, contacts):
            contact, fields = row["contact"], row["fields"]
            values = [
                ", ".join(v) if isinstance(v, list) else v
                for v in (fields.get(name, "") for name in CONTACT_FIELDS)
            ]
            yield writer.writerow(
                [
                    neutralise(str(v))
                    for v in [
                        contact.state.iso3,
                        contact.kind,
                        *values,
                        contact.last_confirmed_at.date().isoformat()
                        if contact.last_confirmed_at
                        else "",
                    ]
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="points-of-contact.csv"'
    return response


def _vcard_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


@require_GET
def directory_vcard(request: HttpRequest) -> HttpResponse:
    """The directory as vCards (version 4.0), only the fields the reader may see."""
    _form, contacts = _filtered(request)
    cards = []
    for row in _rows(request, contacts):
        contact, fields = row["contact"], row["fields"]
        name = fields.get("name") or str(contact)
        lines = [
            "BEGIN:VCARD",
            "VERSION:4.0",
            f"FN:{_vcard_text(name)}",
            f"ORG:{_vcard_text(fields.get('organisation') or contact.state.name)}",
            f"NOTE:{_vcard_text(str(contact))}",
        ]
        for key, prop in (("position", "TITLE"), ("email", "EMAIL"), ("phone", "TEL")):
            if fields.get(key):
                lines.append(f"{prop}:{_vcard_text(fields[key])}")
        if fields.get("address"):
            lines.append(f"ADR:;;{_vcard_text(fields['address'])};;;;")
        cards.append("\r\n".join([*lines, "END:VCARD"]))
    response = HttpResponse("\r\n".join(cards) + "\r\n", content_type="text/vcard; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="points-of-contact.vcf"'
    return response


@require_GET
def directory_pdf(request: HttpRequest) -> HttpResponse:
    _form, contacts = _filtered(request)
    pdf = render_template_to_pdf(
        "tracing/directory_pdf.html",
        {
            "rows": _rows(request, contacts),
            "labels": FIELD_LABELS,
            "generated_at": timezone.now(),
        },
        language=current_language(),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="points-of-contact.pdf"'
    return response


def get_state_for_contacts(request: HttpRequest, iso3: str, *, edit: bool) -> MemberState:
    state = get_object_or_404(MemberState, iso3=iso3.upper())
    if edit and not can_edit_contacts(request.user, state):
        raise deny(request, "cannot edit contacts")
    return state


@require_GET
def state_contacts(request: HttpRequest, iso3: str) -> HttpResponse:
    state = get_state_for_contacts(request, iso3, edit=False)
    contacts = list(ContactPoint.objects.filter(state=state).select_related("state"))
    editable = can_edit_contacts(request.user, state)
    return render(
        request,
        "tracing/state_contacts.html",
        {
            "state": state,
            "rows": _rows(request, contacts),
            "labels": FIELD_LABELS,
            "editable": editable,
            "kinds": ContactPoint.Kind.choices,
            "proposals": ContactUpdateProposal.objects.filter(state=state, decided_at__isnull=True)
            if editable
            else [],
        },
    )


@login_required
def contact_edit(request: HttpRequest, iso3: str, kind: str) -> HttpResponse:
    state = get_state_for_contacts(request, iso3, edit=True)
    if kind not in ContactPoint.Kind.values:
        return redirect("tracing:state-contacts", state.iso3)
    contact = ContactPoint.objects.filter(state=state, kind=kind).first()
    initial = (
        {**contact.data(), "public_fields": contact.public_fields}
        if contact
        else {"public_fields": list(services.PUBLIC_BY_DEFAULT)}
    )
    form = ContactPointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_contact_point(
                state=state, kind=kind, data=form.cleaned_data, by=request.user
            )
        except WorkflowError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The contact was saved."))
            return redirect("tracing:state-contacts", state.iso3)
    return render(
        request,
        "tracing/contact_form.html",
        {
            "state": state,
            "form": form,
            "kind": ContactPoint.Kind(kind),
            "history": contact.versions.select_related("changed_by")[:20] if contact else [],
        },
    )


@login_required
@require_POST
def contacts_confirm(request: HttpRequest, iso3: str) -> HttpResponse:
    state = get_state_for_contacts(request, iso3, edit=True)
    services.confirm_contacts(state=state, by=request.user)
    messages.success(request, _("Thank you: the contacts are confirmed for another year."))
    return redirect("tracing:state-contacts", state.iso3)


@login_required
@require_POST
def proposal_decide(request: HttpRequest, iso3: str, pk: int) -> HttpResponse:
    state = get_state_for_contacts(request, iso3, edit=True)
    proposal = get_object_or_404(ContactUpdateProposal, state=state, pk=pk)
    try:
        services.decide_proposal(
            proposal=proposal, accept=request.POST.get("accept") == "1", by=request.user
        )
    except WorkflowError as exc:
        messages.error(request, exc.message)
    return redirect("tracing:state-contacts", state.iso3)


# --- marking practices --------------------------------------------------------------------


def _marking_rows(practice: MarkingPractice) -> list[tuple[str, str]]:
    """(label, readable value) per field, with option labels of the report's questionnaire."""
    questions = {}
    if practice.source_report_id:
        from reporting.selectors import questionnaire_structure

        _sections, found = questionnaire_structure(practice.source_report.questionnaire)
        questions = {q.key: q for q in found}
    rows = []
    for key, field in services.REPORT_MARKING_KEYS.items():
        value = getattr(practice, field)
        if value in ("", [], None):
            continue
        question = questions.get(key)
        shown = (
            display_value(question, value, current_language())
            if question
            else (format_list(value) if isinstance(value, list) else value)
        )
        rows.append((MarkingPractice._meta.get_field(field).verbose_name, shown))
    if practice.alteration_measures:
        rows.append(
            (
                MarkingPractice._meta.get_field("alteration_measures").verbose_name,
                practice.alteration_measures,
            )
        )
    return rows


@require_GET
def marking_catalogue(request: HttpRequest) -> HttpResponse:
    form = MarkingSearchForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    practices = selectors.marking_catalogue(
        request.user, text=data.get("q", ""), region=data.get("region", "")
    )
    practices = practices.select_related("source_report__questionnaire")
    return render(
        request,
        "tracing/marking_catalogue.html",
        {
            "form": form,
            "entries": [{"practice": p, "rows": _marking_rows(p)} for p in practices],
        },
    )


@login_required
def marking_edit(request: HttpRequest, iso3: str) -> HttpResponse:
    state = get_state_for_contacts(request, iso3, edit=True)
    practice = MarkingPractice.objects.filter(state=state).first()
    form = MarkingForm(request.POST or None, instance=practice)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_marking_practice(
                state=state,
                by=request.user,
                data={name: form.cleaned_data[name] for name in MarkingForm.Meta.fields},
            )
        except WorkflowError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The marking practice was saved."))
            return redirect("tracing:marking-catalogue")
    return render(request, "tracing/marking_form.html", {"state": state, "form": form})
