"""The reports API: scoped reads, drafts, all-or-nothing answers, conflicts, submission."""

import pytest
from rest_framework.test import APIClient

from core.models import MemberState, Role
from core.services import create_api_token
from reporting import services
from reporting.models import Answer, Report
from tests.conftest import generated_questionnaire, open_cycle_for, publish
from tests.factories import member
from tests.reporting.test_reports import COMPLETE, fill, stored

pytestmark = pytest.mark.django_db


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        _token, secret = create_api_token(user=user, name="test")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def patch(client, report, answers):
    return client.patch(
        f"/api/v1/reports/{report.pk}/answers/", {"answers": answers}, format="json"
    )


def test_questionnaires_are_public_with_sections_and_questions(anonymous, questionnaire):
    listing = anonymous.get("/api/v1/questionnaires/").json()
    assert [q["code"] for q in listing] == ["sample"]
    detail = anonymous.get(f"/api/v1/questionnaires/{questionnaire.pk}/").json()
    keys = [q["key"] for s in detail["sections"] for q in s["questions"]]
    assert keys[:3] == ["1.1", "1.2", "1.3"]
    first = detail["sections"][0]["questions"][1]
    assert first["condition"] == {"key": "1.1", "in": ["yes"]}
    assert set(first["text"]) >= {"en", "fr", "ar", "zh-hans"}


def test_editor_creates_a_draft_through_the_api(editor, cycle):
    response = api(editor).post(
        "/api/v1/reports/", {"cycle": cycle.pk, "language": "es"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["state"] == "FRA" and response.json()["status"] == "draft"
    again = api(editor).post(
        "/api/v1/reports/", {"cycle": cycle.pk, "language": "es"}, format="json"
    )
    assert again.status_code == 409
    assert Report.objects.count() == 1


def test_outsider_cannot_create_for_another_state(outsider, cycle):
    response = api(outsider).post(
        "/api/v1/reports/", {"state": "FRA", "cycle": cycle.pk, "language": "en"}, format="json"
    )
    assert response.status_code == 403
    assert not Report.objects.exists()


def test_closed_cycle_gives_409_with_a_message(editor, cycle):
    import datetime

    cycle.opens_on -= datetime.timedelta(days=400)
    cycle.deadline = cycle.closes_on = cycle.opens_on + datetime.timedelta(days=10)
    cycle.save()
    response = api(editor).post(
        "/api/v1/reports/", {"cycle": cycle.pk, "language": "en"}, format="json"
    )
    assert response.status_code == 409
    assert "not open" in response.json()["detail"]


def test_list_is_scoped_to_what_the_caller_may_see(editor, outsider, reviewer, report):
    assert [r["id"] for r in api(editor).get("/api/v1/reports/").json()["results"]] == [report.pk]
    assert api(outsider).get("/api/v1/reports/").json()["results"] == []
    assert api(reviewer).get("/api/v1/reports/").json()["count"] == 1
    assert api().get("/api/v1/reports/").status_code == 401


def test_another_states_report_is_404(outsider, report):
    client = api(outsider)
    assert client.get(f"/api/v1/reports/{report.pk}/").status_code == 404
    assert patch(client, report, [{"key": "1.1", "value": "yes", "revision": 0}]).status_code == 404
    assert (
        client.post(
            f"/api/v1/reports/{report.pk}/submit/", {"visibility": "public"}, format="json"
        ).status_code
        == 404
    )
    assert not Answer.objects.exists()


def test_patch_saves_and_detail_shows_answers_with_revisions(editor, report):
    client = api(editor)
    response = patch(
        client,
        report,
        [
            {"key": "1.1", "value": "yes", "revision": 0},
            {"key": "1.2", "value": "Commission", "revision": 0},
            {"key": "3.1", "value": "12", "revision": 0},
        ],
    )
    assert response.status_code == 200
    assert response.json()["revisions"] == {"1.1": 1, "1.2": 1, "3.1": 1}
    detail = client.get(f"/api/v1/reports/{report.pk}/").json()
    answers = {a["key"]: (a["value"], a["revision"]) for a in detail["answers"]}
    assert answers == {"1.1": ("yes", 1), "1.2": ("Commission", 1), "3.1": (12, 1)}


def test_patch_is_all_or_nothing_and_names_each_bad_key(editor, report):
    response = patch(
        api(editor),
        report,
        [
            {"key": "1.1", "value": "yes", "revision": 0},
            {"key": "3.1", "value": "many", "revision": 0},
            {"key": "9.9", "value": "x", "revision": 0},
            {"key": "1.3", "value": {"email": "not-an-address"}, "revision": 0},
            {"key": "1.2", "value": "x" * 201, "revision": 0},
        ],
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"3.1", "9.9", "1.3", "1.2"}
    assert not Answer.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"answers": []},
        {"answers": "x"},
        {"answers": [{"key": "1.1", "value": "yes"}]},
        {"answers": [{"key": "1.1", "value": "yes", "revision": -1}]},
        {},
    ],
)
def test_malformed_patch_gets_400(editor, report, body):
    response = api(editor).patch(f"/api/v1/reports/{report.pk}/answers/", body, format="json")
    assert response.status_code == 400
    assert not Answer.objects.exists()


