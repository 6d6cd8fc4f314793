"""Reading a filled-in workbook back into answer changes."""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from core.errors import WorkflowError
from core.i18n import pick
from reporting import completion
from reporting.models import Question, Report
from reporting.questions import (
    CONTACT_FIELDS,
    CONTACT_LABELS,
    MESSAGES,
    ZIP_MAX_MEMBERS,
    ZIP_MAX_RATIO,
    ZIP_MAX_UNCOMPRESSED_BYTES,
    clean_answer,
    display_value,
)
from reporting.selectors import answers_of, questionnaire_structure
from reporting.services import AnswerChange
from reporting.spreadsheets.common import (
    COL_ANSWER,
    COL_KEY,
    COL_PART,
    COL_REVISION,
    IDENTITY_FIELDS,
    IDENTITY_FIRST_ROW,
    LAYOUT_VERSION,
    LISTS_SHEET,
    META_SHEET,
    READ_ONLY_TYPES,
    SIGNING_SALT,
    WORKBOOK_MAX_BYTES,
    CellError,
    PreviewRow,
    WorkbookReading,
    _table_columns,
)
from reporting.spreadsheets.writing import _choice_labels

# --- Reading ---------------------------------------------------------------------------------


def check_workbook_size(size: int) -> None:
    """Refuse a workbook past WORKBOOK_MAX_BYTES before anything reads it."""
    if size > WORKBOOK_MAX_BYTES:
        raise WorkflowError(
            _("The workbook is too large (%(size)s). The maximum size is %(max)s.")
            % {"size": filesizeformat(size), "max": filesizeformat(WORKBOOK_MAX_BYTES)},
            code="too_large",
        )


def read_workbook(report: Report, data: bytes) -> WorkbookReading:
    """What an uploaded workbook changes in `report`. Raises WorkflowError when the file is
    not a readable workbook of this report (size, archive, signature, State, cycle,
    questionnaire); problems in cells are listed in `errors`."""
    check_workbook_size(len(data))
    _check_archive(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, *_PARSE_ERRORS):
        raise _not_a_workbook() from None
    try:
        payload = _verify(book, report)
        skip = {payload["cover"], META_SHEET, LISTS_SHEET}
        entries, errors = _collect(book, skip)
    except (InvalidFileException, zipfile.BadZipFile, *_PARSE_ERRORS):
        raise _not_a_workbook() from None
    finally:
        book.close()
    return _evaluate(report, payload, entries, errors)


# Errors a damaged or hostile file can raise inside openpyxl (XML parse errors are
# SyntaxErrors; missing parts KeyErrors; bad values ValueErrors and TypeErrors).
_PARSE_ERRORS = (KeyError, ValueError, TypeError, IndexError, OSError, EOFError, SyntaxError)


def _not_a_workbook() -> WorkflowError:
    return WorkflowError(
        _("The file is not an Excel workbook (.xlsx) or it is damaged."), code="not_xlsx"
    )


