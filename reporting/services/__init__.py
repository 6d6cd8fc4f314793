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
from reporting.services.review import (
    add_comment,
    amend_report,
    publish_report,
    return_report,
    start_review,
)

__all__ = [
    "AnswerChange",
    "AnswerConflict",
    "AnswersInvalid",
    "ConfirmClear",
    "SaveResult",
    "add_comment",
    "amend_report",
    "create_meeting",
    "create_report",
    "mark_section_unchanged",
    "publish_report",
    "return_report",
    "start_review",
    "save_answers",
    "submit_report",
    "upload_attachment",
]
