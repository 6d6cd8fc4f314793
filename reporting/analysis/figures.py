"""The figures of the analysis of national reports, per cycle.

Who reported, and when, is public and the same in both editions. What States answered comes
only from published reports, from each one's latest published revision (never from drafts or
an amendment in progress): the public edition reads public reports only, the staff edition
every published report. Labels are translated into the active language.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from core.i18n import pick
from core.models import MemberState
from reporting.filters import REGIONS
from reporting.models import Cycle, DeadlineExtension, Question, Report, ReportRevision
from reporting.selectors import questionnaire_structure

GENDER_PREFIX = "crosscutting.gender."
YOUTH_PREFIX = "crosscutting.youth."
#: Also a gender item when a questionnaire asks it as yes/no (2026 asks for a number).
WOMEN_IN_BODY = "coordination.body.women"
SDG_SEIZED = "crosscutting.sdg1642.seized"
SDG_TRACED = "crosscutting.sdg1642.traced"


@dataclass(frozen=True)
class Share:
    """`count` out of `total`, e.g. States that reported out of all States."""

    label: str
    count: int
    total: int

    @property
    def percent(self) -> float | None:
        if not self.total:
            return None
        return round(100 * self.count / self.total, 1)


@dataclass(frozen=True)
class ReportingFigures:
    received: Share
    by_group: list[Share]
    by_region: list[Share]
    trend: list[Share]
    on_time: int
    late: int
    never_reported: list[MemberState]
    reported_once: list[MemberState]


@dataclass(frozen=True)
class QuestionShares:
    """For one yes/no question: States answering "yes" out of those that answered it."""

    key: str
    number: str
    text: str
    overall: Share
    by_region: list[Share]


@dataclass(frozen=True)
class SectionShares:
    key: str
    number: str
    title: str
    questions: list[QuestionShares]


@dataclass(frozen=True)
class SdgFigures:
    """SDG indicator 16.4.2: weapons seized, found or surrendered, and of these how many
    were traced. `traced` counts only States that also gave the number seized, so that
    the ratio compares like with like."""

    states: int
    seized: int | Decimal
    traced: int | Decimal
    ratio: float | None


@dataclass(frozen=True)
class Highlights:
    gender: list[QuestionShares]
    youth: list[QuestionShares]
    sdg: SdgFigures


# --- who reported ----------------------------------------------------------------------------


def sort_states(states: Iterable[MemberState]) -> list[MemberState]:
    """States by their name in the active language, accents ignored."""

    def key(state: MemberState) -> str:
        name = unicodedata.normalize("NFKD", state.localized_name())
        return "".join(c for c in name if not unicodedata.combining(c)).casefold()

    return sorted(states, key=key)


def _group_of(state: MemberState) -> str:
    return state.regional_group or state.takes_part_in


def _shares_by(
    states: Sequence[MemberState], received: set[int], attribute, labels: Sequence[tuple]
) -> list[Share]:
    totals = Counter(attribute(s) for s in states)
    counts = Counter(attribute(s) for s in states if s.pk in received)
    return [Share(str(label), counts[code], totals[code]) for code, label in labels]


def _by_group(states: Sequence[MemberState], received: set[int]) -> list[Share]:
    """Per UN regional group (membership, or else the group a State takes part in)."""
    labels: list[tuple] = list(MemberState.RegionalGroup.choices)
    if any(not _group_of(s) for s in states):
        labels.append(("", _("Not in a regional group")))
    return _shares_by(states, received, _group_of, labels)


def _trend(cycle: Cycle, total: int) -> list[Share]:
    """Reports received in each cycle up to this one, oldest first, out of today's States."""
    cycles = (
        Cycle.objects.filter(deadline__lte=cycle.deadline)
        .select_related("meeting")
        .annotate(received=Count("reports", filter=Q(reports__submitted_at__isnull=False)))
        .order_by("deadline", "pk")
    )
    return [Share(str(c.meeting.short_name), c.received, total) for c in cycles]


def _timeliness(cycle: Cycle, submitted: dict[int, Any]) -> tuple[int, int]:
    """(on time, late): the submission day against the deadline or the State's extension,
    as `Report.is_late` decides."""
    extended = dict(
        DeadlineExtension.objects.filter(cycle=cycle).values_list("state_id", "deadline")
    )
    late = sum(
        1
        for state_id, at in submitted.items()
        if at.date() > extended.get(state_id, cycle.deadline)
    )
    return len(submitted) - late, late


def _reports_per_state(cycle: Cycle) -> dict[int, int]:
    """State id → reports received in this cycle and the cycles before it."""
    rows = (
        Report.objects.filter(submitted_at__isnull=False, cycle__deadline__lte=cycle.deadline)
        .values("state_id")
        .annotate(n=Count("id"))
        .values_list("state_id", "n")
    )
    return dict(rows)


