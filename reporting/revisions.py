"""What changed between two sets of answers (two revisions, or a revision and now)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.i18n import pick
from reporting.models import Question
from reporting.questions import display_value


@dataclass(frozen=True)
class Change:
    key: str
    number: str
    text: str
    old: str
    new: str


def diff_answers(
    questions: Sequence[Question], old: Mapping[str, Any], new: Mapping[str, Any], *, language: str
) -> list[Change]:
    """One row per question whose answer differs, in questionnaire order, as readable text."""
    return [
        Change(
            key=q.key,
            number=q.number,
            text=pick(q.text, language),
            old=display_value(q, old.get(q.key), language),
            new=display_value(q, new.get(q.key), language),
        )
        for q in questions
        if old.get(q.key) != new.get(q.key)
    ]
