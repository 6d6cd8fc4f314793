from reporting.models.meetings import Cycle, Meeting
from reporting.models.questionnaires import Question, QuestionnaireVersion, Section
from reporting.models.reports import Answer, Attachment, Comment, Report, ReportRevision

__all__ = [
    "Answer",
    "Attachment",
    "Comment",
    "Cycle",
    "Meeting",
    "Question",
    "QuestionnaireVersion",
    "Report",
    "ReportRevision",
    "Section",
]
