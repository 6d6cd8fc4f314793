"""The offline spreadsheet route: a report as a pre-filled XLSX workbook, and the workbook
read back into answer changes.

Layout (one sheet per section, after a cover sheet):

- columns A–C are hidden: the question key, the answer revision at download time, and the
  part of the answer the row holds (`answer`, `title`, `field:<contact field>`, `columns`,
  `row:<n>`, `readonly`);
- D: question number, E: question text (in the workbook's language), F: guidance (the
  question's help, "answer only if …" for conditional questions, how to enter the answer),
  G: the answer. Guidance comes before the answer so that table blocks can grow rightwards;
- a contact question is a title row and one row per field (label in E, value in G);
- a table question is a block on its section sheet: a title row, a header row with the column
  labels from G rightwards, then `max_rows` rows to fill in (row number in E);
- choices (yes/no, single choice) have a drop-down list of their labels in the workbook's
  language (the lists live on the hidden sheet `lists`); a multiple choice is one cell of
  labels separated by "; ". Labels are mapped back to option values on upload;
- file and calculated questions are shown read-only and never read back.

The report id, State, cycle, questionnaire code and language are on the cover sheet and, with
the revisions of the answers, in a signed token (`django.core.signing`, salt
`reporting.workbook`) on the very hidden sheet `meta`: a workbook of another report, or whose
identity cells were edited, is refused. Sheets are protected (without a password: it guards
against slips, not against intent), and so is the workbook structure.

Every text cell written from stored content is a string cell, never a formula, whatever it
starts with (formula injection). Reading checks the archive before opening it (size,
decompression ratio), validates every cell with `clean_answer()` — the same validator as the
form and the API — and names the sheet and cell of every problem.
"""

from __future__ import annotations

import io
import re
import secrets
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from core.errors import WorkflowError
from core.i18n import pick
from core.models import User
from reporting import completion
from reporting.models import Question, Report
from reporting.questions import (
    CONTACT_FIELDS,
    CONTACT_LABELS,
    MESSAGES,
    TABLE_MAX_ROWS,
    YES_NO_LABELS,
    ZIP_MAX_MEMBERS,
    ZIP_MAX_RATIO,
    ZIP_MAX_UNCOMPRESSED_BYTES,
    clean_answer,
    compute_derived,
    display_value,
)
from reporting.selectors import answers_of, questionnaire_structure
from reporting.services import AnswerChange

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WORKBOOK_MAX_BYTES = 5 * 1024 * 1024
SIGNING_SALT = "reporting.workbook"
LAYOUT_VERSION = 1
META_SHEET = "meta"
LISTS_SHEET = "lists"
READ_ONLY_TYPES = ("file", "derived")
UPLOAD_FOLDER = "workbooks"
UPLOAD_SALT = "reporting.workbook-upload"
#: Seconds between the preview and the confirmation.
UPLOAD_MAX_AGE = 60 * 60

COL_KEY, COL_REVISION, COL_PART, COL_NUMBER, COL_TEXT, COL_HELP, COL_ANSWER = range(1, 8)
#: Cover sheet rows holding the identity (label in A, value in B), in this order.
IDENTITY_FIELDS = ("report", "state", "cycle", "questionnaire", "language")
IDENTITY_FIRST_ROW = 3

# What spreadsheet programs may read as the start of a formula (OWASP "CSV injection").
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_FORBIDDEN_IN_TITLE = re.compile(r"[\[\]:*?/\\]")
_UNLOCKED = Protection(locked=False)
_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")
_READ_ONLY_FILL = PatternFill("solid", fgColor="EEEEEE")
_ANSWER_FILL = PatternFill("solid", fgColor="FFF8DC")


class CellError(NamedTuple):
    """A problem found in the workbook, where it is: sheet title and cell ("G12")."""

    sheet: str
    cell: str
    key: str
    message: str


class PreviewRow(NamedTuple):
    """One answer that the upload changes, as readable text."""

    key: str
    number: str
    old: str
    new: str


@dataclass
class WorkbookReading:
    """What an uploaded workbook would change. `changes` carry the revisions written in the
    workbook, so an answer changed online since the download is a conflict on save;
    `cleared` lists answers the service will clear because their question stops applying;
    `locations` gives each question key's (sheet, cell) for messages after the fact."""

    changes: list[AnswerChange] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    preview: list[PreviewRow] = field(default_factory=list)
    cleared: list[PreviewRow] = field(default_factory=list)
    locations: dict[str, tuple[str, str]] = field(default_factory=dict)


