"""Needs: recorded from published reports (once), by the State on its own, shown on the
public board with restricted fields hidden, filtered, charted and exported."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assistance import services
from assistance.models import Need
from assistance.vocabulary import kind_from_text, theme_from_text
from core.errors import WorkflowError
from core.models import AuditEntry, MemberState
from tests.assistance.conftest import ROW_MARKING, ROW_TRAINING

pytestmark = pytest.mark.django_db


# --- from reports ---------------------------------------------------------------------------


def test_published_report_records_each_row_once(needs_report, publish_with_rows):
    publish_with_rows(needs_report, [ROW_MARKING, ROW_TRAINING])
    needs = Need.objects.order_by("pk")
    assert [(n.theme, n.kind, n.estimated_cost, n.currency) for n in needs] == [
        ("marking", "equipment", Decimal("120000"), "USD"),
        ("other", "training", None, ""),
    ]
    assert {n.report_id for n in needs} == {needs_report.pk}
    assert AuditEntry.objects.filter(action="assistance.need.recorded").count() == 2


def test_republishing_an_amendment_adds_only_new_rows(needs_report, publish_with_rows):
    publish_with_rows(needs_report, [ROW_MARKING, ROW_TRAINING])
    first = {n.fingerprint: n.pk for n in Need.objects.all()}
    new_row = {**ROW_MARKING, "description": "Record-keeping software", "theme": "record keeping"}
    publish_with_rows(needs_report, [ROW_MARKING, new_row])  # training row removed

    needs = {n.description: n for n in Need.objects.all()}
    assert len(needs) == 3
    assert needs[ROW_MARKING["description"]].pk in first.values()  # the same need, not a copy
    assert needs["Record-keeping software"].theme == "record_keeping"
    assert needs[ROW_TRAINING["description"]].status == Need.Status.WITHDRAWN
    assert AuditEntry.objects.filter(action="assistance.need.recorded").count() == 3
    assert AuditEntry.objects.filter(action="assistance.need.withdrawn").count() == 1


def test_recording_the_same_revision_twice_changes_nothing(needs_report, publish_with_rows):
    from assistance.tasks import record_report_needs

    publish_with_rows(needs_report, [ROW_MARKING])
    assert record_report_needs(needs_report.pk) == 0  # a retried or duplicate task
    assert Need.objects.count() == 1


def test_restricted_report_gives_restricted_needs(needs_report, publish_with_rows):
    publish_with_rows(needs_report, [ROW_MARKING], visibility="restricted")
    assert Need.objects.get().visibility == Need.Visibility.RESTRICTED


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("Marking", "marking"),
        ("  stockpile   management and SECURITY ", "stockpile_management"),
        ("DDR", "ddr"),
        ("gender mainstreaming", "gender"),
        ("something else", "other"),
    ],
)
def test_free_text_themes_map_onto_the_taxonomy(text, theme):
    assert theme_from_text(text) == theme


def test_free_text_types_map_in_any_language():
    assert kind_from_text("Financial") == "financial"
    assert kind_from_text("training") == "training"
    assert kind_from_text("???") == "technical"


def test_bad_cells_in_a_report_row_do_not_break_recording():
    rows = services.needs_in_answers(
        {
            "assistance.needs": [
                {"theme": "marking", "type": "equipment", "description": " "},  # skipped
                {**ROW_MARKING, "estimated_cost": "-5", "currency": "dollars"},
            ]
        }
    )
    assert rows == [
        {
            "theme": "marking",
            "kind": "equipment",
            "description": ROW_MARKING["description"],
            "estimated_cost": None,
            "currency": "",
        }
    ]


# --- recorded by the State ------------------------------------------------------------------

FORM = {
    "theme": "tracing",
    "kind": "training",
    "priority": "high",
    "description": "Tracing course for police",
    "estimated_cost": "25000",
    "currency": "eur",
    "action_plan_url": "https://example.gouv.fr/plan",
    "visibility": "public",
}


def test_editor_records_a_need_from_the_page(client_for, editor):
    response = client_for(editor).post(reverse("assistance:need-new"), FORM)
    need = Need.objects.get()
    assert response.status_code == 302
    assert (need.state.iso3, need.currency, need.created_by) == ("FRA", "EUR", editor)
    entry = AuditEntry.objects.get(action="assistance.need.recorded")
    assert entry.actor == editor and entry.data == {"source": "manual"}


def test_bad_need_input_gets_a_clear_error_and_stores_nothing(client_for, editor):
    response = client_for(editor).post(
        reverse("assistance:need-new"), {**FORM, "currency": "", "theme": "nuclear"}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "theme" in errors and "currency" in errors
    assert not Need.objects.exists()
    france = MemberState.objects.get(iso3="FRA")
    with pytest.raises(WorkflowError, match="three-letter"):
        services.record_need(by=editor, state=france, data={**FORM, "currency": "EURO"})
    assert not Need.objects.exists()


def test_donor_and_other_states_cannot_record_or_edit_needs(client_for, donor, outsider, need):
    assert client_for(donor).post(reverse("assistance:need-new"), FORM).status_code == 403
    for user in (donor, outsider):
        client = client_for(user)
        edit = client.post(reverse("assistance:need-edit", args=[need.pk]), FORM)
        assert edit.status_code == 403
        withdraw = client.post(reverse("assistance:need-withdraw", args=[need.pk]))
        assert withdraw.status_code == 403
        patch = client.patch(
            f"/api/v1/needs/{need.pk}/", {"description": "x"}, content_type="application/json"
        )
        assert patch.status_code == 403
    need.refresh_from_db()
    assert need.description == "Marking machines for the national armoury"
    assert need.status == Need.Status.OPEN
    assert Need.objects.count() == 1
    assert AuditEntry.objects.filter(action="core.permission.denied").count() == 7


def test_editor_changes_and_withdraws_a_need_with_audit(client_for, editor, need):
    client = client_for(editor)
    client.post(reverse("assistance:need-edit", args=[need.pk]), {**FORM, "theme": "marking"})
    need.refresh_from_db()
    assert need.description == "Tracing course for police"
    updated = AuditEntry.objects.get(action="assistance.need.updated")
    assert "description" in updated.data["fields"]
    client.post(reverse("assistance:need-withdraw", args=[need.pk]))
    need.refresh_from_db()
    assert need.status == Need.Status.WITHDRAWN
    assert AuditEntry.objects.filter(action="assistance.need.withdrawn", actor=editor).exists()


def test_withdrawn_need_is_hidden_from_other_states(client_for, editor, outsider, need):
    services.withdraw_need(need, by=editor)
    url = reverse("assistance:need-detail", args=[need.pk])
    assert client_for(outsider).get(url).status_code == 404
    assert client_for(editor).get(url).status_code == 200


# --- the board ------------------------------------------------------------------------------


def test_public_board_hides_restricted_fields(anonymous, client_for, donor, need, restricted_need):
    page = anonymous.get(reverse("assistance:board")).content.decode()
    assert (
        "Secret depot"
        not in anonymous.get(
            reverse("assistance:need-detail", args=[restricted_need.pk])
        ).content.decode()
    )
    assert "120,000 USD" in page and "50,000" not in page
    api = {n["id"]: n for n in anonymous.get("/api/v1/needs/").json()["results"]}
    assert api[restricted_need.pk]["description"] is None
    assert api[restricted_need.pk]["restricted_fields_hidden"] is True
    assert api[need.pk]["description"] == "Marking machines for the national armoury"
    rows = list(
        csv.reader(
            io.StringIO(anonymous.get(reverse("assistance:board-csv")).content.decode("utf-8-sig"))
        )
    )
    assert "Secret depot assessment" not in str(rows)

    donor_view = client_for(donor).get(reverse("assistance:need-detail", args=[restricted_need.pk]))
    assert "Secret depot assessment" in donor_view.content.decode()


def test_board_filters_by_theme_region_and_cost(anonymous, need, restricted_need, outsider):
    kenya = services.record_need(
        by=outsider,
        state=MemberState.objects.get(iso3="KEN"),
        data={"theme": "marking", "kind": "training", "description": "Kenyan need"},
    )
    board = reverse("assistance:board")

    def ids(**query):
        return [n.pk for n in anonymous.get(board, query).context["page"]]

    assert set(ids(theme="marking")) == {need.pk, kenya.pk}
    assert ids(region="002") == [kenya.pk]  # Africa
    assert ids(regional_group="WEOG", theme="marking") == [need.pk]
    assert ids(state="KEN") == [kenya.pk]
    assert ids(cost_min="100000") == [need.pk]
    assert ids(kind="technical") == [restricted_need.pk]
    invalid = anonymous.get(board, {"cost_min": "-5"})
    assert invalid.status_code == 200 and invalid.context["filter"].errors


def test_board_chart_counts_needs_by_region_and_theme(anonymous, need, restricted_need):
    chart = anonymous.get(reverse("assistance:board")).context["chart"]
    europe = [c for c in chart["columns"]].index(
        next(c for c in chart["columns"] if c["label"] == "Europe")
    )
    by_theme = {row["label"]: [c["n"] for c in row["cells"]] for row in chart["rows"]}
    assert by_theme["Marking"][europe] == 1
    assert by_theme["Stockpile management and security"][europe] == 1
    assert chart["total"] == 2


def test_csv_neutralises_formulas(anonymous, editor):
    services.record_need(
        by=editor,
        state=MemberState.objects.get(iso3="FRA"),
        data={"theme": "other", "kind": "technical", "description": '=HYPERLINK("http://x")'},
    )
    body = anonymous.get(reverse("assistance:board-csv")).content.decode("utf-8-sig")
    assert "'=HYPERLINK" in body


def _needs(editor, count):
    france = MemberState.objects.get(iso3="FRA")
    for i in range(count):
        services.record_need(
            by=editor,
            state=france,
            data={"theme": "marking", "kind": "training", "description": f"Need {i}"},
        )


def test_board_query_count_does_not_grow_with_needs(anonymous, editor):
    _needs(editor, 10)
    with CaptureQueriesContext(connection) as ten:
        anonymous.get(reverse("assistance:board"))
    _needs(editor, 10)
    with CaptureQueriesContext(connection) as twenty:
        anonymous.get(reverse("assistance:board"))
    assert len(twenty) == len(ten)
