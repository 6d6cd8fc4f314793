"""Deterministic demo reports: which States report in which cycle, and plausible answers.

Everything made here is marked `is_demo=True` and its free texts say "demo". The same seed
always gives the same States, dates and answers.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from core.models import MemberState
from reporting.completion import visible_keys
from reporting.models import Answer, Cycle, Question, Report, ReportRevision
from reporting.questions import clean_answer
from reporting.selectors import questionnaire_structure

#: How keen a region's States are to report, and to have measures in place (M49 regions).
REGION_FACTOR = {"150": 1.3, "019": 1.0, "142": 0.9, "002": 0.8, "009": 0.65}
#: Share of States that report every cycle / often / only once / never, before regional weight.
TIERS = (("always", 0.27), ("often", 0.38), ("once", 0.12), ("never", 0.23))
THEMES = (
    "legislation",
    "stockpile management and security",
    "marking",
    "record keeping",
    "tracing",
    "border and customs control",
    "collection and destruction",
    "DDR",
    "ammunition",
    "gender mainstreaming",
    "data collection and SDG 16.4.2",
    "report preparation",
)
ASSISTANCE_TYPES = ("financial", "technical", "equipment", "training", "expertise")


@dataclass(frozen=True)
class DemoPlan:
    """What the generator makes for one cycle."""

    cycle: Cycle
    late_share: float = 0.25
    restricted_share: float = 0.15


def _rng(*parts: object) -> random.Random:
    return random.Random(":".join(str(p) for p in parts))


def tier_of(state: MemberState, seed: str) -> str:
    """A State's reporting habit, stable for a seed; regions shift the odds."""
    factor = REGION_FACTOR.get(state.region, 1.0)
    weights = [w * (factor if name in ("always", "often") else 1 / factor) for name, w in TIERS]
    return _rng(seed, "tier", state.iso3).choices([n for n, _w in TIERS], weights)[0]


def reports_in(state: MemberState, cycle_index: int, cycles: int, seed: str) -> bool:
    """Whether `state` reports in the cycle at `cycle_index` of `cycles` demo cycles."""
    tier = tier_of(state, seed)
    if tier == "always":
        return True
    if tier == "never":
        return False
    if tier == "once":
        return _rng(seed, "once", state.iso3).randrange(cycles) == cycle_index
    return _rng(seed, "often", state.iso3, cycle_index).random() < 0.7


def _measure_rate(question: Question, state: MemberState, seed: str) -> float:
    """How likely a 'yes' is: each measure has its own base rate, shifted by region."""
    base = 0.35 + 0.55 * _rng(seed, "measure", question.key).random()
    return min(0.97, base * REGION_FACTOR.get(state.region, 1.0))


def _cell(column: dict[str, Any], rng: random.Random, state: MemberState, year: int) -> Any:
    key, kind = column.get("key", ""), column.get("type", "text")
    if key == "theme":
        return rng.choice(THEMES)
    if key == "type":
        return rng.choice(ASSISTANCE_TYPES)
    if key == "currency":
        return "USD"
    if kind == "number":
        return rng.randrange(10, 500) * 1000
    if kind == "date":
        return datetime.date(year - rng.randrange(1, 15), rng.randrange(1, 13), 1).isoformat()
    if kind == "url":
        return f"https://demo.example.org/{state.iso3.lower()}/{key}"
    return f"{column.get('label', {}).get('en', key)} — {state.name} (demo)"