def workbook_filename(report: Report) -> str:
    """`report-FRA-BMS10.xlsx`."""
    meeting = re.sub(r"[^\w.-]+", "-", report.cycle.meeting.short_name).strip("-")
    return f"report-{report.state.iso3}-{meeting}.xlsx"


# --- Writing ---------------------------------------------------------------------------------


def build_workbook(report: Report, *, language: str) -> bytes:
    """The report as an XLSX workbook in `language`, pre-filled with the stored answers."""
    sections, questions = questionnaire_structure(report.questionnaire)
    rows = list(report.answers.values_list("question__key", "value", "revision"))
    values = {key: value for key, value, _revision in rows}
    revisions = {key: revision for key, _value, revision in rows}
    for question in questions:
        if question.type == Question.Type.DERIVED:
            values[question.key] = compute_derived(question, values)
    with translation.override(language):
        book = Workbook()
        cover = book.active
        taken = {META_SHEET, LISTS_SHEET}
        cover.title = _sheet_title(_("About this workbook"), taken)
        lists = _Lists(book.create_sheet(LISTS_SHEET))
        _write_cover(cover, report, language)
        by_key = {q.key: q for q in questions}
        for section in sections:
            title = _sheet_title(f"{section.number} {pick(section.title, language)}", taken)
            writer = _SectionWriter(
                book.create_sheet(title), language, lists, values, revisions, by_key
            )
            writer.write([q for q in questions if q.section_id == section.pk])
        payload = _identity(report, language) | {"cover": cover.title, "revisions": revisions}
        _write_meta(book.create_sheet(META_SHEET), payload)
        lists.sheet.sheet_state = "hidden"
        book.security = WorkbookProtection(lockStructure=True)
        buffer = io.BytesIO()
        book.save(buffer)
    return buffer.getvalue()


def _identity(report: Report, language: str) -> dict[str, Any]:
    return {
        "report": report.pk,
        "state": report.state.iso3,
        "cycle": report.cycle_id,
        "questionnaire": report.questionnaire.code,
        "language": language,
    }


def _sheet_title(text: str, taken: set[str]) -> str:
    """A valid, unique sheet title: at most 31 characters, none of []:*?/\\, no quote at
    either end; Excel compares titles without regard to case."""
    base = " ".join(_FORBIDDEN_IN_TITLE.sub(" ", text).split()).strip("'") or "Sheet"
    number = 1
    while True:
        suffix = f" ({number})" if number > 1 else ""
        title = base[: 31 - len(suffix)].rstrip().rstrip("'") + suffix
        if title.casefold() not in taken:
            taken.add(title.casefold())
            return title
        number += 1


def _put(sheet: Worksheet, row: int, column: int, value: Any, *, editable: bool = False) -> Cell:
    """Write one cell. Text is always a string cell, never a formula, whatever it starts
    with; the quote prefix keeps it text when the person edits it in a spreadsheet program."""
    cell = sheet.cell(row=row, column=column)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(_FORMULA_PREFIXES):
            cell.quotePrefix = True
        if "\n" in value:
            cell.alignment = _WRAP
    if editable:
        cell.protection = _UNLOCKED
        cell.fill = _ANSWER_FILL
    return cell


def _protect(sheet: Worksheet) -> None:
    """Lock everything but the answer cells; columns and rows may still be resized."""
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False


def _write_cover(sheet: Worksheet, report: Report, language: str) -> None:
    _put(sheet, 1, 1, str(report)).font = Font(bold=True, size=14)
    labels = {
        "report": _("Report number"),
        "state": pgettext("country", "State (ISO code)"),
        "cycle": _("Reporting cycle number"),
        "questionnaire": _("Questionnaire"),
        "language": _("Language of the workbook"),
    }
    identity = _identity(report, language)
    for offset, name in enumerate(IDENTITY_FIELDS):
        _put(sheet, IDENTITY_FIRST_ROW + offset, 1, str(labels[name])).font = _BOLD
        _put(sheet, IDENTITY_FIRST_ROW + offset, 2, identity[name])
    row = IDENTITY_FIRST_ROW + len(IDENTITY_FIELDS)
    _put(sheet, row, 1, _("Downloaded on")).font = _BOLD
    _put(sheet, row, 2, timezone.localtime().strftime("%Y-%m-%d %H:%M %Z"))
    for offset, text in enumerate(_INSTRUCTIONS, start=row + 2):
        _put(sheet, offset, 1, str(text))
    sheet.column_dimensions["A"].width = 32
    sheet.column_dimensions["B"].width = 24
    sheet.sheet_view.rightToLeft = translation.get_language_bidi()
    _protect(sheet)