def reporting_figures(cycle: Cycle) -> ReportingFigures:
    """Who reported in `cycle`, out of all States; the same in both editions (that a State
    reported is public, and no answer is read)."""
    states = list(MemberState.objects.all())
    submitted = dict(
        Report.objects.filter(cycle=cycle, submitted_at__isnull=False).values_list(
            "state_id", "submitted_at"
        )
    )
    received = set(submitted)
    history = _reports_per_state(cycle)
    on_time, late = _timeliness(cycle, submitted)
    return ReportingFigures(
        received=Share(_("Reports received"), len(received), len(states)),
        by_group=_by_group(states, received),
        by_region=_shares_by(states, received, lambda s: s.region, REGIONS),
        trend=_trend(cycle, len(states)),
        on_time=on_time,
        late=late,
        never_reported=sort_states(s for s in states if not history.get(s.pk)),
        reported_once=sort_states(s for s in states if history.get(s.pk) == 1),
    )


# --- what States answered --------------------------------------------------------------------


def content_reports(cycle: Cycle, *, staff: bool) -> QuerySet[Report]:
    """Published reports of `cycle` whose answers the edition may use: public ones only,
    or every published one for the staff edition."""
    reports = Report.objects.published().filter(cycle=cycle)
    if not staff:
        reports = reports.filter(published_visibility=Report.Visibility.PUBLIC)
    return reports


def content_answers(cycle: Cycle, *, staff: bool) -> list[tuple[str, dict[str, Any]]]:
    """(M49 region, answers) of each content report's latest published revision, in one
    query."""
    latest = (
        ReportRevision.objects.filter(report=OuterRef("report"), status=Report.Status.PUBLISHED)
        .order_by("-number")
        .values("number")[:1]
    )
    rows = ReportRevision.objects.filter(
        report__in=content_reports(cycle, staff=staff),
        status=Report.Status.PUBLISHED,
        number=Subquery(latest),
    ).values_list("report__state__region", "answers")
    return [(region, answers or {}) for region, answers in rows]


def _answered(value: Any) -> bool:
    return value not in (None, "", [], {})


def question_shares(
    question: Question, rows: Sequence[tuple[str, dict[str, Any]]]
) -> QuestionShares:
    """States answering "yes" out of those whose report answered `question`, overall and
    per region."""
    answered: Counter[str] = Counter()
    yes: Counter[str] = Counter()
    for region, answers in rows:
        value = answers.get(question.key)
        if _answered(value):
            answered[region] += 1
            yes[region] += value == "yes"
    return QuestionShares(
        key=question.key,
        number=question.number,
        text=pick(question.text),
        overall=Share(question.number, sum(yes.values()), sum(answered.values())),
        by_region=[Share(str(label), yes[code], answered[code]) for code, label in REGIONS],
    )


def _yes_no_questions(cycle: Cycle) -> tuple[tuple, list[Question]]:
    if cycle.questionnaire_id is None:
        return (), []
    sections, questions = questionnaire_structure(cycle.questionnaire)
    return sections, [q for q in questions if q.type == Question.Type.YES_NO]


def measure_shares(cycle: Cycle, *, staff: bool) -> list[SectionShares]:
    """Per questionnaire section with yes/no questions, the share of States with each
    measure in place."""
    sections, questions = _yes_no_questions(cycle)
    rows = content_answers(cycle, staff=staff)
    result = []
    for section in sections:
        asked = [q for q in questions if q.section_id == section.pk]
        if asked:
            result.append(
                SectionShares(
                    key=section.key,
                    number=section.number,
                    title=pick(section.title),
                    questions=[question_shares(q, rows) for q in asked],
                )
            )
    return result


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not _answered(value):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _plain(number: Decimal) -> int | Decimal:
    return int(number) if number == number.to_integral_value() else number


def sdg_figures(rows: Sequence[tuple[str, dict[str, Any]]]) -> SdgFigures:
    """Sums of the SDG 16.4.2 numbers over the reports that gave the number seized."""
    states, seized, traced = 0, Decimal(0), Decimal(0)
    for _region, answers in rows:
        count = _number(answers.get(SDG_SEIZED))
        if count is None:
            continue
        states += 1
        seized += count
        traced += _number(answers.get(SDG_TRACED)) or 0
    ratio = round(float(100 * traced / seized), 1) if seized else None
    return SdgFigures(states=states, seized=_plain(seized), traced=_plain(traced), ratio=ratio)


def highlights(cycle: Cycle, *, staff: bool) -> Highlights:
    """Gender and youth yes/no items, and the SDG 16.4.2 figures."""
    _sections, questions = _yes_no_questions(cycle)
    rows = content_answers(cycle, staff=staff)
    gender = [q for q in questions if q.key.startswith(GENDER_PREFIX) or q.key == WOMEN_IN_BODY]
    youth = [q for q in questions if q.key.startswith(YOUTH_PREFIX)]
    return Highlights(
        gender=[question_shares(q, rows) for q in gender],
        youth=[question_shares(q, rows) for q in youth],
        sdg=sdg_figures(rows),
    )