def test_invalid_json_gets_400(editor, report):
    response = api(editor).generic(
        "PATCH",
        f"/api/v1/reports/{report.pk}/answers/",
        b'{"answers": [',
        content_type="application/json",
    )
    assert response.status_code == 400


def test_conflicting_patch_gets_409_with_current_values(editor, report):
    client = api(editor)
    patch(client, report, [{"key": "3.1", "value": 5, "revision": 0}])
    patch(client, report, [{"key": "3.1", "value": 6, "revision": 1}])
    response = patch(
        client,
        report,
        [
            {"key": "3.1", "value": 7, "revision": 1},
            {"key": "3.2", "value": 1, "revision": 0},
        ],
    )
    assert response.status_code == 409
    assert response.json()["conflicts"]["3.1"]["value"] == 6
    assert response.json()["conflicts"]["3.1"]["revision"] == 2
    assert stored(report, "3.2") == (None, 0)


def test_api_clears_answers_that_stop_applying(editor, report):
    client = api(editor)
    patch(
        client,
        report,
        [
            {"key": "1.1", "value": "yes", "revision": 0},
            {"key": "1.2", "value": "Commission", "revision": 0},
        ],
    )
    response = patch(client, report, [{"key": "1.1", "value": "no", "revision": 1}])
    assert response.status_code == 200
    assert response.json()["cleared"] == ["1.2"]


def test_fifty_answers_in_one_patch(editor, db):
    version = publish(generated_questionnaire("fifty", 50))
    report = services.create_report(
        state=MemberState.objects.get(iso3="FRA"),
        cycle=open_cycle_for(version),
        by=editor,
        language="en",
    )
    answers = [{"key": f"q{i}", "value": f"value {i}", "revision": 0} for i in range(50)]
    response = patch(api(editor), report, answers)
    assert response.status_code == 200
    assert len(response.json()["revisions"]) == 50
    assert Answer.objects.filter(report=report).count() == 50


def test_submit_through_a_token_needs_a_person_with_mfa(approver, editor, report):
    fill(report, editor)
    response = api(approver).post(
        f"/api/v1/reports/{report.pk}/submit/", {"visibility": "public"}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "mfa_required"
    assert Report.objects.get().status == "draft"


def test_editor_cannot_submit_and_writes_after_submission_are_409(
    approver, editor, report, client_for
):
    fill(report, editor)
    response = api(editor).post(
        f"/api/v1/reports/{report.pk}/submit/", {"visibility": "public"}, format="json"
    )
    assert response.status_code == 403
    services.submit_report(report, by=approver, visibility="public", mfa_verified=True)
    response = patch(api(editor), report, [{"key": "3.1", "value": 1, "revision": 1}])
    assert response.status_code == 409
    assert response.json()["code"] == "not_editable"
    assert stored(report, "3.1") == (COMPLETE["3.1"], 1)


def test_incomplete_submission_lists_missing_keys(approver, editor, report, client_for):
    import time

    client = APIClient()
    client.force_login(approver)
    session = client.session
    session["account_authentication_methods"] = [{"method": "mfa", "at": time.time()}]
    session["account_authentication_methods_user"] = str(approver.pk)
    session.save()
    response = client.post(
        f"/api/v1/reports/{report.pk}/submit/", {"visibility": "public"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "incomplete"
    assert set(response.json()["missing"]) == {"1.1", "1.3", "2.1", "2.3", "3.1", "3.2"}
    fill(report, editor)
    response = client.post(
        f"/api/v1/reports/{report.pk}/submit/", {"visibility": "public"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "submitted"
    detail = client.get(f"/api/v1/reports/{report.pk}/").json()
    assert detail["revisions"][0]["status"] == "submitted"


def test_reports_list_query_count_is_constant(
    reviewer, questionnaire, django_assert_max_num_queries
):
    client = api(reviewer)
    client.get("/api/v1/reports/")  # the token's first use is recorded once
    counts = []
    for iso3s in (["FRA", "KEN"], ["DEU", "BRA", "JPN", "NGA"]):
        for index, iso3 in enumerate(iso3s):
            state = MemberState.objects.get(iso3=iso3)
            officer = member(Role.STATE_EDITOR, state=iso3)
            cycle = open_cycle_for(questionnaire, number=30 + len(counts) * 10 + index)
            services.create_report(state=state, cycle=cycle, by=officer, language="en")
        with django_assert_max_num_queries(12) as ctx:
            assert client.get("/api/v1/reports/").status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