_INSTRUCTIONS = (
    gettext_lazy(
        "Fill in the shaded cells of each section sheet, then upload the workbook on the "
        "report page."
    ),
    gettext_lazy(
        "Choose answers from the drop-down lists where there is one. Do not change the other cells."
    ),
    gettext_lazy("A workbook can only be uploaded to the report it was downloaded from."),
    gettext_lazy(
        "If someone changes an answer on the website after you downloaded the workbook, "
        "your change to that answer is refused: download a new workbook."
    ),
)


def _write_meta(sheet: Worksheet, payload: dict[str, Any]) -> None:
    token = signing.dumps({"v": LAYOUT_VERSION, **payload}, salt=SIGNING_SALT, compress=True)
    _put(sheet, 1, 1, "signature")
    _put(sheet, 1, 2, token)
    sheet.sheet_state = "veryHidden"
    _protect(sheet)


class _Lists:
    """The hidden sheet holding the drop-down lists, one column per list."""

    def __init__(self, sheet: Worksheet):
        self.sheet = sheet
        self.column = 0

    def add(self, labels: list[str]) -> str:
        """Write `labels` in the next column; the range formula for a data validation."""
        self.column += 1
        for row, label in enumerate(labels, start=1):
            _put(self.sheet, row, self.column, label)
        letter = get_column_letter(self.column)
        return f"{quote_sheetname(self.sheet.title)}!${letter}$1:${letter}${len(labels)}"


def _choice_labels(question: Question, language: str) -> dict[str, str]:
    """Option value → label in `language`, for yes/no and choice questions."""
    if question.type == Question.Type.YES_NO:
        with translation.override(language):
            return {value: str(label) for value, label in YES_NO_LABELS.items()}
    return {
        option["value"]: pick(option.get("label"), language) or option["value"]
        for option in question.options or []
        if isinstance(option, dict) and "value" in option
    }


def _condition_note(question: Question, by_key: dict[str, Question], language: str) -> str:
    """ "Answer only if the answer to 1.1 is “Yes”." for a conditional question."""
    condition = question.condition or {}
    parent = by_key.get(condition.get("key"))
    if parent is None:
        return ""
    labels = _choice_labels(parent, language)
    answers = [f"“{labels.get(value, value)}”" for value in condition.get("in") or []]
    return _("Answer only if the answer to %(number)s is %(answers)s.") % {
        "number": parent.number,
        "answers": get_text_list(answers, _("or")),
    }


def _type_note(question: Question, language: str) -> str:
    """How to enter the answer in the cell."""
    config, kind = question.config or {}, question.type
    if kind == Question.Type.MULTIPLE_CHOICE:
        options = "; ".join(_choice_labels(question, language).values())
        return _("Enter one or more of: %(options)s. Separate them with “; ”.") % {
            "options": options
        }
    if kind == Question.Type.NUMBER and not config.get("integer", True):
        places = config.get("decimal_places", 2)
        return ngettext(
            "Enter a number with up to %(places)d decimal place.",
            "Enter a number with up to %(places)d decimal places.",
            places,
        ) % {"places": places}
    if kind == Question.Type.TABLE:
        rows = config.get("max_rows", TABLE_MAX_ROWS)
        return ngettext(
            "Enter up to %(rows)d row in the block below.",
            "Enter up to %(rows)d rows in the block below, one per line.",
            rows,
        ) % {"rows": rows}
    return str(_NOTES.get(kind, ""))


_NOTES = {
    Question.Type.YES_NO: gettext_lazy("Choose the answer from the drop-down list."),
    Question.Type.SINGLE_CHOICE: gettext_lazy("Choose the answer from the drop-down list."),
    Question.Type.NUMBER: gettext_lazy("Enter a whole number."),
    Question.Type.DATE: gettext_lazy("Enter a date (YYYY-MM-DD)."),
    Question.Type.FILE: gettext_lazy("Files are attached on the website. This cell is not read."),
    Question.Type.DERIVED: gettext_lazy("Calculated from other answers. This cell is not read."),
}


