"""Answers to questionnaire questions: validation, plain-text display, calculated values,
definition checks and upload checks, one small set of functions per question type.

`clean_answer()` is the single validator used by the report form, the API and the spreadsheet
import (STYLE.md, "Questions and answers"), so an answer accepted by one is accepted by all. The
functions of each type are registered in `_TYPES` at the bottom of this module; every message
is in `MESSAGES`, keyed by the error code callers see. Nothing here touches the database: the
report pages promise a query count that does not grow with the number of questions.
"""

from __future__ import annotations

import math
import re
import zipfile
import zlib
from collections.abc import Callable, Collection, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import EmailValidator, URLValidator
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy, pgettext_lazy

from core.i18n import pick
from reporting.models import Question

YES_NO_VALUES = ("yes", "no", "in_development")
TEXT_MAX_LENGTH = {"short_text": 500, "long_text": 20000}
URL_MAX_LENGTH = 2000
#: Integers past 2**53 lose precision in JavaScript and spreadsheets; 15 digits stay exact.
MAX_INTEGER_DIGITS = 15
MAX_DECIMAL_PLACES = 10
CONTACT_FIELDS = ("title", "name", "position", "organisation", "address", "phone", "email")
CONTACT_MAX_LENGTH = 300
CONTACT_ADDRESS_MAX_LENGTH = 1000
TABLE_COLUMN_TYPES = ("text", "long_text", "url", "date", "number")
TABLE_MAX_ROWS = 100
MAX_FILES = 10
DERIVED_FORMULAS = ("ratio", "sum")
ZIP_MAX_MEMBERS = 2000
ZIP_MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
ZIP_MAX_RATIO = 100

#: Error code → message. Codes starting "expected_" are raised with code "invalid_type": the
#: value had the wrong JSON type, and the message says which one was expected.
MESSAGES: dict[str, Any] = {
    "expected_yes_no": _("Answer “yes”, “no” or “in_development”."),
    "expected_option": _("Select one option, given as its value."),
    "expected_options": _("Select options as a list of option values."),
    "expected_text": _("Enter text."),
    "expected_number": _("Enter a number."),
    "expected_date": _("Enter a date in the format YYYY-MM-DD."),
    "expected_date_only": _("Enter a date without a time."),
    "expected_contact": _("Enter the contact details as named fields."),
    "expected_table": _("Enter the table as a list of rows."),
    "expected_row": _("Row %(row)s: enter the row as named column values."),
    "expected_files": _("Enter the files as a list of upload tokens."),
    "invalid_choice": _("“%(value)s” is not one of the available options."),
    "min_selected": ngettext_lazy(
        "Select at least %(min)d option.", "Select at least %(min)d options.", "min"
    ),
    "max_selected": ngettext_lazy(
        "Select no more than %(max)d option.", "Select no more than %(max)d options.", "max"
    ),
    "multiline": _("Enter the text on a single line."),
    "control_character": _("The text contains a character that is not allowed (U+%(char)s)."),
    "max_length": ngettext_lazy(
        "Ensure this text has at most %(max)d character (it has %(length)d).",
        "Ensure this text has at most %(max)d characters (it has %(length)d).",
        "max",
    ),
    "invalid_url": _("Enter a valid web address starting with http:// or https://."),
    "invalid_number": _(
        "Enter a number using digits and a full stop for decimals, without spaces or "
        "thousands separators."
    ),
    "not_finite": _("Enter a finite number."),
    "max_digits": _("Enter a number with no more than %(max)s digits before the decimal point."),
    "not_integer": _("Enter a whole number."),
    "max_decimal_places": ngettext_lazy(
        "Enter a number with no more than %(max)d decimal place.",
        "Enter a number with no more than %(max)d decimal places.",
        "max",
    ),
    "min_value": _("Enter a number no less than %(min)s."),
    "max_value": _("Enter a number no greater than %(max)s."),
    "invalid_date": _("Enter a valid date in the format YYYY-MM-DD."),
    "min_date": _("Enter a date no earlier than %(min)s."),
    "max_date": _("Enter a date no later than %(max)s."),
    "unknown_field": _("“%(field)s” is not a contact field."),
    "field_error": _("%(field)s: %(error)s"),
    "unknown_column": _("Row %(row)s: “%(column)s” is not a column of this table."),
    "required": _("Row %(row)s: “%(column)s” is required."),
    "cell_error": _("Row %(row)s, “%(column)s”: %(error)s"),
    "max_rows": ngettext_lazy(
        "Enter no more than %(max)d row.", "Enter no more than %(max)d rows.", "max"
    ),
    "unknown_attachment": _(
        "The file “%(token)s” was not uploaded for this question. Upload it again."
    ),
    "max_files": ngettext_lazy(
        "Attach no more than %(max)d file.", "Attach no more than %(max)d files.", "max"
    ),
    "derived": _("This value is calculated from other answers and cannot be entered."),
    "not_file": _("This question does not take files."),
    "no_extension": _("The file name has no extension. Upload one of: %(allowed)s."),
    "invalid_extension": _(
        "Files ending in %(extension)s are not accepted here. Upload one of: %(allowed)s."
    ),
    "empty_file": _("The file is empty."),
    "file_too_large": _("The file is too large (%(size)s). The maximum size is %(max)s."),
    "content_mismatch": _("The content of the file does not match its extension (%(extension)s)."),
    "corrupt_file": _("The file is damaged and cannot be read."),
    "too_many_members": _("The file contains too many parts (more than %(max)s)."),
    "zip_bomb": _("The file expands to far more data than it holds and cannot be accepted."),
}

