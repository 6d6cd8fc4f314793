"""The question types and what each does (clean an answer, display it, check the
definition), and the public functions that look a question's type up here: `clean_answer()`,
`display_value()` and `validate_definition()`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from django.utils import translation

from reporting.models import Question
from reporting.questions.answers import (
    _clean_date,
    _clean_long_text,
    _clean_multiple_choice,
    _clean_number,
    _clean_short_text,
    _clean_single_choice,
    _clean_yes_no,
    _display_multiple_choice,
    _display_plain,
    _display_single_choice,
    _display_yes_no,
    is_empty,
)
from reporting.questions.composite import (
    _clean_contact,
    _clean_derived,
    _clean_files,
    _clean_table,
    _display_contact,
    _display_files,
    _display_table,
)
from reporting.questions.definitions import (
    _check_choice,
    _check_date_config,
    _check_derived,
    _check_file,
    _check_multiple_choice,
    _check_number_config,
    _check_table,
    _check_text,
    _no_problems,
)


@dataclass(frozen=True)
class _Type:
    """What one question type does: clean a value, display it, check its definition."""

    clean: Callable[[Question, Any, frozenset[str]], Any]
    display: Callable[[Question, Any], str]
    check: Callable[[Question], list[str]]


def clean_answer(
    question: Question, value: Any, *, attachments: Collection[str] | None = None
) -> Any:
    """The normalised, JSON-serialisable answer to `question`, or None when it is empty.

    Raises ValidationError with a translatable message (code "invalid_type" when the value
    has the wrong JSON type). Contact and table answers report every problem at once, as one
    ValidationError holding several messages. `attachments` are the upload tokens of this
    report for this question; without them no file answer is valid."""
    kind = _TYPES.get(question.type)
    if kind is None:
        # The database constraint allows no other type: this is a programming error.
        raise ValueError(f"Unknown question type {question.type!r}.")
    if is_empty(value):
        return None
    return kind.clean(question, value, frozenset(attachments or ()))


def display_value(question: Question, value: Any, language: str | None = None) -> str:
    """Plain text of an answer for print views and exports, in `language` (default: the
    active one). Empty answers give ""; file answers give the number of files."""
    if is_empty(value):
        return ""
    kind = _TYPES.get(question.type)
    with translation.override(language) if language else nullcontext():
        if kind is None:
            return str(value)
        try:
            return kind.display(question, value)
        except (AttributeError, KeyError, TypeError, ValueError):
            # An answer kept from an older definition must still print, even if plainly.
            return str(value)


def validate_definition(question: Question) -> list[str]:
    """Problems in a question's definition, as plain English sentences for the person
    importing a questionnaire; an empty list when the question can be used.

    Only the type-specific rules (options and config): the questionnaire import checks key,
    texts and condition, and whether formula keys name number questions of the version."""
    kind = _TYPES.get(question.type)
    if kind is None:
        return [f"Unknown question type '{question.type}'."]
    if not isinstance(question.config, dict):
        return ["The configuration must be a mapping."]
    return kind.check(question)


_TYPES: dict[str, _Type] = {
    Question.Type.YES_NO: _Type(_clean_yes_no, _display_yes_no, _no_problems),
    Question.Type.SINGLE_CHOICE: _Type(_clean_single_choice, _display_single_choice, _check_choice),
    Question.Type.MULTIPLE_CHOICE: _Type(
        _clean_multiple_choice, _display_multiple_choice, _check_multiple_choice
    ),
    Question.Type.SHORT_TEXT: _Type(_clean_short_text, _display_plain, _check_text),
    Question.Type.LONG_TEXT: _Type(_clean_long_text, _display_plain, _check_text),
    Question.Type.NUMBER: _Type(
        _clean_number, _display_plain, lambda q: _check_number_config(q.config)
    ),
    Question.Type.DATE: _Type(_clean_date, _display_plain, lambda q: _check_date_config(q.config)),
    Question.Type.CONTACT: _Type(_clean_contact, _display_contact, _no_problems),
    Question.Type.TABLE: _Type(_clean_table, _display_table, _check_table),
    Question.Type.FILE: _Type(_clean_files, _display_files, _check_file),
    Question.Type.DERIVED: _Type(_clean_derived, _display_plain, _check_derived),
}