def _number_cell(value: Any) -> Any:
    """A stored number as a spreadsheet number when that loses nothing, else as text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        number = Decimal(str(value))
        as_float = float(number)
    except (InvalidOperation, ValueError):
        return value
    return as_float if Decimal(repr(as_float)) == number else str(value)


def _number_format(kind: str, config: dict[str, Any]) -> str:
    if kind == "date":
        return "yyyy-mm-dd"
    if kind == "number":
        places = 0 if config.get("integer", True) else config.get("decimal_places", 2)
        return "0." + "0" * places if places else "0"
    return "@"  # text: what is typed stays as typed (leading zeros, "1-2")


def _typed_cell(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "number":
        return _number_cell(value)
    if kind == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value if isinstance(value, str) else str(value)


@dataclass
class _SectionWriter:
    """Writes one section sheet, row by row."""

    sheet: Worksheet
    language: str
    lists: _Lists
    values: dict[str, Any]
    revisions: dict[str, int]
    by_key: dict[str, Question]
    row: int = 1

    def write(self, questions: Iterable[Question]) -> None:
        headings = ["key", "revision", "part", _("No."), _("Question"), _("Guidance"), _("Answer")]
        for column, heading in enumerate(headings, start=1):
            _put(self.sheet, 1, column, heading).font = _BOLD
        for question in questions:
            self.row += 1
            self._question(question)
        for letter, width in zip("ABCDEFG", (8, 8, 12, 8, 60, 40, 40), strict=True):
            self.sheet.column_dimensions[letter].width = width
            self.sheet.column_dimensions[letter].hidden = letter in "ABC"
        self.sheet.freeze_panes = "A2"
        self.sheet.sheet_view.rightToLeft = translation.get_language_bidi()
        _protect(self.sheet)

    def _line(self, question: Question, part: str, text: str = "", notes: str = "") -> int:
        """The hidden columns and the question's texts of one row; returns the row."""
        _put(self.sheet, self.row, COL_KEY, question.key)
        _put(self.sheet, self.row, COL_REVISION, self.revisions.get(question.key, 0))
        _put(self.sheet, self.row, COL_PART, part)
        if part in ("answer", "title", "readonly"):
            _put(self.sheet, self.row, COL_NUMBER, question.number)
        if text:
            _put(self.sheet, self.row, COL_TEXT, text).alignment = _WRAP
        if notes:
            _put(self.sheet, self.row, COL_HELP, notes).alignment = _WRAP
        return self.row

    def _notes(self, question: Question) -> str:
        parts = [
            pick(question.help, self.language),
            _condition_note(question, self.by_key, self.language),
            _type_note(question, self.language),
        ]
        return "\n".join(part for part in parts if part)

    def _question(self, question: Question) -> None:
        text, notes = pick(question.text, self.language), self._notes(question)
        value = self.values.get(question.key)
        if question.type == Question.Type.CONTACT:
            self._line(question, "title", text, notes)
            self._contact(question, value or {})
        elif question.type == Question.Type.TABLE:
            self._line(question, "title", text, notes)
            self._table(question, value or [])
        elif question.type in READ_ONLY_TYPES:
            row = self._line(question, "readonly", text, notes)
            shown = display_value(question, value, self.language)
            _put(self.sheet, row, COL_ANSWER, shown or None).fill = _READ_ONLY_FILL
        else:
            row = self._line(question, "answer", text, notes)
            self._answer(question, row, value)

    def _answer(self, question: Question, row: int, value: Any) -> None:
        kind = question.type
        if kind in (Question.Type.YES_NO, Question.Type.SINGLE_CHOICE):
            labels = _choice_labels(question, self.language)
            shown = labels.get(value, value) if value is not None else None
            cell = _put(self.sheet, row, COL_ANSWER, shown, editable=True)
            self._drop_down(cell, list(labels.values()))
        elif kind == Question.Type.MULTIPLE_CHOICE:
            labels = _choice_labels(question, self.language)
            shown = "; ".join(labels.get(v, v) for v in value or []) or None
            cell = _put(self.sheet, row, COL_ANSWER, shown, editable=True)
        else:
            cell = _put(self.sheet, row, COL_ANSWER, _typed_cell(kind, value), editable=True)
            cell.number_format = _number_format(kind, question.config or {})
        cell.alignment = _WRAP

    def _drop_down(self, cell: Cell, labels: list[str]) -> None:
        if not labels:
            return
        validation = DataValidation(
            type="list", formula1=self.lists.add(labels), allow_blank=True, showDropDown=False
        )
        validation.error = _("Choose an answer from the list.")
        validation.errorTitle = _("Not one of the answers")
        validation.showErrorMessage = True
        self.sheet.add_data_validation(validation)
        validation.add(cell)

    def _contact(self, question: Question, value: dict[str, Any]) -> None:
        for name in CONTACT_FIELDS:
            self.row += 1
            row = self._line(question, f"field:{name}", str(CONTACT_LABELS[name]))
            cell = _put(self.sheet, row, COL_ANSWER, value.get(name), editable=True)
            cell.number_format = "@"
            cell.alignment = _WRAP

    def _table(self, question: Question, value: list[dict[str, Any]]) -> None:
        columns = _table_columns(question)
        self.row += 1
        row = self._line(question, "columns", _("Row"))
        for index, column in enumerate(columns):
            label = pick(column.get("label"), self.language) or column["key"]
            _put(self.sheet, row, COL_ANSWER + index, label).font = _BOLD
            letter = get_column_letter(COL_ANSWER + index)
            if index:
                self.sheet.column_dimensions[letter].width = 30
        max_rows = max(question.config.get("max_rows", TABLE_MAX_ROWS), len(value))
        for number in range(1, max_rows + 1):
            self.row += 1
            row = self._line(question, f"row:{number}")
            _put(self.sheet, row, COL_TEXT, number)
            cells = value[number - 1] if number <= len(value) else {}
            for index, column in enumerate(columns):
                kind = column.get("type", "text")
                shown = _typed_cell(kind, cells.get(column["key"]))
                cell = _put(self.sheet, row, COL_ANSWER + index, shown, editable=True)
                cell.number_format = _number_format(kind, column)


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