_CONTACT_LABELS = {
    "title": pgettext_lazy("personal title", "Title"),
    "name": _("Name"),
    "position": _("Position"),
    "organisation": _("Organisation"),
    "address": _("Postal address"),
    "phone": _("Telephone"),
    "email": _("E-mail"),
}
_YES_NO_WORDS = {
    "yes": pgettext_lazy("answer", "Yes"),
    "no": pgettext_lazy("answer", "No"),
    "in_development": pgettext_lazy("answer", "In development"),
}
_NUMBER_RE = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_LINE_BREAK_RE = re.compile(r"\r\n?")
# C0 and C1 control characters, DEL, and lone surrogates (PostgreSQL stores neither NUL nor
# surrogates); long text keeps tabs and line breaks.
_FORBIDDEN_IN_LINE_RE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_FORBIDDEN_IN_TEXT_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_URL_VALIDATOR = URLValidator(
    schemes=["http", "https"], message=MESSAGES["invalid_url"], code="invalid_url"
)


# --- Public API ------------------------------------------------------------------------------


def is_empty(value: Any) -> bool:
    """Whether `value` carries no answer: None, a blank string, or an empty list or mapping.

    `clean_answer()` returns None for exactly these values; whether a required question is
    answered is decided at submission, so a half-filled draft can always be saved."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | dict):
        return not value
    return False


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


def check_upload(question: Question, upload: UploadedFile) -> tuple[str, str]:
    """Check an uploaded file for a file question: allowed extension, size, and content that
    really is of that kind. Returns (extension such as ".pdf", content type).

    The extension is the last suffix of the name, lower-cased; the rest of the name is not
    used (the stored name is generated). Zip-based formats are judged from the zip directory
    without decompressing, so a decompression bomb costs nothing."""
    if question.type != Question.Type.FILE:
        raise _error("not_file")
    extension = _extension(upload.name or "")
    kind = _allowed_file_kinds(question).get(extension)
    if kind is None:
        allowed = ", ".join(_allowed_file_kinds(question))
        if not extension:
            raise _error("no_extension", "invalid_extension", allowed=allowed)
        raise _error("invalid_extension", extension=_shorten(extension), allowed=allowed)
    _check_size(question, upload)
    upload.seek(0)
    try:
        matches = kind.matches(upload)
    finally:
        upload.seek(0)
    if not matches:
        raise _error("content_mismatch", extension=extension)
    return extension, kind.content_type


# --- Shared helpers --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Type:
    """What one question type does: clean a value, display it, check its definition."""

    clean: Callable[[Question, Any, frozenset[str]], Any]
    display: Callable[[Question, Any], str]
    check: Callable[[Question], list[str]]


def _error(key: str, code: str | None = None, **params: Any) -> ValidationError:
    """The ValidationError for MESSAGES[key]; its code is `key` unless given."""
    if code is None:
        code = "invalid_type" if key.startswith("expected_") else key
    return ValidationError(MESSAGES[key], code=code, params=params or None)


def _message(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


def _raise_all(errors: list[ValidationError]) -> None:
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ValidationError(errors)


def _shorten(text: str) -> str:
    """User input quoted back in a message, cut so a huge value cannot flood the page."""
    return text if len(text) <= 80 else text[:79] + "…"


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --- Choices ---------------------------------------------------------------------------------


def _clean_yes_no(question: Question, value: Any, attachments: frozenset[str]) -> str:
    if not isinstance(value, str):
        raise _error("expected_yes_no")
    if value not in YES_NO_VALUES:
        raise _error("expected_yes_no", "invalid_choice")
    return value


def _option_values(question: Question) -> list[str]:
    return [option.get("value") for option in question.options or [] if isinstance(option, dict)]


def _clean_single_choice(question: Question, value: Any, attachments: frozenset[str]) -> str:
    if not isinstance(value, str):
        raise _error("expected_option")
    if value not in _option_values(question):
        raise _error("invalid_choice", value=_shorten(value))
    return value


def _clean_multiple_choice(
    question: Question, value: Any, attachments: frozenset[str]
) -> list[str]:
    """Known option values, without repeats, in the order of the options."""
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise _error("expected_options")
    allowed = _option_values(question)
    for item in value:
        if item not in allowed:
            raise _error("invalid_choice", value=_shorten(item))
    chosen = set(value)
    selected = [option for option in allowed if option in chosen]
    low, high = question.config.get("min_selected"), question.config.get("max_selected")
    if low is not None and len(selected) < low:
        raise _error("min_selected", min=low)
    if high is not None and len(selected) > high:
        raise _error("max_selected", max=high)
    return selected


def _display_yes_no(question: Question, value: Any) -> str:
    return str(_YES_NO_WORDS.get(value, value))


def _display_single_choice(question: Question, value: Any) -> str:
    return question.option_label(value)


def _display_multiple_choice(question: Question, value: Any) -> str:
    return "; ".join(question.option_label(item) for item in value)


# --- Text ------------------------------------------------------------------------------------


def _clean_text(value: Any, *, max_length: int, multiline: bool) -> str:
    """Stripped text without control characters; multi-line text keeps tabs and line breaks
    (normalised to \\n, as browsers send \\r\\n)."""
    if not isinstance(value, str):
        raise _error("expected_text")
    text = value.strip()
    if multiline:
        text = _LINE_BREAK_RE.sub("\n", text)
    elif "\n" in text or "\r" in text:
        raise _error("multiline")
    forbidden = (_FORBIDDEN_IN_TEXT_RE if multiline else _FORBIDDEN_IN_LINE_RE).search(text)
    if forbidden:
        raise _error("control_character", char=f"{ord(forbidden.group()):04X}")
    if len(text) > max_length:
        raise _error("max_length", max=max_length, length=len(text))
    return text


def _clean_short_text(question: Question, value: Any, attachments: frozenset[str]) -> str:
    max_length = question.config.get("max_length", TEXT_MAX_LENGTH["short_text"])
    return _clean_text(value, max_length=max_length, multiline=False)


def _clean_long_text(question: Question, value: Any, attachments: frozenset[str]) -> str:
    max_length = question.config.get("max_length", TEXT_MAX_LENGTH["long_text"])
    return _clean_text(value, max_length=max_length, multiline=True)


def _display_plain(question: Question, value: Any) -> str:
    return str(value)


# --- Numbers and dates -----------------------------------------------------------------------


def _parse_number(value: Any) -> Decimal:
    """A finite Decimal from an int, float, Decimal or numeric string ("12.5"; digits of any
    script; no spaces, thousands separators or exponents). Floats go through repr() so that
    0.1 stays 0.1."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise _error("expected_number")
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) > 40 or not _NUMBER_RE.fullmatch(text):
                raise InvalidOperation(text)
            number = Decimal(text)
        except InvalidOperation:
            raise _error("invalid_number") from None
    elif isinstance(value, float):
        number = Decimal(repr(value)) if math.isfinite(value) else Decimal("NaN")
    else:
        number = Decimal(value)
    if not number.is_finite():
        raise _error("not_finite")
    if abs(number) >= 10**MAX_INTEGER_DIGITS:
        raise _error("max_digits", max=MAX_INTEGER_DIGITS)
    return number