def _value(question: Question, state: MemberState, rng: random.Random, year: int, seed: str) -> Any:
    """A plausible answer for one question (validated by the caller)."""
    kind, config = question.type, question.config or {}
    options = [o["value"] for o in question.options]
    if kind == "yes_no":
        if rng.random() < _measure_rate(question, state, seed):
            return "yes"
        return "in_development" if rng.random() < 0.3 else "no"
    if kind == "single_choice":
        return (
            options[0]
            if rng.random() < _measure_rate(question, state, seed)
            else rng.choice(options)
        )
    if kind == "multiple_choice":
        return [o for o in options if rng.random() < _measure_rate(question, state, seed)]
    if kind in ("short_text", "long_text"):
        return f"{question.number} — {state.name} (demo answer)"
    if kind == "number":
        low = int(config.get("min") or 0)
        high = min(int(config.get("max") or 5000), low + 5000)
        number = rng.randrange(low, high + 1)
        return number if config.get("integer", True) else f"{number}.{rng.randrange(100):02d}"
    if kind == "date":
        return datetime.date(year - rng.randrange(0, 6), rng.randrange(1, 13), 1).isoformat()
    if kind == "contact":
        return {
            "title": "Ms.",
            "name": f"Demo contact of {state.name}",
            "position": "Head of unit",
            "organisation": "Ministry (demo)",
            "phone": "+1 555 0100",
            "email": f"poc.{state.iso3.lower()}@demo.example.org",
        }
    if kind == "table":
        columns = config.get("columns", [])
        return [
            {c["key"]: _cell(c, rng, state, year) for c in columns}
            for _ in range(rng.randrange(1, 4))
        ]
    return None  # files and calculated values are not generated


def demo_answers(
    questions: Sequence[Question], state: MemberState, *, year: int, seed: str, share: float = 1.0
) -> dict[str, Any]:
    """Valid answers to a share of the questions that apply, in the State's circumstances."""
    rng = _rng(seed, "answers", state.iso3, year)
    values: dict[str, Any] = {}
    for question in questions:
        if rng.random() > share:
            continue
        raw = _value(question, state, rng, year, seed)
        try:
            cleaned = clean_answer(question, raw)
        except ValidationError:
            continue
        if cleaned is not None:
            values[question.key] = cleaned
    visible = visible_keys(questions, values)
    return {key: value for key, value in values.items() if key in visible}


def _dates(plan: DemoPlan, rng: random.Random) -> tuple[datetime.datetime, bool]:
    cycle = plan.cycle
    late = rng.random() < plan.late_share and cycle.closes_on > cycle.deadline
    if late:
        span = (cycle.closes_on - cycle.deadline).days
        day = cycle.deadline + datetime.timedelta(days=1 + rng.randrange(max(span, 1)))
    else:
        span = (cycle.deadline - cycle.opens_on).days
        day = cycle.opens_on + datetime.timedelta(days=rng.randrange(max(span, 1)))
    moment = datetime.datetime.combine(day, datetime.time(9 + rng.randrange(8)), datetime.UTC)
    return moment, late


@transaction.atomic
def publish_demo_reports(
    plan: DemoPlan,
    states: Iterable[MemberState],
    *,
    cycle_index: int,
    cycles: int,
    seed: str = "demo",
) -> list[Report]:
    """Published demo reports for the States that report in this cycle (idempotent)."""
    _sections, questions = questionnaire_structure(plan.cycle.questionnaire)
    made = []
    existing = set(Report.objects.filter(cycle=plan.cycle).values_list("state_id", flat=True))
    for state in states:
        if state.pk in existing or not reports_in(state, cycle_index, cycles, seed):
            continue
        rng = _rng(seed, "report", state.iso3, plan.cycle.pk)
        submitted_at, _late = _dates(plan, rng)
        answers = demo_answers(questions, state, year=plan.cycle.deadline.year, seed=seed)
        visibility = (
            Report.Visibility.RESTRICTED
            if rng.random() < plan.restricted_share
            else Report.Visibility.PUBLIC
        )
        report = Report.objects.create(
            state=state,
            cycle=plan.cycle,
            questionnaire=plan.cycle.questionnaire,
            status=Report.Status.PUBLISHED,
            language=rng.choice(["en", "fr", "es", "ar", "ru"]),
            visibility=visibility,
            published_visibility=visibility,
            submitted_at=submitted_at,
            published_at=submitted_at + datetime.timedelta(days=14),
            is_demo=True,
        )
        by_key = {q.key: q for q in questions}
        Answer.objects.bulk_create(
            Answer(report=report, question=by_key[k], value=v, updated_at=submitted_at)
            for k, v in answers.items()
        )
        ReportRevision.objects.create(
            report=report,
            number=1,
            status=report.status,
            visibility=report.visibility,
            answers=answers,
            created_at=submitted_at,
        )
        made.append(report)
    return made
