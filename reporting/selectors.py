"""Reads of meetings, cycles, questionnaires and reports, scoped to who asks."""

from __future__ import annotations

from functools import lru_cache

from django.db.models import Q, QuerySet

from core import permissions
from core.models import User
from reporting.models import (
    AnalysisEdition,
    Answer,
    Cycle,
    Meeting,
    Question,
    QuestionnaireVersion,
    Report,
    ReportRevision,
    Section,
)
from reporting.permissions import DRAFTING_ROLES, is_government_official


def meetings_queryset() -> QuerySet[Meeting]:
    """Meetings and their cycles are public."""
    return Meeting.objects.select_related("cycle").order_by("-start_date")


def open_cycles() -> QuerySet[Cycle]:
    return Cycle.objects.open_on().select_related("meeting").order_by("deadline")


def published_questionnaires() -> QuerySet[QuestionnaireVersion]:
    """Questionnaire content is public once published."""
    return QuestionnaireVersion.objects.filter(status=QuestionnaireVersion.Status.PUBLISHED)


def reports_visible_to(user: User) -> QuerySet[Report]:
    """UNODA staff see every report; a State's officials and delegated assistants see their
    State's reports in any status; everyone sees public published reports, and government
    officials also restricted ones."""
    qs = Report.objects.select_related("state", "cycle__meeting")
    if permissions.is_unoda_staff(user):
        return qs
    published = Q(published_at__isnull=False)
    if not is_government_official(user):
        published &= Q(published_visibility=Report.Visibility.PUBLIC)
    own = Q(state__in=permissions.states_for(user, *DRAFTING_ROLES))
    return qs.filter(published | own)


def review_queue(user: User) -> QuerySet[Report]:
    """Submitted reports waiting for UNODA, oldest first."""
    if not permissions.is_unoda_staff(user):
        return Report.objects.none()
    return reports_visible_to(user).submitted().order_by("submitted_at")


@lru_cache(maxsize=32)
def _structure(version_id: int, published_at) -> tuple[tuple[Section, ...], tuple[Question, ...]]:
    sections = tuple(Section.objects.filter(version_id=version_id).order_by("position"))
    questions = tuple(
        Question.objects.filter(version_id=version_id).order_by("section__position", "position")
    )
    return sections, questions


def questionnaire_structure(
    version: QuestionnaireVersion,
) -> tuple[tuple[Section, ...], tuple[Question, ...]]:
    """Sections and questions of a version, in order. Published versions never change, so
    they are read once per process (keyed by their publication time too); drafts are read
    every time."""
    if version.status == QuestionnaireVersion.Status.PUBLISHED and version.published_at:
        return _structure(version.pk, version.published_at)
    return _structure.__wrapped__(version.pk, None)


def answers_of(report: Report) -> dict[str, object]:
    """{question key: value} for a report, in one query. Every autosave reads them all, so
    the keys of a published questionnaire come from its structure, read once per process,
    rather than from a join with the questions (kept for drafts, and for an answer to a
    question of another version)."""
    version = report.questionnaire
    if version.status != QuestionnaireVersion.Status.PUBLISHED or not version.published_at:
        return dict(report.answers.values_list("question__key", "value"))
    keys = {q.pk: q.key for q in questionnaire_structure(version)[1]}
    rows = Answer.objects.filter(report_id=report.pk).values_list("question_id", "value")
    found = {keys.get(question_id): value for question_id, value in rows}
    if None in found:
        return dict(report.answers.values_list("question__key", "value"))
    return found


def answers_with_derived(report: Report) -> dict[str, object]:
    """The answers now, with calculated values computed, as a revision would store them."""
    from reporting.questions import compute_derived

    values = answers_of(report)
    _sections, questions = questionnaire_structure(report.questionnaire)
    for question in questions:
        if question.type == Question.Type.DERIVED:
            values[question.key] = compute_derived(question, values)
    return values


def published_revision(report: Report) -> ReportRevision | None:
    """The last revision UNODA published: what readers outside the State and UNODA see."""
    return report.revisions.filter(status=Report.Status.PUBLISHED).order_by("-number").first()


def answers_for_reader(user: User, report: Report) -> tuple[dict[str, object], dict[str, int]]:
    """Values (and revisions, for editors) that `user` may read: the live answers for the
    State's officials and UNODA; for everyone else the published revision, so an amendment
    in progress stays private until it is published."""
    if reads_live_answers(user, report):
        rows = list(report.answers.values_list("question__key", "value", "revision"))
        return {k: v for k, v, _r in rows}, {k: r for k, _v, r in rows}
    revision = published_revision(report)
    return (dict(revision.answers) if revision else {}), {}


def reads_live_answers(user: User, report: Report) -> bool:
    return permissions.is_unoda_staff(user) or report.state in permissions.states_for(
        user, *DRAFTING_ROLES
    )


def editions_visible_to(user: User) -> QuerySet[AnalysisEdition]:
    """Staff see every edition, in any status; everyone else the published public ones."""
    editions = AnalysisEdition.objects.select_related("cycle__meeting", "requested_by")
    if permissions.is_unoda_staff(user):
        return editions
    return editions.filter(
        status=AnalysisEdition.Status.DONE,
        kind=AnalysisEdition.Kind.PUBLIC,
        published_at__isnull=False,
    )