def _normalise_number(value: Any, config: Mapping[str, Any]) -> int | str:
    """An int for integer questions, else a string with exactly `decimal_places` places.
    More places than allowed is an error, never a silent rounding."""
    number = _parse_number(value)
    integer = config.get("integer", True)
    places = 0 if integer else config.get("decimal_places", 2)
    with localcontext() as context:
        context.prec = 60
        if number != number.quantize(Decimal(1).scaleb(-places)):
            raise _error("not_integer") if integer else _error("max_decimal_places", max=places)
    low, high = config.get("min"), config.get("max")
    if low is not None and number < Decimal(str(low)):
        raise _error("min_value", min=low)
    if high is not None and number > Decimal(str(high)):
        raise _error("max_value", max=high)
    return int(number) if integer else _decimal_string(number, places)


def _decimal_string(number: Decimal, places: int) -> str:
    """Fixed-point text rounded half up ("12.50"), never "-0.00" or an exponent."""
    rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if rounded.is_zero():
        rounded = rounded.copy_abs()
    return format(rounded, "f")


def _clean_number(question: Question, value: Any, attachments: frozenset[str]) -> int | str:
    return _normalise_number(value, question.config)


def _parse_date(value: Any) -> date:
    """A date from "YYYY-MM-DD" or a date object (a datetime only at midnight, as
    spreadsheets give dates)."""
    if isinstance(value, datetime):
        if value.time() != time(0) or value.tzinfo is not None:
            raise _error("expected_date_only")
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise _error("expected_date")
    text = value.strip()
    try:
        if not _DATE_RE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise _error("invalid_date") from None


