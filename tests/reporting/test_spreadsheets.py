"""The offline spreadsheet route: download, fill in with a spreadsheet program (openpyxl
here), upload, preview, apply. Real workbooks throughout, no mocks."""

import datetime
import io
import zipfile

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from core.errors import WorkflowError
from core.models import AuditEntry, MemberState, Role
from reporting import services, spreadsheets
from reporting.models import Answer
from reporting.questions import YES_NO_LABELS
from tests.conftest import open_cycle_for
from tests.reporting.test_reports import COMPLETE, fill, stored

pytestmark = pytest.mark.django_db

INJECTIONS = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(1)"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploads kept between preview and confirmation go to a throw-away folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


# --- helpers ----------------------------------------------------------------------------------


def download(client, report, language="fr") -> bytes:
    response = client.get(
        reverse("reporting:workbook-download", args=[report.pk]), {"language": language}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == spreadsheets.XLSX_CONTENT_TYPE
    return b"".join(response.streaming_content) if response.streaming else response.content


def open_book(data: bytes):
    return load_workbook(io.BytesIO(data))


def save_book(book) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def find(book, key, part="answer", column=0):
    """The answer cell of question `key` (and `part`: a contact field, a table row)."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_row=2):
            if row[0].value == key and row[2].value == part:
                return sheet.cell(row=row[0].row, column=spreadsheets.COL_ANSWER + column)
    raise AssertionError(f"no row for {key} {part}")


def upload(client, report, data: bytes, name="report.xlsx"):
    file = io.BytesIO(data)
    file.name = name
    return client.post(reverse("reporting:workbook-upload", args=[report.pk]), {"workbook": file})


def apply(client, report, response):
    return client.post(
        reverse("reporting:workbook-apply", args=[report.pk]), {"token": response.context["token"]}
    )


def french_yes() -> str:
    with translation.override("fr"):
        return str(YES_NO_LABELS["yes"])


def filled(data: bytes, edits: dict) -> bytes:
    """`data` with cells changed: {(key, part, column): value}."""
    book = open_book(data)
    for (key, part, column), value in edits.items():
        find(book, key, part, column).value = value
    return save_book(book)


def kept_workbooks(media) -> list:
    folder = media / "workbooks"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


# --- round trip -------------------------------------------------------------------------------


def test_editor_fills_the_workbook_offline_and_applies_it(client_for, editor, report, media_root):
    client = client_for(editor)
    data = download(client, report)
    edits = {
        ("1.1", "answer", 0): french_yes(),
        ("1.2", "answer", 0): "Commission nationale",
        ("1.3", "field:name", 0): "Claire Dubois",
        ("1.4", "answer", 0): "Adopté",
        ("1.5", "answer", 0): datetime.date(2024, 3, 1),
        ("2.1", "row:1", 0): "Code de la sécurité intérieure",
        ("2.1", "row:1", 3): "https://www.legifrance.gouv.fr/",
        ("3.1", "answer", 0): 200,
    }
    response = upload(client, report, filled(data, edits))
    assert response.status_code == 200
    reading = response.context["reading"]
    assert reading.errors == []
    assert [row.key for row in reading.preview] == ["1.1", "1.2", "1.3", "1.4", "1.5", "2.1", "3.1"]
    assert {c.key: c.revision for c in reading.changes} == dict.fromkeys(
        ["1.1", "1.2", "1.3", "1.4", "1.5", "2.1", "3.1"], 0
    )
    assert not Answer.objects.exists()  # nothing saved before the confirmation
    assert len(kept_workbooks(media_root)) == 1
    response = apply(client, report, response)
    assert response.status_code == 302
    assert response["Location"] == reverse("reporting:report-detail", args=[report.pk])
    assert stored(report, "1.1") == ("yes", 1)
    assert stored(report, "1.3") == ({"name": "Claire Dubois"}, 1)
    assert stored(report, "1.4") == ("adopted", 1)
    assert stored(report, "1.5") == ("2024-03-01", 1)
    assert stored(report, "2.1")[0] == [
        {
            "title_original": "Code de la sécurité intérieure",
            "link": "https://www.legifrance.gouv.fr/",
        }
    ]
    assert stored(report, "3.1") == (200, 1)
    entry = AuditEntry.objects.get(action="reporting.answers.saved")
    assert entry.data["revisions"]["3.1"] == 1
    assert kept_workbooks(media_root) == []


def test_changing_answers_already_saved_bumps_their_revisions(client_for, editor, report):
    fill(report, editor)
    client = client_for(editor)
    data = filled(download(client, report, "en"), {("3.1", "answer", 0): 300})
    response = upload(client, report, data)
    assert [(c.key, c.value, c.revision) for c in response.context["reading"].changes] == [
        ("3.1", 300, 1)
    ]
    assert response.context["reading"].preview[0].old == "200"
    apply(client, report, response)
    assert stored(report, "3.1") == (300, 2)
    assert stored(report, "1.2") == (COMPLETE["1.2"], 1)  # untouched


def test_unchanged_workbook_changes_nothing(client_for, editor, report):
    fill(report, editor, {**COMPLETE, "3.4": "12.50", "1.4": "adopted", "1.5": "2024-03-01"})
    client = client_for(editor)
    response = upload(client, report, download(client, report))
    assert response.status_code == 200
    assert response.context["reading"].changes == []
    assert "token" not in response.context
    assert "holds no changes" in response.content.decode()


def test_answers_that_stop_applying_are_listed_and_cleared(client_for, editor, report):
    fill(report, editor)
    client = client_for(editor)
    data = filled(download(client, report, "en"), {("1.1", "answer", 0): "No"})
    response = upload(client, report, data)
    reading = response.context["reading"]
    assert [row.key for row in reading.preview] == ["1.1"]
    assert [row.key for row in reading.cleared] == ["1.2"]
    apply(client, report, response)
    assert stored(report, "1.1") == ("no", 2)
    assert stored(report, "1.2") == (None, 2)


# --- validation -------------------------------------------------------------------------------


def test_invalid_cell_is_named_by_sheet_and_cell_and_nothing_is_applied(
    client_for, editor, report, media_root
):
    client = client_for(editor)
    data = download(client, report, "en")
    book = open_book(data)
    number = find(book, "3.1")
    number.value = -5
    find(book, "1.1").value = "Perhaps"
    find(book, "2.1", "row:2", 3).value = "not a link"
    response = upload(client, report, save_book(book))
    assert response.status_code == 400
    errors = {(e.sheet, e.cell, e.key) for e in response.context["reading"].errors}
    assert (number.parent.title, number.coordinate, "3.1") in errors
    assert ("1 National coordination", "G2", "1.1") in errors
    link = find(book, "2.1", "row:2", 3)
    assert (link.parent.title, link.coordinate, "2.1") in errors
    page = response.content.decode()
    assert number.parent.title in page and number.coordinate in page
    assert "token" not in response.context
    assert not Answer.objects.exists()
    assert kept_workbooks(media_root) == []


def test_answer_to_a_question_that_does_not_apply_is_an_error(client_for, editor, report):
    client = client_for(editor)
    data = filled(download(client, report, "en"), {("1.5", "answer", 0): datetime.date(2024, 1, 2)})
    response = upload(client, report, data)
    assert response.status_code == 400
    [error] = response.context["reading"].errors
    assert (error.key, error.cell) == ("1.5", "G13")
    assert "does not apply" in error.message


def test_multiple_choice_labels_are_read_back(client_for, editor, report):
    client = client_for(editor)
    cell = ("2.2", "answer", 0)
    data = filled(download(client, report, "en"), {cell: "Illicit trade;  illegal possession "})
    reading = upload(client, report, data).context["reading"]
    assert [(c.key, c.value) for c in reading.changes] == [("2.2", ["possession", "trade"])]
    bad = filled(download(client, report, "en"), {cell: "Illicit trade; Smuggling"})
    [error] = upload(client, report, bad).context["reading"].errors
    assert "Smuggling" in error.message


# --- formula injection ------------------------------------------------------------------------


@pytest.mark.parametrize("text", INJECTIONS)
def test_stored_text_is_never_written_as_a_formula(client_for, editor, report, text):
    fill(
        report,
        editor,
        {
            **COMPLETE,
            "1.2": text,
            "1.3": {"name": text},
            "2.1": [{"title_original": text}],
        },
    )
    client = client_for(editor)
    data = download(client, report)
    book = open_book(data)
    for cell in (find(book, "1.2"), find(book, "1.3", "field:name"), find(book, "2.1", "row:1")):
        assert cell.data_type != "f"
        assert cell.value == text
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert not any(b"<f>" in archive.read(name) for name in sheets)
    # Read back unchanged: the text is not mistaken for a change.
    assert upload(client, report, data).context["reading"].changes == []


# --- refusals ---------------------------------------------------------------------------------


def test_workbook_layout(client_for, editor, report):
    book = open_book(download(client_for(editor), report))
    titles = book.sheetnames
    assert len(set(t.casefold() for t in titles)) == len(titles)
    assert all(len(t) <= 31 and not set(t) & set("[]:*?/\\") for t in titles)
    assert book["meta"].sheet_state == "veryHidden"
    sheet = find(book, "1.1").parent
    assert all(sheet.column_dimensions[c].hidden for c in "ABC")
    assert sheet.protection.sheet
    [validation] = [v for v in sheet.data_validations.dataValidation if "G2" in v.sqref]
    assert validation.type == "list"
    assert find(book, "3.3", "readonly").protection.locked


@pytest.mark.parametrize(
    "tamper",
    [
        lambda book: setattr(book.worksheets[0]["B4"], "value", "KEN"),
        lambda book: setattr(book.worksheets[0]["B3"], "value", 999),
        lambda book: setattr(book["meta"]["B1"], "value", None),
        lambda book: setattr(book["meta"]["B1"], "value", "forged:signature"),
        lambda book: setattr(
            book["meta"]["B1"],
            "value",
            signing.dumps({"v": 1, "report": 1}, salt="another.salt", compress=True),
        ),
        lambda book: book.remove(book["meta"]),
    ],
    ids=["state-cell", "report-cell", "no-signature", "forged", "other-salt", "no-meta"],
)
def test_tampered_workbook_is_refused(client_for, editor, report, tamper):
    client = client_for(editor)
    book = open_book(filled(download(client, report), {("3.1", "answer", 0): 5}))
    tamper(book)
    response = upload(client, report, save_book(book))
    assert response.status_code == 400
    assert "identity cells" in response.context["form_error"]
    assert not Answer.objects.exists()


def test_changed_hidden_revision_is_refused(editor, report):
    fill(report, editor)
    book = open_book(spreadsheets.build_workbook(report, language="en"))
    answer = find(book, "3.1")
    answer.value = 10
    answer.parent.cell(row=answer.row, column=spreadsheets.COL_REVISION).value = 7
    reading = spreadsheets.read_workbook(report, save_book(book))
    assert [(e.key, e.cell) for e in reading.errors] == [("3.1", f"B{answer.row}")]
    assert reading.changes == []


def test_workbook_of_another_states_report_is_refused(client_for, editor, outsider, report, cycle):
    kenya = services.create_report(
        state=MemberState.objects.get(iso3="KEN"), cycle=cycle, by=outsider, language="en"
    )
    data = filled(download(client_for(outsider), kenya), {("3.1", "answer", 0): 5})
    response = upload(client_for(editor), report, data)
    assert response.status_code == 400
    assert "another State" in response.context["form_error"]
    assert not Answer.objects.exists()


def test_workbook_of_another_cycle_is_refused(editor, report, questionnaire):
    later = open_cycle_for(questionnaire, number=11, later_by_days=700)
    other = services.create_report(state=report.state, cycle=later, by=editor, language="en")
    data = spreadsheets.build_workbook(other, language="en")
    with pytest.raises(WorkflowError, match="another reporting cycle"):
        spreadsheets.read_workbook(report, data)


def test_online_change_after_download_is_a_conflict(client_for, editor, report, media_root):
    fill(report, editor)
    client = client_for(editor)
    data = filled(download(client, report, "en"), {("3.1", "answer", 0): 300})
    response = upload(client, report, data)
    assert response.status_code == 200
    services.save_answers(
        report, by=editor, changes=[services.AnswerChange("3.1", 250, 1)], clear_hidden=True
    )
    saves = AuditEntry.objects.filter(action="reporting.answers.saved").count()
    response = apply(client, report, response)
    assert response.status_code == 409
    [conflict] = response.context["conflicts"]
    assert (conflict["number"], conflict["value"]) == ("3.1", "250")
    assert stored(report, "3.1") == (250, 2)
    assert AuditEntry.objects.filter(action="reporting.answers.saved").count() == saves
    assert kept_workbooks(media_root) == []


def test_confirmation_token_is_bound_to_report_and_person(client_for, editor, report):
    from tests.factories import Role, member

    client = client_for(editor)
    response = upload(client, report, filled(download(client, report), {("3.1", "answer", 0): 5}))
    colleague = client_for(member(Role.STATE_EDITOR, state="FRA"))
    refused = apply(colleague, report, response)
    assert refused.status_code == 400
    assert "expired" in refused.context["form_error"]
    forged = client.post(
        reverse("reporting:workbook-apply", args=[report.pk]),
        {"token": signing.dumps({"report": report.pk, "user": editor.pk, "name": "../x"})},
    )
    assert forged.status_code == 400
    assert not Answer.objects.exists()


def test_unconfirmed_uploads_are_deleted_later(client_for, editor, report, media_root):
    client = client_for(editor)
    upload(client, report, filled(download(client, report), {("3.1", "answer", 0): 5}))
    assert spreadsheets.delete_stale_uploads() == 0  # still waiting for the confirmation
    assert len(kept_workbooks(media_root)) == 1
    assert spreadsheets.delete_stale_uploads(older_than=datetime.timedelta(seconds=-60)) == 1
    assert kept_workbooks(media_root) == []


def test_not_a_workbook_is_refused_clearly(client_for, editor, report):
    client = client_for(editor)
    for data in (b"%PDF-1.7 not a spreadsheet", b"PK\x03\x04 broken zip"):
        response = upload(client, report, data)
        assert response.status_code == 400
        assert "not an Excel workbook" in response.context["form_error"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    response = upload(client, report, buffer.getvalue())
    assert "not an Excel workbook" in response.context["form_error"]


def test_oversized_upload_is_refused_before_reading(client_for, editor, report):
    data = b"PK\x03\x04" + b"\0" * spreadsheets.WORKBOOK_MAX_BYTES
    response = upload(client_for(editor), report, data)
    assert response.status_code == 400
    assert "too large" in response.context["form_error"]


def test_decompression_bomb_is_refused_without_expanding(editor, report):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 * 1024 * 1024))
    with pytest.raises(WorkflowError) as refused:
        spreadsheets.read_workbook(report, buffer.getvalue())
    assert refused.value.code == "zip_bomb"


# --- who may ----------------------------------------------------------------------------------


def test_outsider_cannot_download_or_upload(client_for, editor, outsider, report):
    client = client_for(outsider)
    assert client.get(reverse("reporting:workbook-download", args=[report.pk])).status_code == 404
    data = filled(download(client_for(editor), report), {("3.1", "answer", 0): 5})
    assert upload(client, report, data).status_code == 404
    assert client.get(reverse("reporting:workbook-upload", args=[report.pk])).status_code == 404
    assert not Answer.objects.exists()


def test_reviewer_downloads_but_cannot_upload(client_for, editor, reviewer, report):
    client = client_for(reviewer)
    data = filled(download(client, report), {("3.1", "answer", 0): 5})
    assert upload(client, report, data).status_code == 403
    assert not Answer.objects.exists()


def test_submitted_report_cannot_be_changed_by_workbook(client_for, editor, report):
    client = client_for(editor)
    data = filled(download(client, report), {("3.1", "answer", 0): 5})
    report.status = report.Status.SUBMITTED
    report.save()
    response = upload(client, report, data)
    assert response.status_code == 400
    assert "can no longer be changed" in response.context["form_error"]
    assert not Answer.objects.exists()


def test_upload_page_renders_for_the_editor(client_for, editor, report):
    response = client_for(editor).get(reverse("reporting:workbook-upload", args=[report.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'for="workbook-file"' in page
    assert reverse("reporting:workbook-download", args=[report.pk]) in page


def test_download_file_name(client_for, editor, report):
    response = client_for(editor).get(reverse("reporting:workbook-download", args=[report.pk]))
    meeting = report.cycle.meeting.short_name
    assert f'filename="report-FRA-{meeting}.xlsx"' in response["Content-Disposition"]


def test_outside_readers_cannot_download_the_live_workbook(
    client_for, report, editor, reviewer, approver
):
    from reporting import services as reporting_services
    from reporting.models import Report
    from tests.factories import member

    fill(report, editor)
    reporting_services.submit_report(report, by=approver, visibility="public", mfa_verified=True)
    reporting_services.publish_report(Report.objects.get(pk=report.pk), by=reviewer)
    url = reverse("reporting:workbook-download", args=[report.pk])
    other_government = member(Role.STATE_EDITOR, state="KEN")
    assert client_for(other_government).get(url).status_code == 404
    assert client_for(editor).get(url).status_code == 200