def _check_archive(data: bytes) -> None:
    """An xlsx is a zip: judge it from its directory before expanding anything, so a
    decompression bomb costs nothing (same limits as uploaded attachments)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, *_PARSE_ERRORS):
        raise _not_a_workbook() from None
    names = {member.filename for member in members}
    if not {"[Content_Types].xml", "xl/workbook.xml"} <= names:
        raise _not_a_workbook()
    total = sum(member.file_size for member in members)
    if (
        len(members) > ZIP_MAX_MEMBERS
        or total > ZIP_MAX_UNCOMPRESSED_BYTES
        or total > ZIP_MAX_RATIO * len(data)
    ):
        raise WorkflowError(str(MESSAGES["zip_bomb"]), code="zip_bomb")


def _tampered() -> WorkflowError:
    return WorkflowError(
        _(
            "This workbook was not downloaded from this site, or its identity cells or hidden "
            "parts were changed. Download a new workbook."
        ),
        code="tampered",
    )


def _sheet_rows(book: Any, title: str, **bounds: int) -> list[tuple[Any, ...]]:
    if title not in book.sheetnames:
        raise _tampered()
    return list(book[title].iter_rows(values_only=True, **bounds))


def _verify(book: Any, report: Report) -> dict[str, Any]:
    """The signed identity of the workbook, checked against its cover and against
    `report`."""
    meta = _sheet_rows(book, META_SHEET, min_row=1, max_row=1, max_col=2)
    token = meta[0][1] if meta and len(meta[0]) > 1 else None
    try:
        payload = signing.loads(str(token or ""), salt=SIGNING_SALT)
    except signing.BadSignature:
        raise _tampered() from None
    if not isinstance(payload, dict) or payload.get("v") != LAYOUT_VERSION:
        raise _tampered()
    last = IDENTITY_FIRST_ROW + len(IDENTITY_FIELDS) - 1
    cover = _sheet_rows(
        book, str(payload.get("cover")), min_row=IDENTITY_FIRST_ROW, max_row=last, max_col=2
    )
    shown = [str(row[1]) if len(row) > 1 and row[1] is not None else "" for row in cover]
    if shown != [str(payload.get(name)) for name in IDENTITY_FIELDS]:
        raise _tampered()
    _check_belongs(payload, report)
    return payload


def _check_belongs(payload: dict[str, Any], report: Report) -> None:
    if payload["state"] != report.state.iso3:
        raise WorkflowError(
            _(
                "This workbook belongs to another State's report. Download the workbook of "
                "this report."
            ),
            code="other_report",
        )
    if payload["cycle"] != report.cycle_id:
        raise WorkflowError(
            _("This workbook belongs to the report of another reporting cycle."),
            code="other_report",
        )
    if payload["report"] != report.pk:
        raise WorkflowError(_("This workbook belongs to another report."), code="other_report")
    if payload["questionnaire"] != report.questionnaire.code:
        raise WorkflowError(
            _(
                "This workbook was made for another version of the questionnaire "
                "(%(workbook)s, not %(report)s). Download a new workbook."
            )
            % {"workbook": payload["questionnaire"], "report": report.questionnaire.code},
            code="other_version",
        )


@dataclass
class _Entry:
    """The rows of one question on a sheet: part → (row number, cells from column G)."""

    sheet: str
    row: int
    revision: Any
    parts: dict[str, tuple[int, tuple[Any, ...]]] = field(default_factory=dict)

    def cells(self, part: str) -> tuple[Any, ...]:
        return self.parts.get(part, (0, ()))[1]

    def first(self, part: str = "answer") -> Any:
        cells = self.cells(part)
        return cells[0] if cells else None

    def coordinate(self, part: str = "answer", offset: int = 0) -> str:
        row = self.parts.get(part, (self.row, ()))[0]
        return f"{get_column_letter(COL_ANSWER + offset)}{row}"


def _collect(book: Any, skip: set[str]) -> tuple[dict[str, _Entry], list[CellError]]:
    """Every question's rows, by key, from the section sheets."""
    entries: dict[str, _Entry] = {}
    errors: list[CellError] = []
    for title in book.sheetnames:
        if title in skip:
            continue
        for number, row in enumerate(book[title].iter_rows(min_row=2, values_only=True), 2):
            row = (*row, *([None] * (COL_ANSWER - len(row))))
            key, revision, part = row[COL_KEY - 1], row[COL_REVISION - 1], row[COL_PART - 1]
            if key is None:
                continue
            key = str(key)
            entry = entries.setdefault(key, _Entry(title, number, revision))
            if entry.sheet != title or str(part) in entry.parts:
                message = _("This question appears more than once in the workbook.")
                errors.append(CellError(title, f"A{number}", key, message))
                continue
            entry.parts[str(part)] = (number, tuple(row[COL_ANSWER - 1 :]))
    return entries, errors


def _text(value: Any) -> Any:
    """A cell as text, for text answers: numbers and dates as a person would type them."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _choice(labels: dict[str, str], value: Any) -> str | None:
    """The option value for a label (or for the value itself), ignoring case."""
    text = _text(value)
    if text is None or not text.strip():
        return None
    wanted = text.strip().casefold()
    for option, label in labels.items():
        if wanted in (label.casefold(), option.casefold()):
            return option
    raise ValidationError(
        _("“%(value)s” is not one of the answers in the list.") % {"value": text.strip()[:80]},
        code="invalid_choice",
    )


def _cell_value(kind: str, value: Any) -> Any:
    """A cell as the validator expects it: numbers and dates as they are, else text."""
    return value if kind in ("number", "date") else _text(value)


def _raw_answer(question: Question, entry: _Entry, language: str) -> Any:
    """The answer as written in the workbook, before validation."""
    kind = question.type
    if kind == Question.Type.CONTACT:
        return {
            name: _text(entry.first(f"field:{name}"))
            for name in CONTACT_FIELDS
            if f"field:{name}" in entry.parts
        }
    if kind == Question.Type.TABLE:
        columns = _table_columns(question)
        numbers = sorted(int(p[4:]) for p in entry.parts if re.fullmatch(r"row:\d+", p))
        return [_table_row(columns, entry.cells(f"row:{number}")) for number in numbers]
    value = entry.first()
    if kind in (Question.Type.YES_NO, Question.Type.SINGLE_CHOICE):
        return _choice(_choice_labels(question, language), value)
    if kind == Question.Type.MULTIPLE_CHOICE:
        labels = _choice_labels(question, language)
        items = (_text(value) or "").split(";")
        return [choice for item in items if (choice := _choice(labels, item)) is not None]
    return _cell_value(kind, value)


def _table_row(columns: list[dict[str, Any]], cells: tuple[Any, ...]) -> dict[str, Any]:
    """One table row, {column key: cell}; all rows are passed on, blank ones included, so
    that the validator's row numbers are those of the block."""
    cells = (*cells, *([None] * (len(columns) - len(cells))))
    return {
        column["key"]: _cell_value(column.get("type", "text"), cells[index])
        for index, column in enumerate(columns)
    }


