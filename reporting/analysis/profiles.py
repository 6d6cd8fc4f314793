"""Annex: a one-page profile of each State whose report was received — when and whether on
time, and per questionnaire section how many of the measures asked about are in place."""

from __future__ import annotations

from typing import Any

from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from core.i18n import pick
from core.models import MemberState
from reporting.analysis.sections import AnalysisSection, register
from reporting.models import Cycle, Question, Report, ReportRevision
from reporting.selectors import questionnaire_structure


def _deadline(cycle: Cycle, state: MemberState):
    extension = cycle.extensions.filter(state=state).first()
    return extension.deadline if extension else cycle.deadline


def _published_answers(reports: list[Report]) -> dict[int, dict[str, Any]]:
    """Report id → the answers of its latest published revision (two queries)."""
    latest = (
        ReportRevision.objects.filter(report__in=reports, status=Report.Status.PUBLISHED)
        .values("report")
        .annotate(number=Max("number"))
    )
    wanted = {(row["report"], row["number"]) for row in latest}
    revisions = ReportRevision.objects.filter(
        report__in=[report_id for report_id, _n in wanted]
    ).only("report_id", "number", "answers")
    return {r.report_id: r.answers for r in revisions if (r.report_id, r.number) in wanted}


def _sections(cycle: Cycle, answers: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Per section: measures in place (yes) out of the yes/no questions answered."""
    sections, questions = questionnaire_structure(cycle.questionnaire)
    rows = []
    for section in sections:
        asked = [
            q for q in questions if q.section_id == section.pk and q.type == Question.Type.YES_NO
        ]
        if not asked:
            continue
        answered = [answers[q.key] for q in asked if answers and q.key in answers]
        rows.append(
            {
                "number": section.number,
                "title": pick(section.title),
                "yes": sum(1 for value in answered if value == "yes"),
                "answered": len(answered),
                "asked": len(asked),
            }
        )
    return rows


def profiles_context(cycle: Cycle, staff: bool, *, states: list[str]) -> dict[str, Any]:
    """The profiles of `states` (ISO3 codes). In the public edition a restricted report's
    answers are left out: its profile says the report is restricted."""
    reports = list(
        Report.objects.filter(cycle=cycle, state__iso3__in=states, submitted_at__isnull=False)
        .select_related("state")
        .order_by("state__name")
    )
    readable = [
        r
        for r in reports
        if r.published_at and (staff or r.published_visibility == Report.Visibility.PUBLIC)
    ]
    answers = _published_answers(readable)
    profiles = []
    for report in reports:
        shown = report.pk in answers
        profiles.append(
            {
                "state": report.state,
                "report": report,
                "on_time": report.submitted_at.date() <= _deadline(cycle, report.state),
                "content_shown": shown,
                "restricted": report.published_visibility == Report.Visibility.RESTRICTED,
                "sections": _sections(cycle, answers.get(report.pk)) if shown else [],
            }
        )
    return {"profiles": profiles}


def register_profiles() -> None:
    register(
        AnalysisSection(
            key="profiles",
            order=100,
            title=_("Profiles of the reporting States"),
            context=profiles_context,
            template="reporting/analysis/section_profiles.html",
            annex=True,
            per_state=True,
        )
    )
