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
