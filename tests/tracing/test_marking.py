"""Marking practices: filled from published reports, searchable, editable by the State,
restricted ones kept from the public."""

import pytest
from django.urls import reverse

from tracing import services
from tracing.models import MarkingPractice

pytestmark = pytest.mark.django_db

ANSWERS = {
    "manufacture.marking": "yes",
    "manufacture.marking.elements": ["manufacturer", "country", "serial_number"],
    "manufacture.marking.country_code": "FR",
    "transfers.import_marking": "yes",
    "transfers.import_marking.format": "FRA-YY",
    "transfers.import_marking.year": "yes",
}


def published(report, visibility="public"):
    report.published_visibility = visibility
    return report


def test_published_answers_fill_the_marking_practice_and_search_finds_it(anonymous, report):
    services.update_marking_from_report(published(report), ANSWERS)
    practice = MarkingPractice.objects.get(state__iso3="FRA")
    assert practice.manufacture_elements == ["manufacturer", "country", "serial_number"]
    url = reverse("tracing:marking-catalogue")
    found = anonymous.get(url, {"q": "FRA-YY"}).context["entries"]
    assert [e["practice"].state.iso3 for e in found] == ["FRA"]
    assert anonymous.get(url, {"q": "ZZZ"}).context["entries"] == []
    api = anonymous.get("/api/v1/marking-practices/", {"search": "FR"}).json()
    assert api["results"][0]["country_code"] == "FR"


def test_restricted_marking_practice_is_not_public(anonymous, client_for, outsider, report):
    services.update_marking_from_report(published(report, "restricted"), ANSWERS)
    url = reverse("tracing:marking-catalogue")
    assert anonymous.get(url).context["entries"] == []
    assert len(client_for(outsider).get(url).context["entries"]) == 1  # another government


def test_state_completes_its_practice_and_outsiders_cannot(client_for, editor, outsider):
    url = reverse("tracing:marking-edit", args=["FRA"])
    response = client_for(editor).post(
        url,
        {
            "country_code": "F",
            "import_mark_format": "",
            "is_public": "on",
            "alteration_measures": "Removing a mark is an offence (demo).",
        },
    )
    assert response.status_code == 302
    assert MarkingPractice.objects.get(state__iso3="FRA").country_code == "F"
    assert client_for(outsider).post(url, {"country_code": "X"}).status_code == 403
    assert MarkingPractice.objects.get(state__iso3="FRA").country_code == "F"


def test_publication_reaches_tracing_through_the_signal(
    report, editor, approver, reviewer, django_capture_on_commit_callbacks
):
    from reporting import services as reporting
    from reporting.models import Report, ReportRevision
    from tests.reporting.test_reports import fill

    fill(report, editor)
    reporting.submit_report(report, by=approver, visibility="public", mfa_verified=True)
    original = ReportRevision.objects.create

    # The sample questionnaire has no marking keys: let the published revision carry some.
    def with_marking(**kwargs):
        if kwargs.get("status") == "published":
            kwargs["answers"] = {**kwargs["answers"], **ANSWERS}
        return original(**kwargs)

    ReportRevision.objects.create = with_marking
    try:
        with django_capture_on_commit_callbacks(execute=True):
            reporting.publish_report(Report.objects.get(pk=report.pk), by=reviewer)
    finally:
        ReportRevision.objects.create = original
    assert MarkingPractice.objects.get(state__iso3="FRA").source_report_id == report.pk