def _locate(question: Question, entry: _Entry, error: ValidationError) -> str:
    """The cell a validation message is about: the table cell or contact field it names,
    else the answer cell."""
    params = error.params if isinstance(error.params, dict) else {}
    if question.type == Question.Type.TABLE and "row" in params:
        labels = [pick(c.get("label")) or c["key"] for c in _table_columns(question)]
        label = str(params.get("column", ""))
        offset = labels.index(label) if label in labels else 0
        return entry.coordinate(f"row:{params['row']}", offset)
    if question.type == Question.Type.CONTACT and "field" in params:
        names = [n for n in CONTACT_FIELDS if str(CONTACT_LABELS[n]) == str(params["field"])]
        return entry.coordinate(f"field:{names[0]}" if names else "title")
    return entry.coordinate("answer" if "answer" in entry.parts else "title")


def _read_entry(question: Question, entry: _Entry, language: str) -> tuple[Any, list[CellError]]:
    """The cleaned answer of one question, or the problems of its cells."""
    try:
        return clean_answer(question, _raw_answer(question, entry, language)), []
    except ValidationError as exc:
        return None, [
            CellError(entry.sheet, _locate(question, entry, error), question.key, message)
            for error in exc.error_list
            for message in error.messages
        ]


def _revision(entry: _Entry, expected: int) -> int | None:
    """The revision written in the hidden column, if it is the signed one."""
    try:
        revision = int(entry.revision or 0)
    except (TypeError, ValueError):
        return None
    return revision if revision == expected else None


def _evaluate(
    report: Report, payload: dict[str, Any], entries: dict[str, _Entry], errors: list[CellError]
) -> WorkbookReading:
    _sections, questions = questionnaire_structure(report.questionnaire)
    by_key = {q.key: q for q in questions}
    stored = answers_of(report)
    reading = WorkbookReading(errors=errors)
    new: dict[str, Any] = {}
    revisions: dict[str, int] = {}
    for key, entry in entries.items():
        question = by_key.get(key)
        reading.locations[key] = (entry.sheet, entry.coordinate("answer"))
        if question is None:
            message = _("There is no question with this key in this questionnaire.")
            reading.errors.append(CellError(entry.sheet, f"A{entry.row}", key, message))
            continue
        if question.type in READ_ONLY_TYPES:
            continue
        value, problems = _read_entry(question, entry, payload["language"])
        revision = _revision(entry, payload["revisions"].get(key, 0))
        if revision is None:
            problems.append(CellError(entry.sheet, f"B{entry.row}", key, _tampered().message))
        reading.errors.extend(problems)
        if not problems and value != stored.get(key):
            new[key], revisions[key] = value, revision
    _check_applies(reading, questions, stored, new)
    _fill_preview(reading, questions, stored, new, revisions)
    return reading


def _check_applies(
    reading: WorkbookReading,
    questions: Iterable[Question],
    stored: dict[str, Any],
    new: dict[str, Any],
) -> None:
    """An answer entered for a question that does not apply is an error, as on the page."""
    visible = completion.visible_keys(questions, {**stored, **new})
    for key in [k for k, value in new.items() if value is not None and k not in visible]:
        sheet, cell = reading.locations[key]
        message = _("This question does not apply given your other answers.")
        reading.errors.append(CellError(sheet, cell, key, message))
        del new[key]


def _fill_preview(
    reading: WorkbookReading,
    questions: Iterable[Question],
    stored: dict[str, Any],
    new: dict[str, Any],
    revisions: dict[str, int],
) -> None:
    questions = list(questions)
    for question in questions:
        if question.key in new:
            key, value = question.key, new[question.key]
            reading.changes.append(AnswerChange(key, value, revisions[key]))
            reading.preview.append(
                PreviewRow(
                    key,
                    question.number,
                    display_value(question, stored.get(key)),
                    display_value(question, value),
                )
            )
    for question in completion.dependents_hidden_by(questions, stored, {**stored, **new}):
        if question.key not in new:
            old = display_value(question, stored.get(question.key))
            reading.cleared.append(PreviewRow(question.key, question.number, old, ""))
