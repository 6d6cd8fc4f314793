"""Fixtures for assistance: a questionnaire with the official needs table, needs, offers."""

from decimal import Decimal

import pytest

from assistance import services
from assistance.models import Need
from core.models import MemberState
from reporting import services as reporting
from reporting.models import Report
from tests.conftest import open_cycle_for, publish

COLUMNS = [
    {"key": "theme", "label": {"en": "Theme"}, "type": "text", "required": True},
    {"key": "type", "label": {"en": "Type of assistance"}, "type": "text", "required": True},
    {"key": "description", "label": {"en": "Description"}, "type": "long_text", "required": True},
    {"key": "estimated_cost", "label": {"en": "Estimated cost"}, "type": "number"},
    {"key": "currency", "label": {"en": "Currency"}, "type": "text", "max_length": 3},
]
NEEDS_QUESTIONNAIRE = {
    "code": "needs-test",
    "title": {"en": "Needs"},
    "sections": [
        {
            "key": "assistance",
            "number": "10",
            "title": {"en": "Assistance"},
            "questions": [
                {
                    "key": "assistance.needs",
                    "number": "10.1",
                    "type": "table",
                    "text": {"en": "Describe each need."},
                    "config": {"columns": COLUMNS, "max_rows": 30},
                }
            ],
        }
    ],
}
ROW_MARKING = {
    "theme": "marking",
    "type": "equipment",
    "description": "Marking machines for the national armoury",
    "estimated_cost": 120000,
    "currency": "USD",
}
ROW_TRAINING = {
    "theme": "Formation",  # a type written in the theme column: unknown → other
    "type": "Formation",
    "description": "Training of customs officers",
}


@pytest.fixture
def needs_report(db, editor):
    cycle = open_cycle_for(publish(NEEDS_QUESTIONNAIRE), number=12)
    return reporting.create_report(
        state=MemberState.objects.get(iso3="FRA"), cycle=cycle, by=editor, language="fr"
    )


@pytest.fixture
def publish_with_rows(editor, approver, reviewer, django_capture_on_commit_callbacks):
    """Save `rows` in the needs table, submit and publish (an amendment when published)."""

    def run(report: Report, rows: list[dict], visibility: str = "public") -> Report:
        report = Report.objects.get(pk=report.pk)
        if report.status == Report.Status.PUBLISHED:
            report = reporting.amend_report(report, by=editor)
        answer = report.answers.filter(question__key="assistance.needs").first()
        change = reporting.AnswerChange("assistance.needs", rows, answer.revision if answer else 0)
        reporting.save_answers(report, by=editor, changes=[change])
        reporting.submit_report(report, by=approver, visibility=visibility, mfa_verified=True)
        with django_capture_on_commit_callbacks(execute=True):
            return reporting.publish_report(Report.objects.get(pk=report.pk), by=reviewer)

    return run


@pytest.fixture
def need(editor):
    return services.record_need(
        by=editor,
        state=MemberState.objects.get(iso3="FRA"),
        data={
            "theme": "marking",
            "kind": "equipment",
            "priority": "high",
            "description": "Marking machines for the national armoury",
            "estimated_cost": Decimal("120000"),
            "currency": "USD",
            "visibility": Need.Visibility.PUBLIC,
        },
    )


@pytest.fixture
def restricted_need(editor):
    return services.record_need(
        by=editor,
        state=MemberState.objects.get(iso3="FRA"),
        data={
            "theme": "stockpile_management",
            "kind": "technical",
            "description": "Secret depot assessment",
            "estimated_cost": Decimal("50000"),
            "currency": "EUR",
            "visibility": Need.Visibility.RESTRICTED,
        },
    )
