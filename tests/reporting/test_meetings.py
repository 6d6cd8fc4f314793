"""Meetings history, and staff creating the next meeting and its cycle."""

import datetime

import pytest
from django.urls import reverse

from core.models import AuditEntry
from reporting.models import Cycle, Meeting

pytestmark = pytest.mark.django_db


def test_history_is_seeded():
    assert Meeting.objects.get(kind="bms", number=9).start_date == datetime.date(2026, 6, 1)
    assert Meeting.objects.get(kind="revcon", number=4).end_date == datetime.date(2024, 6, 28)
    # A cycle ahead of each BMS and RevCon: 9 + 4.
    assert Cycle.objects.count() == 13


def test_meetings_page_is_public(anonymous):
    page = anonymous.get(reverse("reporting:meeting-list")).content.decode()
    assert "Biennial Meeting of States (BMS9)" in page


def test_administrator_creates_next_meeting_with_cycle(client_for, administrator):
    response = client_for(administrator).post(
        reverse("reporting:meeting-create"),
        {
            "kind": "bms",
            "number": 10,
            "start_date": "2028-06-12",
            "end_date": "2028-06-16",
            "venue": "New York",
            "opens_on": "2027-06-01",
            "deadline": "2028-03-31",
        },
    )
    assert response.status_code == 302
    meeting = Meeting.objects.get(kind="bms", number=10)
    assert meeting.cycle.closes_on == datetime.date(2028, 3, 31)
    assert AuditEntry.objects.get(action="reporting.meeting.created").actor == administrator


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"start_date": "2028-06-16", "end_date": "2028-06-12"}, "last day cannot be before"),
        ({"opens_on": "2028-04-01", "deadline": "2028-03-31"}, "must open before its deadline"),
        ({"opens_on": "2027-06-01"}, "both the opening date and the deadline"),
        ({"number": 9}, "already exists"),
    ],
)
def test_bad_meeting_dates_get_a_clear_error(client_for, administrator, fields, message):
    data = {
        "kind": "bms",
        "number": 10,
        "start_date": "2028-06-12",
        "end_date": "2028-06-16",
        "venue": "New York",
        **fields,
    }
    before = Meeting.objects.count()
    response = client_for(administrator).post(reverse("reporting:meeting-create"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Meeting.objects.count() == before


def test_reviewer_and_editor_cannot_create_meetings(client_for, reviewer, editor):
    before = Meeting.objects.count()
    for user in (reviewer, editor):
        response = client_for(user).post(
            reverse("reporting:meeting-create"),
            {
                "kind": "bms",
                "number": 10,
                "start_date": "2028-06-12",
                "end_date": "2028-06-16",
                "venue": "New York",
            },
        )
        assert response.status_code == 403
    assert Meeting.objects.count() == before


def test_admin_lists_questionnaires_and_published_versions_are_read_only(
    client_for, administrator, questionnaire
):
    client = client_for(administrator)
    assert client.get("/admin/reporting/questionnaireversion/").status_code == 200
    page = client.get(f"/admin/reporting/questionnaireversion/{questionnaire.pk}/change/")
    assert page.status_code == 200
    assert b'name="code"' not in page.content  # read-only: no input to change it
    section = questionnaire.sections.first()
    response = client.post(f"/admin/reporting/section/{section.pk}/change/", {"key": "x"})
    assert response.status_code == 403
    section.refresh_from_db()
    assert section.key != "x"


def test_admin_copies_a_published_version_as_a_draft(client_for, administrator, questionnaire):
    from reporting.models import QuestionnaireVersion

    client_for(administrator).post(
        "/admin/reporting/questionnaireversion/",
        {
            "action": "copy_as_draft",
            "_selected_action": [questionnaire.pk],
        },
    )
    copy = QuestionnaireVersion.objects.get(based_on=questionnaire)
    assert copy.status == "draft"
    assert copy.questions.count() == questionnaire.questions.count()


def test_new_cycle_uses_the_chosen_questionnaire(client_for, administrator, questionnaire):
    response = client_for(administrator).post(
        reverse("reporting:meeting-create"),
        {
            "kind": "bms",
            "number": 10,
            "start_date": "2028-06-12",
            "end_date": "2028-06-16",
            "venue": "New York",
            "opens_on": "2027-06-01",
            "deadline": "2028-03-31",
            "questionnaire": questionnaire.pk,
        },
    )
    assert response.status_code == 302
    assert Meeting.objects.get(kind="bms", number=10).cycle.questionnaire == questionnaire
