"""Writing a report as a pre-filled workbook."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core import signing
from django.utils import timezone, translation
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from core.i18n import pick
from reporting.models import Question, Report
from reporting.questions import (
    CONTACT_FIELDS,
    CONTACT_LABELS,
    TABLE_MAX_ROWS,
    YES_NO_LABELS,
    compute_derived,
    display_value,
)
from reporting.selectors import questionnaire_structure
from reporting.spreadsheets.common import (
    _ANSWER_FILL,
    _BOLD,
    _FORBIDDEN_IN_TITLE,
    _FORMULA_PREFIXES,
    _READ_ONLY_FILL,
    _UNLOCKED,
    _WRAP,
    COL_ANSWER,
    COL_HELP,
    COL_KEY,
    COL_NUMBER,
    COL_PART,
    COL_REVISION,
    COL_TEXT,
    IDENTITY_FIELDS,
    IDENTITY_FIRST_ROW,
    LAYOUT_VERSION,
    LISTS_SHEET,
    META_SHEET,
    READ_ONLY_TYPES,
    SIGNING_SALT,
    _table_columns,
)

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
