"""What the report pages show: sections and questions with their answers, in the reader's
language, built from data read once (the page's query count does not grow with questions)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from core.i18n import pick
from reporting import completion
from reporting.models import Attachment, Question, Report, Section
from reporting.questions import (
    CONTACT_FIELDS,
    CONTACT_LABELS,
    YES_NO_LABELS,
    compute_derived,
    display_value,
)
from reporting.selectors import questionnaire_structure


@dataclass
class QuestionView:
    question: Question
    value: Any
    revision: int
    visible: bool
    language: str
    attachments: list[Attachment] = field(default_factory=list)
    error: str = ""

    @property
    def key(self) -> str:
        return self.question.key

    @property
    def dom_id(self) -> str:
        return "q-" + "".join(c if c.isalnum() else "-" for c in self.question.key)

    @property
    def text(self) -> str:
        return pick(self.question.text, self.language)

    @property
    def help(self) -> str:
        return pick(self.question.help, self.language)

    @property
    def display(self) -> str:
        return display_value(self.question, self.value, self.language)

    @property
    def options(self) -> list[tuple[str, str, bool]]:
        """(value, label, selected) for choice questions."""
        if self.question.type == "yes_no":
            choices = [(value, str(label)) for value, label in YES_NO_LABELS.items()]
        else:
            choices = [
                (o["value"], pick(o.get("label"), self.language)) for o in self.question.options
            ]
        chosen = self.value if isinstance(self.value, list) else [self.value]
        return [(value, label, value in chosen) for value, label in choices]

    @property
    def columns(self) -> list[dict[str, Any]]:
        return [
            {**column, "title": pick(column.get("label"), self.language)}
            for column in self.question.config.get("columns", [])
        ]

    @property
    def rows(self) -> list[list[tuple[dict[str, Any], Any]]]:
        """Table rows as (column, cell value) pairs, plus one empty row to type into."""
        columns = self.columns
        rows = [*(self.value or []), {}]
        return [[(column, row.get(column["key"], "")) for column in columns] for row in rows]

    @property
    def contact(self) -> list[tuple[str, str, Any]]:
        value = self.value or {}
        return [(name, CONTACT_LABELS[name], value.get(name, "")) for name in CONTACT_FIELDS]

    @property
    def condition_json(self) -> str:
        return json.dumps(self.question.condition) if self.question.condition else ""


@dataclass
class SectionView:
    section: Section
    questions: list[QuestionView]
    progress: completion.Progress
    unchanged: bool
    language: str

    @property
    def title(self) -> str:
        return pick(self.section.title, self.language)

    @property
    def help(self) -> str:
        return pick(self.section.help, self.language)


@dataclass
class ReportView:
    report: Report
    sections: list[SectionView]
    progress: completion.Progress


def build_report_view(
    report: Report,
    *,
    language: str,
    values: dict[str, Any],
    revisions: dict[str, int] | None = None,
    attachments: list[Attachment] | None = None,
    only_section: str | None = None,
) -> ReportView:
    """Sections and questions with answers; derived values computed from the others."""
    sections, questions = questionnaire_structure(report.questionnaire)
    values = dict(values)
    for question in questions:
        if question.type == "derived":
            values[question.key] = compute_derived(question, values)
    visible = completion.visible_keys(questions, values)
    files: dict[str, list[Attachment]] = {}
    for attachment in attachments or []:
        files.setdefault(attachment.question_id, []).append(attachment)
    # Grouped in one pass: every autosave builds this view (for the progress it returns).
    by_section: dict[int, list[Question]] = {}
    for question in questions:
        by_section.setdefault(question.section_id, []).append(question)
    views = []
    for section in sections:
        in_section = by_section.get(section.pk, [])
        if only_section and section.key != only_section:
            qviews = []
        else:
            qviews = [
                QuestionView(
                    question=q,
                    value=values.get(q.key),
                    revision=(revisions or {}).get(q.key, 0),
                    visible=q.key in visible,
                    language=language,
                    attachments=files.get(q.pk, []),
                )
                for q in in_section
            ]
        views.append(
            SectionView(
                section=section,
                questions=qviews,
                progress=completion.progress(in_section, values, visible),
                unchanged=section.key in report.unchanged_sections,
                language=language,
            )
        )
    return ReportView(
        report=report, sections=views, progress=completion.progress(questions, values, visible)
    )
