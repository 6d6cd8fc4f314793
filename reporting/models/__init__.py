from reporting.models.meetings import Cycle, Meeting
from reporting.models.questionnaires import Question, QuestionnaireVersion, Section
from reporting.models.reports import Answer, Attachment, Report, ReportRevision

__all__ = [
    "Answer",
    "Attachment",
    "Cycle",
    "Meeting",
    "Question",
    "QuestionnaireVersion",
    "Report",
    "ReportRevision",
    "Section",
]
