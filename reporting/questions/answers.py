"""Answers of the simple question types (yes/no, choices, text, numbers and dates), and what
every type shares: the limits, the error `MESSAGES` and the helpers that raise them.

Each type has a `_clean_<type>` and a `_display_<type>` function, registered in
`reporting.questions.registry`. Numbers and dates are parsed here for table cells,
calculated values and definition checks too.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy

from reporting.models import Question

YES_NO_VALUES = ("yes", "no", "in_development")
TEXT_MAX_LENGTH = {"short_text": 500, "long_text": 20000}
#: Integers past 2**53 lose precision in JavaScript and spreadsheets; 15 digits stay exact.
MAX_INTEGER_DIGITS = 15

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

YES_NO_LABELS = {
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


# --- Shared helpers --------------------------------------------------------------------------


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
    return str(YES_NO_LABELS.get(value, value))


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
