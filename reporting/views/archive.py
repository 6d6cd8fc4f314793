"""Public archive pages: published reports by State and cycle, search, a State's history."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from core.i18n import current_language
from core.models import MemberState
from reporting import selectors
from reporting.archive import archive_reports
from reporting.forms import ArchiveFilterForm
from reporting.revisions import diff_answers


@require_GET
def archive(request: HttpRequest) -> HttpResponse:
    form = ArchiveFilterForm(request.GET or None)
    reports = archive_reports(request.user)
    if form.is_valid():
        data = form.cleaned_data
        reports = archive_reports(
            request.user, text=data["q"], answer_key=data["question"], answer_value=data["answer"]
        )
        if data["cycle"]:
            reports = reports.filter(cycle=data["cycle"])
        if data["region"]:
            reports = reports.filter(state__region=data["region"])
        if data["regional_group"]:
            reports = reports.filter(state__regional_group=data["regional_group"])
    page = Paginator(reports, 50).get_page(request.GET.get("page"))
    return render(request, "reporting/archive.html", {"form": form, "page": page})


@require_GET
def state_history(request: HttpRequest, iso3: str) -> HttpResponse:
    """A State's published reports across cycles, and what changed from one to the next."""
    state = get_object_or_404(MemberState, iso3=iso3.upper())
    reports = list(
        archive_reports(request.user)
        .filter(state=state)
        .order_by("cycle__deadline")
        .select_related("questionnaire")
    )
    steps = []
    previous = None
    for report in reports:
        values, _revisions = selectors.answers_for_reader(request.user, report)
        changes = []
        if previous is not None:
            _sections, questions = selectors.questionnaire_structure(report.questionnaire)
            changes = diff_answers(questions, previous, values, language=current_language())
        steps.append({"report": report, "changes": changes, "first": previous is None})
        previous = values
    return render(
        request,
        "reporting/state_history.html",
        {
            "state": state,
            "steps": list(reversed(steps)),
        },
    )
