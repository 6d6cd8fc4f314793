from reporting.models.analysis import AnalysisChunk, AnalysisEdition
from reporting.models.meetings import Cycle, DeadlineExtension, Meeting, ReminderSent
from reporting.models.questionnaires import Question, QuestionnaireVersion, Section
from reporting.models.reports import Answer, Attachment, Comment, Report, ReportRevision

__all__ = [
    "AnalysisChunk",
    "AnalysisEdition",
    "Answer",
    "Attachment",
    "Comment",
    "Cycle",
    "DeadlineExtension",
    "Meeting",
    "Question",
    "QuestionnaireVersion",
    "ReminderSent",
    "Report",
    "ReportRevision",
    "Section",
]
