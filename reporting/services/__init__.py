"""State changes in reporting: one function per change (see STYLE.md)."""

from reporting.services.meetings import create_meeting
from reporting.services.reports import (
    AnswerChange,
    AnswerConflict,
    AnswersInvalid,
    ConfirmClear,
    SaveResult,
    create_report,
    mark_section_unchanged,
    save_answers,
    submit_report,
    upload_attachment,
)

__all__ = [
    "AnswerChange",
    "AnswerConflict",
    "AnswersInvalid",
    "ConfirmClear",
    "SaveResult",
    "create_meeting",
    "create_report",
    "mark_section_unchanged",
    "save_answers",
    "submit_report",
    "upload_attachment",
]