def _normalise_date(value: Any, config: Mapping[str, Any]) -> str:
    day = _parse_date(value)
    low, high = config.get("min"), config.get("max")
    if low and day < date.fromisoformat(low):
        raise _error("min_date", min=low)
    if high and day > date.fromisoformat(high):
        raise _error("max_date", max=high)
    return day.isoformat()


def _clean_date(question: Question, value: Any, attachments: frozenset[str]) -> str:
    return _normalise_date(value, question.config)


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
            label = _CONTACT_LABELS[name]
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
    return ", ".join(line for line in lines if line)


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


# --- Definition checks -----------------------------------------------------------------------


def _no_problems(question: Question) -> list[str]:
    return []


def _check_whole(config: Mapping[str, Any], key: str, *, low: int = 1) -> list[str]:
    value = config.get(key)
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= low):
        return []
    return [f"'{key}' must be a whole number of at least {low}."]


def _check_choice(question: Question) -> list[str]:
    options = question.options
    if not isinstance(options, list) or not options:
        return [f"A {question.type} question needs options."]
    problems, seen = [], set()
    for position, option in enumerate(options, start=1):
        value = option.get("value") if isinstance(option, dict) else None
        if not isinstance(value, str) or not value:
            problems.append(f"Option {position} has no value.")
            continue
        if value in seen:
            problems.append(f"The option value '{value}' is used more than once.")
        seen.add(value)
        if not isinstance(option.get("label"), dict) or not option["label"].get("en"):
            problems.append(f"The option '{value}' has no English label.")
    return problems


def _check_multiple_choice(question: Question) -> list[str]:
    config = question.config
    problems = _check_choice(question)
    problems += _check_whole(config, "min_selected", low=0) + _check_whole(config, "max_selected")
    low, high = config.get("min_selected"), config.get("max_selected")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        problems.append("'min_selected' is greater than 'max_selected'.")
    return problems


def _check_text(question: Question) -> list[str]:
    return _check_whole(question.config, "max_length")


