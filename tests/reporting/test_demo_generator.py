"""The demo generator: realistic reporting rates, regional differences, valid answers."""

from collections import Counter

import pytest

from core.models import MemberState
from reporting.demo import DemoPlan, demo_answers, publish_demo_reports, reports_in
from reporting.models import Answer, Report
from reporting.questions import clean_answer
from reporting.selectors import questionnaire_structure
from tests.conftest import open_cycle_for

pytestmark = pytest.mark.django_db
EUROPE, AFRICA = "150", "002"


def rate(states, cycle_index, region=None):
    chosen = [s for s in states if region is None or s.region == region]
    return sum(reports_in(s, cycle_index, 2, "demo") for s in chosen) / len(chosen)


def test_reporting_rate_is_near_sixty_percent_in_each_cycle():
    states = list(MemberState.objects.all())
    for cycle_index in (0, 1):
        assert 0.5 <= rate(states, cycle_index) <= 0.7


def test_regions_differ_and_habits_vary():
    states = list(MemberState.objects.all())
    assert rate(states, 0, EUROPE) > rate(states, 0, AFRICA) + 0.1
    counts = Counter(sum(reports_in(s, i, 2, "demo") for i in (0, 1)) for s in states)
    assert counts[0] >= 20 and counts[1] >= 20 and counts[2] >= 50  # never, once, both


def test_generator_is_deterministic_and_idempotent(questionnaire):
    cycle = open_cycle_for(questionnaire)
    states = list(MemberState.objects.order_by("iso3")[:40])
    first = publish_demo_reports(DemoPlan(cycle), states, cycle_index=0, cycles=2)
    again = publish_demo_reports(DemoPlan(cycle), states, cycle_index=0, cycles=2)
    assert first and again == []
    assert {r.state.iso3 for r in first} == {s.iso3 for s in states if reports_in(s, 0, 2, "demo")}
    assert all(r.is_demo and r.status == "published" for r in first)
    assert Report.objects.filter(visibility="restricted").exists()
    late = [r for r in first if r.submitted_at.date() > cycle.deadline]
    assert late and len(late) < len(first)


def test_demo_answers_are_valid_and_apply(questionnaire):
    _sections, questions = questionnaire_structure(questionnaire)
    by_key = {q.key: q for q in questions}
    for state in MemberState.objects.filter(iso3__in=["FRA", "KEN", "FJI", "PER"]):
        answers = demo_answers(questions, state, year=2026, seed="demo")
        assert answers
        for key, value in answers.items():
            assert clean_answer(by_key[key], value) == value
        if answers.get("1.1") != "yes":
            assert "1.2" not in answers  # 1.2 applies only when 1.1 is yes


def test_measures_in_place_differ_by_region(questionnaire):
    cycle = open_cycle_for(questionnaire)
    states = list(MemberState.objects.filter(region__in=[EUROPE, AFRICA]))
    publish_demo_reports(DemoPlan(cycle), states, cycle_index=1, cycles=2)

    def yes_share(region):
        values = Answer.objects.filter(
            report__state__region=region, question__type="yes_no"
        ).values_list("value", flat=True)
        return sum(v == "yes" for v in values) / max(len(values), 1)

    assert yes_share(EUROPE) > yes_share(AFRICA)