def _table_columns(question: Question) -> list[dict[str, Any]]:
    return [c for c in (question.config or {}).get("columns", []) if isinstance(c, dict)]


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


# --- Uploads kept between the preview and the confirmation -----------------------------------


def keep_upload(report: Report, user: User, data: bytes) -> str:
    """Store an upload until it is confirmed, under `workbooks/<report>/<random>.xlsx` in
    the default storage; returns a signed token naming it, for the confirmation form."""
    name = default_storage.save(
        f"{UPLOAD_FOLDER}/{report.pk}/{secrets.token_hex(16)}.xlsx", ContentFile(data)
    )
    return signing.dumps({"report": report.pk, "user": user.pk, "name": name}, salt=UPLOAD_SALT)


def take_upload(report: Report, user: User, token: str) -> bytes:
    """The upload a token names, if it was kept for this report and person less than
    UPLOAD_MAX_AGE seconds ago; the stored file is deleted."""
    try:
        kept = signing.loads(token, salt=UPLOAD_SALT, max_age=UPLOAD_MAX_AGE)
    except signing.BadSignature:
        kept = None
    name = kept.get("name", "") if isinstance(kept, dict) else ""
    valid = (
        isinstance(kept, dict)
        and kept.get("report") == report.pk
        and kept.get("user") == user.pk
        and name.startswith(f"{UPLOAD_FOLDER}/{report.pk}/")
    )
    if not valid or not default_storage.exists(name):
        raise WorkflowError(
            _("The uploaded workbook has expired. Upload it again."), code="expired"
        )
    try:
        with default_storage.open(name, "rb") as stored:
            return stored.read()
    finally:
        default_storage.delete(name)


def delete_stale_uploads(*, older_than: timedelta | None = None) -> int:
    """Delete kept uploads that were never confirmed (older than UPLOAD_MAX_AGE by
    default); returns how many. Meant for a periodic task."""
    limit = timezone.now() - (older_than or timedelta(seconds=UPLOAD_MAX_AGE))
    deleted = 0
    try:
        folders, _files = default_storage.listdir(UPLOAD_FOLDER)
    except FileNotFoundError:
        return 0
    for folder in folders:
        for file in default_storage.listdir(f"{UPLOAD_FOLDER}/{folder}")[1]:
            name = f"{UPLOAD_FOLDER}/{folder}/{file}"
            if default_storage.get_modified_time(name) < limit:
                default_storage.delete(name)
                deleted += 1
    return deleted
