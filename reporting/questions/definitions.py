"""Checks of a question's definition (options and config) per question type, for the
questionnaire import. Problems are plain English sentences for the person importing a
questionnaire, not translated. Registered per type in `reporting.questions.registry`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError

from reporting.models import Question
from reporting.questions.answers import _parse_date, _parse_number
from reporting.questions.uploads import FILE_KINDS, _file_kind_name

MAX_DECIMAL_PLACES = 10
TABLE_COLUMN_TYPES = ("text", "long_text", "url", "date", "number")
DERIVED_FORMULAS = ("ratio", "sum")


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
