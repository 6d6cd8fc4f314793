"""Which questions apply (conditions) and how complete a report is. Pure functions over
questions and a {key: value} mapping, so the page, the API and submission agree."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reporting.models import Question
from reporting.questions import is_empty


def condition_holds(condition: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
    """`{"key": "2.1", "in": ["yes"]}` holds when the answer to 2.1 is (or, for a multiple
    choice, contains) one of the listed values."""
    answer = values.get(condition.get("key"))
    wanted = set(condition.get("in") or [])
    if isinstance(answer, list):
        return bool(wanted.intersection(answer))
    return answer in wanted


def visible_keys(questions: Iterable[Question], values: Mapping[str, Any]) -> set[str]:
    """Keys of the questions that apply. A question whose controlling question does not
    apply does not apply either (conditions chain)."""
    by_key = {q.key: q for q in questions}
    memo: dict[str, bool] = {}

    def visible(key: str, seen: frozenset[str] = frozenset()) -> bool:
        if key not in memo:
            question = by_key[key]
            condition = question.condition or {}
            parent = condition.get("key")
            if not parent:
                memo[key] = True
            elif parent in seen or parent not in by_key:
                memo[key] = False  # broken or circular condition: never shown
            else:
                memo[key] = visible(parent, seen | {key}) and condition_holds(condition, values)
        return memo[key]

    return {key for key in by_key if visible(key)}


@dataclass(frozen=True)
class Progress:
    answered: int
    required: int

    @property
    def percent(self) -> int:
        return 100 if not self.required else round(100 * self.answered / self.required)

    @property
    def complete(self) -> bool:
        return self.answered >= self.required


def progress(
    questions: Iterable[Question], values: Mapping[str, Any], visible: set[str]
) -> Progress:
    """Required questions that apply, and how many of them are answered."""
    required = [
        q for q in questions if q.required and q.key in visible and q.type != Question.Type.DERIVED
    ]
    answered = sum(1 for q in required if not is_empty(values.get(q.key)))
    return Progress(answered=answered, required=len(required))


def missing_required(questions: Iterable[Question], values: Mapping[str, Any]) -> list[Question]:
    """Required questions that apply and have no answer: what blocks submission."""
    questions = list(questions)
    visible = visible_keys(questions, values)
    return [
        q
        for q in questions
        if q.required
        and q.key in visible
        and q.type != Question.Type.DERIVED
        and is_empty(values.get(q.key))
    ]


def dependents_hidden_by(
    questions: Iterable[Question], before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[Question]:
    """Questions that applied before a change, no longer apply after it, and hold an answer."""
    questions = list(questions)
    sources = {q.condition["key"] for q in questions if q.condition and q.condition.get("key")}
    if all(before.get(key) == after.get(key) for key in sources):
        return []  # no answer that a condition reads has changed: the same questions apply
    was, now = visible_keys(questions, before), visible_keys(questions, after)
    return [q for q in questions if q.key in was - now and not is_empty(after.get(q.key))]