def _check_number_config(config: Mapping[str, Any]) -> list[str]:
    problems = []
    if not isinstance(config.get("integer", True), bool):
        problems.append("'integer' must be true or false.")
    places = config.get("decimal_places")
    problems += _check_whole(config, "decimal_places", low=0)
    if isinstance(places, int) and places > MAX_DECIMAL_PLACES:
        problems.append(f"'decimal_places' must be at most {MAX_DECIMAL_PLACES}.")
    bounds = {}
    for key in ("min", "max"):
        try:
            bounds[key] = _parse_number(config[key]) if key in config else None
        except ValidationError:
            problems.append(f"'{key}' must be a number.")
    if bounds.get("min") is not None and bounds.get("max") is not None:
        problems += ["'min' is greater than 'max'."] if bounds["min"] > bounds["max"] else []
    return problems


def _check_date_config(config: Mapping[str, Any]) -> list[str]:
    problems, bounds = [], {}
    for key in ("min", "max"):
        if config.get(key) is None:
            continue
        try:
            bounds[key] = _parse_date(config[key]) if isinstance(config[key], str) else None
        except ValidationError:
            bounds[key] = None
        if bounds[key] is None:
            problems.append(f"'{key}' must be a date written YYYY-MM-DD.")
    if bounds.get("min") and bounds.get("max") and bounds["min"] > bounds["max"]:
        problems.append("'min' is later than 'max'.")
    return problems


def _check_table(question: Question) -> list[str]:
    columns = question.config.get("columns")
    if not isinstance(columns, list) or not columns:
        return ["A table question needs columns."]
    problems, seen = _check_whole(question.config, "max_rows"), set()
    for position, column in enumerate(columns, start=1):
        key = column.get("key") if isinstance(column, dict) else None
        if not isinstance(key, str) or not key:
            problems.append(f"Column {position} has no key.")
            continue
        if key in seen:
            problems.append(f"The column key '{key}' is used more than once.")
        seen.add(key)
        problems += [f"Column '{key}': {problem}" for problem in _check_column(column)]
    return problems


def _check_column(column: Mapping[str, Any]) -> list[str]:
    kind = column.get("type", "text")
    if kind not in TABLE_COLUMN_TYPES:
        return [f"unknown column type '{kind}'."]
    problems = []
    if not isinstance(column.get("label"), dict) or not column["label"].get("en"):
        problems.append("no English label.")
    if kind == "number":
        return problems + _check_number_config(column)
    if kind == "date":
        return problems + _check_date_config(column)
    return problems + _check_whole(column, "max_length")


def _check_file(question: Question) -> list[str]:
    config = question.config
    problems = _check_whole(config, "max_files")
    accept = config.get("accept")
    if accept is not None and (not isinstance(accept, list) or not accept):
        problems.append("'accept' must be a list of file kinds.")
    elif accept:
        unknown = [str(kind) for kind in accept if _file_kind_name(kind) not in FILE_KINDS]
        if unknown:
            problems.append(
                f"Unknown file kinds in 'accept': {', '.join(unknown)} "
                f"(known kinds: {', '.join(FILE_KINDS)})."
            )
    size = config.get("max_size_mb")
    if size is not None and (
        isinstance(size, bool) or not isinstance(size, int | float) or size <= 0
    ):
        problems.append("'max_size_mb' must be a positive number.")
    return problems


def _check_derived(question: Question) -> list[str]:
    config = question.config
    formula = config.get("formula")
    if formula not in DERIVED_FORMULAS:
        return [f"The formula must be one of: {', '.join(DERIVED_FORMULAS)}."]
    if formula == "ratio":
        keys = [config.get("numerator"), config.get("denominator")]
        if not all(isinstance(key, str) and key for key in keys):
            return ["A ratio needs a 'numerator' and a 'denominator' question key."]
    else:
        keys = config.get("keys")
        if (
            not isinstance(keys, list)
            or not keys
            or not all(isinstance(k, str) and k for k in keys)
        ):
            return ["A sum needs 'keys': a non-empty list of question keys."]
    return _check_whole(config, "decimal_places", low=0)


