"""The public archive: search, filters, a State's history, and nothing restricted or
unpublished reaching a reader who may not see it."""

import pytest
from django.urls import reverse

from core.models import Role
from reporting import services
from reporting.models import Report
from tests.factories import member
from tests.reporting.test_reports import fill, stored

pytestmark = pytest.mark.django_db


def publish(report, editor, approver, reviewer, visibility="public", **answers):
    fill(report, editor)
    if answers:
        fill(report, editor, answers)
    services.submit_report(report, by=approver, visibility=visibility, mfa_verified=True)
    return services.publish_report(Report.objects.get(pk=report.pk), by=reviewer)


def found(client, **params):
    return [r.pk for r in client.get(reverse("reporting:archive"), params).context["page"]]


def test_search_and_filters_find_published_reports(anonymous, report, editor, approver, reviewer):
    publish(report, editor, approver, reviewer)
    assert found(anonymous) == [report.pk]
    assert found(anonymous, q="Commission") == [report.pk]
    assert found(anonymous, q="nothing like this") == []
    assert found(anonymous, question="2.3", answer="no") == [report.pk]
    assert found(anonymous, question="2.3", answer="yes") == []
    assert found(anonymous, region="150") == [report.pk]
    assert found(anonymous, regional_group="AFRICAN") == []
    page = anonymous.get(reverse("reporting:report-detail", args=[report.pk]))
    assert page.status_code == 200


def test_restricted_and_unpublished_reports_stay_out_of_public_channels(
    anonymous, client_for, report, editor, approver, reviewer
):
    publish(report, editor, approver, reviewer, visibility="restricted")
    assert found(anonymous) == [] and found(anonymous, q="Commission") == []
    for url in (
        reverse("reporting:report-detail", args=[report.pk]),
        reverse("reporting:report-print", args=[report.pk]),
        reverse("reporting:report-pdf", args=[report.pk]),
    ):
        assert anonymous.get(url).status_code == 404
    history = anonymous.get(reverse("reporting:state-history", args=["FRA"]))
    assert "Commission" not in history.content.decode()
    official = client_for(member(Role.STATE_EDITOR, state="KEN"))
    assert found(official, q="Commission") == [report.pk]


def test_amendment_in_progress_is_not_searchable(anonymous, report, editor, approver, reviewer):
    publish(report, editor, approver, reviewer)
    services.amend_report(Report.objects.get(pk=report.pk), by=editor)
    services.save_answers(
        Report.objects.get(pk=report.pk),
        by=editor,
        changes=[services.AnswerChange("1.2", "Secret new wording", stored(report, "1.2")[1])],
    )
    assert found(anonymous, q="Secret") == []
    assert found(anonymous, q="Commission") == [report.pk]


def test_state_history_shows_what_changed(anonymous, report, editor, approver, reviewer, cycle):
    from tests.conftest import open_cycle_for

    publish(report, editor, approver, reviewer)
    later = open_cycle_for(cycle.questionnaire, number=11, later_by_days=700)
    new = services.create_report(
        state=report.state, cycle=later, by=editor, language="en", prefill=True
    )
    publish(new, editor, approver, reviewer, **{"3.1": 999})
    page = anonymous.get(reverse("reporting:state-history", args=["fra"]))
    steps = page.context["steps"]
    assert [s["report"].pk for s in steps] == [new.pk, report.pk]
    assert [c.key for c in steps[0]["changes"]] == ["3.1", "3.3"]
