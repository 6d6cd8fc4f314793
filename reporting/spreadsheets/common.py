"""Constants and result types shared by writing and reading workbooks."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from openpyxl.styles import Alignment, Font, PatternFill, Protection

from reporting.models import Question, Report
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


def _table_columns(question: Question) -> list[dict[str, Any]]:
    return [c for c in (question.config or {}).get("columns", []) if isinstance(c, dict)]