# --- Uploads ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _FileKind:
    """A kind of file that may be uploaded, and how to recognise its content."""

    extensions: tuple[str, ...]
    content_type: str
    matches: Callable[[UploadedFile], bool]


def _starts_with(signature: bytes) -> Callable[[UploadedFile], bool]:
    return lambda upload: upload.read(len(signature)) == signature


def _zip_with(check: Callable[[zipfile.ZipFile], bool]) -> Callable[[UploadedFile], bool]:
    def matches(upload: UploadedFile) -> bool:
        if upload.read(4) != b"PK\x03\x04":
            return False
        upload.seek(0)
        with _open_zip(upload) as archive:
            return check(archive)

    return matches


def _is_office_zip(folder: str) -> Callable[[zipfile.ZipFile], bool]:
    def check(archive: zipfile.ZipFile) -> bool:
        names = archive.namelist()
        return "[Content_Types].xml" in names and any(n.startswith(folder) for n in names)

    return check


def _is_odt(archive: zipfile.ZipFile) -> bool:
    expected = b"application/vnd.oasis.opendocument.text"
    try:
        member = archive.getinfo("mimetype")
        if member.file_size != len(expected):
            return False
        with archive.open(member) as stream:
            return stream.read(len(expected) + 1) == expected
    except KeyError:
        return False
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError):
        # Unreadable data (bad CRC, unknown compression, encryption): a damaged file.
        raise _error("corrupt_file") from None


FILE_KINDS: dict[str, _FileKind] = {
    "pdf": _FileKind((".pdf",), "application/pdf", _starts_with(b"%PDF-")),
    "png": _FileKind((".png",), "image/png", _starts_with(b"\x89PNG\r\n\x1a\n")),
    "jpeg": _FileKind((".jpg", ".jpeg"), "image/jpeg", _starts_with(b"\xff\xd8\xff")),
    "docx": _FileKind(
        (".docx",),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _zip_with(_is_office_zip("word/")),
    ),
    "xlsx": _FileKind(
        (".xlsx",),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _zip_with(_is_office_zip("xl/")),
    ),
    "odt": _FileKind((".odt",), "application/vnd.oasis.opendocument.text", _zip_with(_is_odt)),
}
_FILE_KIND_ALIASES = {"jpg": "jpeg"}


def _file_kind_name(kind: Any) -> str:
    name = str(kind).strip().lower().lstrip(".")
    return _FILE_KIND_ALIASES.get(name, name)


def _allowed_file_kinds(question: Question) -> dict[str, _FileKind]:
    """Extension → kind for the kinds the question accepts (all kinds when not configured)."""
    names = {_file_kind_name(kind) for kind in question.config.get("accept") or FILE_KINDS}
    return {
        extension: kind
        for name, kind in FILE_KINDS.items()
        if name in names
        for extension in kind.extensions
    }


def _extension(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    _stem, dot, suffix = base.rpartition(".")
    return f".{suffix.lower()}" if dot else ""


def _check_size(question: Question, upload: UploadedFile) -> None:
    limit = getattr(settings, "ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
    size_mb = question.config.get("max_size_mb")
    if size_mb:
        limit = min(limit, int(size_mb * 1024 * 1024))
    if not upload.size:
        raise _error("empty_file")
    if upload.size > limit:
        raise _error("file_too_large", size=filesizeformat(upload.size), max=filesizeformat(limit))


def _open_zip(upload: UploadedFile) -> zipfile.ZipFile:
    """The upload as a zip whose directory is sane: not too many members, and declared sizes
    neither huge nor far larger than the upload (a decompression bomb). The ratio is taken
    against the real upload size, which the directory cannot lie about."""
    try:
        archive = zipfile.ZipFile(upload)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _error("corrupt_file") from None
    members = archive.infolist()
    total = sum(member.file_size for member in members)
    if len(members) > ZIP_MAX_MEMBERS:
        archive.close()
        raise _error("too_many_members", max=ZIP_MAX_MEMBERS)
    if total > ZIP_MAX_UNCOMPRESSED_BYTES or total > ZIP_MAX_RATIO * upload.size:
        archive.close()
        raise _error("zip_bomb")
    return archive


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
