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

from reporting.spreadsheets.common import (
    COL_ANSWER,
    COL_REVISION,
    WORKBOOK_MAX_BYTES,
    XLSX_CONTENT_TYPE,
    CellError,
    PreviewRow,
    WorkbookReading,
    workbook_filename,
)
from reporting.spreadsheets.reading import check_workbook_size, read_workbook
from reporting.spreadsheets.uploads import delete_stale_uploads, keep_upload, take_upload
from reporting.spreadsheets.writing import build_workbook

__all__ = [
    "COL_ANSWER",
    "COL_REVISION",
    "WORKBOOK_MAX_BYTES",
    "XLSX_CONTENT_TYPE",
    "CellError",
    "PreviewRow",
    "WorkbookReading",
    "build_workbook",
    "check_workbook_size",
    "delete_stale_uploads",
    "keep_upload",
    "read_workbook",
    "take_upload",
    "workbook_filename",
]
