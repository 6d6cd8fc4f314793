"""Turn a plain HTML form post into answer values (the page without JavaScript). The result
goes through the same `clean_answer` as the autosave and the API."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from reporting.models import Question
from reporting.questions import CONTACT_FIELDS

MAX_TABLE_ROWS = 500


def values_from_post(question: Question, post: QueryDict) -> Any:
    """The raw value for one question; empty inputs give None."""
    key = question.key
    if question.type == "multiple_choice":
        return post.getlist(key)
    if question.type == "contact":
        return {name: post.get(f"{key}.{name}", "") for name in CONTACT_FIELDS}
    if question.type == "table":
        return _table_rows(question, post)
    return post.get(key) or None


def _table_rows(question: Question, post: QueryDict) -> list[dict[str, str]]:
    columns = [c["key"] for c in question.config.get("columns", [])]
    rows = []
    for index in range(MAX_TABLE_ROWS):
        cells = {c: post.get(f"{question.key}.{index}.{c}") for c in columns}
        if all(value is None for value in cells.values()):
            break
        rows.append({c: v or "" for c, v in cells.items()})
    return rows
