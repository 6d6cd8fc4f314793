"""Answers made of several values: contact details, tables, lists of uploaded files, and
calculated values (`compute_derived()`), which are computed from other answers, never entered.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, localcontext
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from core.i18n import list_separator, pick
from reporting.models import Question
from reporting.questions.answers import (
    MESSAGES,
    TEXT_MAX_LENGTH,
    _clean_text,
    _decimal_string,
    _error,
    _message,
    _normalise_date,
    _normalise_number,
    _one_line,
    _parse_number,
    _raise_all,
    _shorten,
    is_empty,
)

URL_MAX_LENGTH = 2000
CONTACT_FIELDS = ("title", "name", "position", "organisation", "address", "phone", "email")
CONTACT_MAX_LENGTH = 300
CONTACT_ADDRESS_MAX_LENGTH = 1000
TABLE_MAX_ROWS = 100
MAX_FILES = 10

CONTACT_LABELS = {
    "title": pgettext_lazy("personal title", "Title"),
    "name": _("Name"),
    "position": _("Position"),
    "organisation": _("Organisation"),
    "address": _("Postal address"),
    "phone": _("Telephone"),
    "email": _("E-mail"),
}
_URL_VALIDATOR = URLValidator(
    schemes=["http", "https"], message=MESSAGES["invalid_url"], code="invalid_url"
)


# --- Contact ---------------------------------------------------------------------------------


def _clean_contact(
    question: Question, value: Any, attachments: frozenset[str]
) -> dict[str, str] | None:
    """Known fields only, stripped, blanks dropped, in a fixed order; None if all blank."""
    if not isinstance(value, dict):
        raise _error("expected_contact")
    contact: dict[str, str] = {}
    errors: list[ValidationError] = []
    for name, raw in value.items():
        if name not in CONTACT_FIELDS:
            errors.append(_error("unknown_field", field=_shorten(str(name))))
            continue
        try:
            contact[name] = _clean_contact_field(name, raw)
        except ValidationError as error:
            label = CONTACT_LABELS[name]
            errors.append(_error("field_error", error.code, field=label, error=_message(error)))
    _raise_all(errors)
    return {name: contact[name] for name in CONTACT_FIELDS if contact.get(name)} or None


def _clean_contact_field(name: str, value: Any) -> str:
    if value is None:
        return ""
    is_address = name == "address"
    max_length = CONTACT_ADDRESS_MAX_LENGTH if is_address else CONTACT_MAX_LENGTH
    text = _clean_text(value, max_length=max_length, multiline=is_address)
    if name == "email" and text:
        EmailValidator()(text)
    return text


def _display_contact(question: Question, value: Any) -> str:
    """One line: "Ms Jane Doe, Director, Ministry, 1 Road, City, +1 555, jane@example.org"."""
    name = " ".join(part for part in (value.get("title"), value.get("name")) if part)
    parts = [name, *(value.get(field) for field in CONTACT_FIELDS[2:])]
    lines = [_one_line(line) for part in parts if part for line in part.splitlines()]
    return list_separator().join(line for line in lines if line)


# --- Tables ----------------------------------------------------------------------------------


def _columns(question: Question) -> dict[str, dict[str, Any]]:
    columns = question.config.get("columns") or []
    return {column["key"]: column for column in columns if isinstance(column, dict)}


def _column_label(column: Mapping[str, Any]) -> str:
    return pick(column.get("label")) or column["key"]


def _clean_table(
    question: Question, value: Any, attachments: frozenset[str]
) -> list[dict[str, Any]] | None:
    """Rows of their non-empty cells, in column order; blank rows dropped. Row numbers in
    messages count rows as submitted, blank ones included, so they match the sheet."""
    if not isinstance(value, list | tuple):
        raise _error("expected_table")
    columns = _columns(question)
    rows: list[dict[str, Any]] = []
    errors: list[ValidationError] = []
    for number, raw in enumerate(value, start=1):
        try:
            row = _clean_row(columns, raw, number)
        except ValidationError as error:
            errors.extend(error.error_list)
            continue
        if row:
            rows.append(row)
    _raise_all(errors)
    max_rows = question.config.get("max_rows", TABLE_MAX_ROWS)
    if len(rows) > max_rows:
        raise _error("max_rows", max=max_rows)
    return rows or None


def _clean_row(columns: Mapping[str, dict[str, Any]], raw: Any, number: int) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _error("expected_row", row=number)
    errors = [
        _error("unknown_column", row=number, column=_shorten(str(key)))
        for key in raw
        if key not in columns
    ]
    row: dict[str, Any] = {}
    if all(is_empty(cell) for cell in raw.values()):
        _raise_all(errors)
        return row
    for key, column in columns.items():
        label = _column_label(column)
        if is_empty(raw.get(key)):
            if column.get("required"):
                errors.append(_error("required", row=number, column=label))
            continue
        try:
            row[key] = _clean_cell(column, raw[key])
        except ValidationError as error:
            message = _message(error)
            errors.append(_error("cell_error", error.code, row=number, column=label, error=message))
    _raise_all(errors)
    return row


def _clean_cell(column: Mapping[str, Any], value: Any) -> Any:
    kind = column.get("type", "text")
    if kind == "number":
        return _normalise_number(value, column)
    if kind == "date":
        return _normalise_date(value, column)
    if kind == "url":
        url = _clean_text(
            value, max_length=column.get("max_length", URL_MAX_LENGTH), multiline=False
        )
        _URL_VALIDATOR(url)
        return url
    multiline = kind == "long_text"
    max_length = column.get(
        "max_length", TEXT_MAX_LENGTH["long_text" if multiline else "short_text"]
    )
    return _clean_text(value, max_length=max_length, multiline=multiline)


def _display_table(question: Question, value: Any) -> str:
    columns = _columns(question).values()
    lines = []
    for row in value:
        cells = [
            f"{_column_label(column)}: {_one_line(str(row[column['key']]))}"
            for column in columns
            if not is_empty(row.get(column["key"]))
        ]
        lines.append("; ".join(cells))
    return "\n".join(lines)


# --- Files and calculated values -------------------------------------------------------------


def _clean_files(question: Question, value: Any, attachments: frozenset[str]) -> list[str]:
    """Upload tokens of this report and question, without repeats, in the given order."""
    if not isinstance(value, list | tuple) or not all(isinstance(t, str) for t in value):
        raise _error("expected_files")
    tokens = list(dict.fromkeys(value))
    for token in tokens:
        if token not in attachments:
            raise _error("unknown_attachment", token=_shorten(token))
    max_files = question.config.get("max_files", MAX_FILES)
    if len(tokens) > max_files:
        raise _error("max_files", max=max_files)
    return tokens


def _display_files(question: Question, value: Any) -> str:
    # File names would cost a query per question; pages list the Attachment rows themselves.
    count = len(value)
    return ngettext("%(count)d file attached", "%(count)d files attached", count) % {"count": count}


def _clean_derived(question: Question, value: Any, attachments: frozenset[str]) -> None:
    raise _error("derived")


def compute_derived(question: Question, answers: Mapping[str, Any]) -> str | None:
    """The value of a calculated question from the other answers (by key), as a canonical
    decimal string; None when an input is missing or not a number, or the denominator is 0.

    Ratios default to 2 decimal places (rounded half up); sums to the places of their most
    precise input, so a sum of whole numbers is a whole number."""
    config = question.config if isinstance(question.config, dict) else {}
    with localcontext() as context:
        context.prec = 60
        if config.get("formula") == "ratio":
            result = _compute_ratio(config, answers)
            places = config.get("decimal_places", 2)
        elif config.get("formula") == "sum":
            result = _compute_sum(config, answers)
            places = config.get("decimal_places", _places_of(result))
        else:
            return None
        return None if result is None else _decimal_string(result, places)


def _answer_number(answers: Mapping[str, Any], key: Any) -> Decimal | None:
    try:
        return _parse_number(answers.get(key)) if isinstance(key, str) else None
    except ValidationError:
        return None


def _compute_ratio(config: Mapping[str, Any], answers: Mapping[str, Any]) -> Decimal | None:
    numerator = _answer_number(answers, config.get("numerator"))
    denominator = _answer_number(answers, config.get("denominator"))
    if numerator is None or denominator is None or denominator == 0:
        return None
    ratio = numerator / denominator
    return ratio * 100 if config.get("percent") else ratio


def _compute_sum(config: Mapping[str, Any], answers: Mapping[str, Any]) -> Decimal | None:
    values = [_answer_number(answers, key) for key in config.get("keys") or []]
    if not values or None in values:
        return None
    return sum(values, Decimal(0))


def _places_of(number: Decimal | None) -> int:
    return 0 if number is None else max(0, -number.as_tuple().exponent)
