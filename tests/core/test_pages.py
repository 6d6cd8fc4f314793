"""Public pages and the dashboard of each role, showing that role's real data."""

import pytest
from django.urls import reverse
from django.utils import timezone

from core.models import MemberState
from reporting.models import Cycle, Report

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _bms9_questionnaire(questionnaire):
    Cycle.objects.filter(meeting__kind="bms", meeting__number=9).update(questionnaire=questionnaire)


def make_report(iso3: str, meeting: str, status: str, **fields) -> Report:
    """A report row in a given status (the workflow services are tested elsewhere)."""
    cycle = Cycle.objects.get(meeting__kind=meeting[:-1].lower(), meeting__number=meeting[-1])
    return Report.objects.create(
        state=MemberState.objects.get(iso3=iso3),
        cycle=cycle,
        questionnaire=cycle.questionnaire,
        status=status,
        language="en",
        **fields,
    )


def test_home_and_states_pages_are_public(anonymous):
    assert anonymous.get("/").status_code == 200
    page = anonymous.get("/states/").content.decode()
    assert "195 States" in page
    assert "Kenya" in page and "Holy See" in page


def test_states_page_filters_by_group(anonymous):
    page = anonymous.get("/states/", {"group": "EASTERN_EUROPEAN"}).content.decode()
    assert "23 States" in page
    assert "Poland" in page and "France" not in page


def test_states_page_query_count_is_constant(anonymous, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        anonymous.get("/states/")


def test_editor_dashboard_lists_own_state_reports_only(client_for, editor):
    make_report("FRA", "BMS9", Report.Status.DRAFT)
    make_report("KEN", "BMS9", Report.Status.DRAFT)
    response = client_for(editor).get(reverse("dashboard"))
    reports = list(response.context["state_reports"])
    assert [r.state.iso3 for r in reports] == ["FRA"]
    assert "Kenya" not in response.content.decode()


def test_outsider_does_not_see_another_states_draft(client_for, outsider):
    make_report("FRA", "BMS9", Report.Status.DRAFT)
    response = client_for(outsider).get(reverse("dashboard"))
    assert list(response.context["state_reports"]) == []
    assert "France" not in response.content.decode()


def test_reviewer_dashboard_shows_the_review_queue(client_for, reviewer):
    submitted = make_report("FRA", "BMS9", Report.Status.SUBMITTED, submitted_at=timezone.now())
    make_report("KEN", "BMS9", Report.Status.DRAFT)
    response = client_for(reviewer).get(reverse("dashboard"))
    assert list(response.context["queue"]) == [submitted]
    assert "No report is waiting" not in response.content.decode()


def test_donor_dashboard_shows_the_organisation_and_assistance(client_for, donor):
    page = client_for(donor).get(reverse("dashboard")).content.decode()
    assert "European Union: Donor" in page
    assert "Assistance" in page


def test_dashboard_requires_login(anonymous):
    response = anonymous.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_dashboard_query_count_does_not_grow_with_reports(
    client_for, reviewer, django_assert_max_num_queries
):
    client = client_for(reviewer)
    for iso3 in ("FRA", "KEN"):
        make_report(iso3, "BMS9", Report.Status.SUBMITTED, submitted_at=timezone.now())
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("dashboard"))
    for iso3 in ("DEU", "BRA", "JPN", "NGA"):
        make_report(iso3, "BMS9", Report.Status.SUBMITTED, submitted_at=timezone.now())
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("dashboard"))


def test_healthz_reports_database_and_cache(anonymous):
    response = anonymous.get("/healthz/")
    assert response.status_code == 200
    assert response.json()["database"] is True
    assert response.json()["cache"] is True


def test_administrator_manages_organisations_with_audit(client_for, administrator, editor):
    from core.models import AuditEntry, Organisation

    response = client_for(administrator).post(
        reverse("core:organisation-create"),
        {
            "acronym": "UNIDIR",
            "name": "UN Institute for Disarmament Research",
            "kind": "un",
            "website": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert Organisation.objects.filter(acronym="UNIDIR").exists()
    assert AuditEntry.objects.filter(action="core.organisation.created").exists()
    duplicate = client_for(administrator).post(
        reverse("core:organisation-create"),
        {
            "acronym": "UNIDIR",
            "name": "Again",
            "kind": "un",
        },
    )
    assert duplicate.status_code == 200 and duplicate.context["form"].errors["acronym"]
    denied = client_for(editor).post(
        reverse("core:organisation-create"),
        {
            "acronym": "X",
            "name": "X",
            "kind": "un",
        },
    )
    assert denied.status_code == 403
    assert not Organisation.objects.filter(acronym="X").exists()
