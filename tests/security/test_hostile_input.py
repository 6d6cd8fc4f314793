"""Hostile values in every free-text field and upload (issue #10, "Hostile input").

Markup is stored as typed and shown as text (pages, PDF, e-mails); formulas never start a
cell of an export; oversized, malformed, non-UTF-8 and NUL-holding requests are refused
with a clear message and never a server error; uploaded file names never reach the file
system; files whose content does not match their extension and decompression bombs are
refused. Every refusal leaves the stored data as it was.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import subprocess
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader
from rest_framework.test import APIClient

from assistance import services as assistance
from assistance.models import Match, MatchMessage, Need
from core.models import MemberState, Organisation
from reporting import services as reporting
from reporting.models import Answer, Attachment, Comment, Report
from tests.reporting.test_reports import COMPLETE, fill
from tests.security import hostile
from tracing import requests as tracing
from tracing.models import TracingAttachment, TracingMessage, TracingRequest
from tracing.services import save_contact_point

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploads and stored exports go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def answers_of(report: Report) -> dict:
    return dict(Answer.objects.filter(report=report).values_list("question__key", "value"))


def assert_escaped(html: str) -> None:
    """No markup payload reached the page as markup; each is there as text."""
    for fragment in hostile.RAW_FRAGMENTS:
        assert fragment not in html
    assert "&lt;script&gt;alert(" in html


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True, check=True)
    return " ".join(result.stdout.split())


def link_targets(pdf: bytes) -> list[str]:
    """Every URI of every link annotation in the PDF."""
    targets = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A") or {}
            targets.append(str(action.get("/URI", "")))
    return targets


MARKUP_ANSWERS = {
    **COMPLETE,
    "1.2": hostile.ALL_MARKUP,
    "1.3": {"name": hostile.SCRIPT, "organisation": hostile.ATTRIBUTE_BREAK},
    "2.1": [{"title_original": hostile.SVG, "link": "https://example.org/law"}],
    "2.3": "yes",
    "2.4": "\n".join(hostile.MARKUP),
}


# --- markup ---------------------------------------------------------------------------------


def test_markup_in_answers_and_comments_is_stored_as_typed_and_shown_as_text(
    client_for, editor, report, tmp_path
):
    saved = api_for(editor).patch(
        f"/api/v1/reports/{report.pk}/answers/",
        {"answers": [{"key": k, "value": v, "revision": 0} for k, v in MARKUP_ANSWERS.items()]},
        format="json",
    )
    assert saved.status_code == 200, saved.json()
    browser = client_for(editor)
    browser.post(reverse("reporting:comment-add", args=[report.pk]), {"body": hostile.SCRIPT})

    stored = answers_of(report)
    assert stored["1.2"] == hostile.ALL_MARKUP and stored["2.4"] == MARKUP_ANSWERS["2.4"]
    assert Comment.objects.get(report=report).body == hostile.SCRIPT
    for url in (
        reverse("reporting:section-edit", args=[report.pk, "coordination"]),
        reverse("reporting:section-edit", args=[report.pk, "laws"]),
        reverse("reporting:report-print", args=[report.pk]),
        reverse("reporting:report-comments", args=[report.pk]),
    ):
        page = browser.get(url)
        assert page.status_code == 200
        assert_escaped(page.content.decode())

    pdf = browser.get(reverse("reporting:report-pdf", args=[report.pk])).content
    text = pdf_text(pdf, tmp_path)
    assert '<script>alert("xss")</script>' in text  # the literal text, shown as typed
    assert hostile.JAVASCRIPT_URL in text
    assert not [uri for uri in link_targets(pdf) if "javascript" in uri.lower()]


def test_markup_in_tracing_assistance_and_help_pages_is_shown_as_text(
    client_for, editor, outsider, donor
):
    fra, ken = MemberState.objects.get(iso3="FRA"), MemberState.objects.get(iso3="KEN")
    sent = tracing.send_request(
        by=editor,
        from_state=fra,
        to_state=ken,
        data={
            name: hostile.ALL_MARKUP
            for name in ("weapon_type", "markings", "circumstances", "why_illicit")
        }
        | {"intended_use": hostile.SCRIPT, "due_on": timezone.localdate() + _days(30)},
    )
    client_for(editor).post(
        reverse("tracing:request-action", args=[sent.pk, "message"]), {"body": hostile.SVG}
    )
    need = assistance.record_need(
        by=editor,
        state=fra,
        data={"theme": "marking", "kind": "equipment", "description": hostile.ALL_MARKUP},
    )
    eu = (None, Organisation.objects.get(acronym="EU"))
    match = assistance.express_interest(need, by=donor, donor=eu, message=hostile.SCRIPT)
    save_contact_point(
        state=fra,
        kind="poa",
        data={"name": hostile.SCRIPT, "address": hostile.ALL_MARKUP},
        by=editor,
    )
    pages = {
        editor: [
            reverse("tracing:request-detail", args=[sent.pk]),
            reverse("assistance:need-detail", args=[need.pk]),
            reverse("assistance:match-detail", args=[match.pk]),
            reverse("tracing:state-contacts", args=["FRA"]),
            reverse("tracing:directory"),
        ],
        outsider: [reverse("tracing:request-detail", args=[sent.pk])],
        donor: [reverse("assistance:match-detail", args=[match.pk])],
    }
    for user, urls in pages.items():
        for url in urls:
            page = client_for(user).get(url)
            assert page.status_code == 200, url
            assert_escaped(page.content.decode())


def test_markup_in_names_reaches_e_mails_as_plain_text(
    editor, donor, django_capture_on_commit_callbacks
):
    """E-mails are plain text: a name with markup is written as typed (not as HTML entities)
    in the subject and the body, and no e-mail carries an HTML part that could run it."""
    organisation = Organisation.objects.get(acronym="EU")
    organisation.name = hostile.SCRIPT
    organisation.acronym = hostile.ATTRIBUTE_BREAK[:20]
    organisation.save()
    need = assistance.record_need(
        by=editor,
        state=MemberState.objects.get(iso3="FRA"),
        data={"theme": "marking", "kind": "equipment", "description": "Marking machines."},
    )
    with django_capture_on_commit_callbacks(execute=True):
        assistance.express_interest(
            need, by=donor, donor=(None, organisation), message=hostile.SCRIPT
        )
    [message] = [m for m in mail.outbox if editor.email in m.to]
    assert str(organisation) in message.subject + message.body
    assert "&lt;" not in message.subject and "&quot;" not in message.subject
    assert "&lt;" not in message.body
    assert not getattr(message, "alternatives", [])


# --- formulas -------------------------------------------------------------------------------


def _days(days: int) -> datetime.timedelta:
    return datetime.timedelta(days=days)


def cells_of_csv(content: bytes) -> list[str]:
    text = content.decode("utf-8").removeprefix("\ufeff")
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def cells_of_xlsx(content: bytes) -> list:
    sheet = load_workbook(io.BytesIO(content)).active
    return [cell for row in sheet.iter_rows() for cell in row]


def test_formulas_are_neutralised_in_every_export(
    client_for, editor, approver, reviewer, report, django_capture_on_commit_callbacks
):
    formulas = dict(enumerate(hostile.FORMULAS))
    answers = {
        **COMPLETE,
        "1.2": formulas[0],
        "1.3": {"name": formulas[1], "organisation": formulas[2], "phone": formulas[3]},
        "2.1": [{"title_original": f} for f in hostile.FORMULAS],
        "2.3": "yes",
        "2.4": "\n".join(hostile.FORMULAS),
    }
    fill(report, editor, answers)
    reporting.submit_report(report, by=approver, visibility="public", mfa_verified=True)
    with django_capture_on_commit_callbacks(execute=True):
        reporting.publish_report(report, by=reviewer)
    state = MemberState.objects.get(iso3="FRA")
    save_contact_point(
        state=state, kind="iti", data={"name": formulas[0], "phone": formulas[1]}, by=editor
    )
    for formula in hostile.FORMULAS:
        assistance.record_need(
            by=editor,
            state=state,
            data={"theme": "marking", "kind": "equipment", "description": formula},
        )
    cycle = report.cycle.pk
    browser = client_for(reviewer)
    csv_urls = [
        reverse("reporting:cycle-export-csv", args=[cycle]),
        f"/api/v1/cycles/{cycle}/export/",
        reverse("tracing:directory-csv"),
        reverse("assistance:board-csv"),
        *(
            reverse("reporting:statistics-csv", args=[cycle, table])
            for table in _statistics_tables(browser, cycle)
        ),
    ]
    seen = []
    for url in csv_urls:
        response = browser.get(url)
        assert response.status_code == 200, url
        cells = cells_of_csv(response.getvalue())
        assert not [c for c in cells if c.startswith(hostile.FORMULA_STARTS)], url
        seen += cells
    assert "'" + formulas[0] in seen  # the formula is there, as text
    workbook = browser.get(reverse("reporting:cycle-export-xlsx", args=[cycle]))
    cells = cells_of_xlsx(workbook.getvalue())
    assert not [c for c in cells if c.data_type == "f"]
    assert not [c for c in cells if str(c.value or "").startswith(hostile.FORMULA_STARTS)]
    assert "'" + formulas[0] in [c.value for c in cells]


def _statistics_tables(client, cycle: int) -> list[str]:
    from reporting.views.statistics import _cycle, statistics_page

    return list(statistics_page(_cycle(cycle))["tables"])


# --- oversized, malformed and non-UTF-8 bodies ------------------------------------------------


def test_oversized_bodies_are_refused_with_413_before_they_are_read(
    settings, client_for, editor, report
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 20_000
    settings.UPLOAD_MAX_REQUEST_BYTES = 60_000
    fill(report, editor)
    before = answers_of(report)
    huge = "x" * 30_000
    browser = client_for(editor)
    autosave = browser.post(
        reverse("reporting:answer-save", args=[report.pk]),
        json.dumps({"answers": [{"key": "1.2", "value": huge, "revision": 1}]}),
        content_type="application/json",
    )
    api = api_for(editor).patch(
        f"/api/v1/reports/{report.pk}/answers/",
        {"answers": [{"key": "1.2", "value": huge, "revision": 1}]},
        format="json",
    )
    comment = reverse("reporting:comment-add", args=[report.pk])
    form = browser.post(
        comment, urlencode({"body": huge}), content_type="application/x-www-form-urlencoded"
    )
    multipart_form = browser.post(comment, {"body": huge})  # under the upload limit
    upload = browser.post(  # as the page's script sends it
        reverse("reporting:attachment-upload", args=[report.pk]),
        {"key": "2.5", "file": SimpleUploadedFile("big.pdf", hostile.PDF + b"0" * 70_000)},
        headers={"Accept": "application/json"},
    )
    for response in (autosave, api, upload):
        assert response.status_code == 413
        assert "too large" in response.json()["detail"]
    for response in (form, multipart_form):
        assert response.status_code == 413 and b"too large" in response.content
    assert answers_of(report) == before
    assert not Comment.objects.exists() and not Attachment.objects.exists()


def test_an_attachment_over_its_limit_is_refused_with_the_limit(
    settings, client_for, editor, report
):
    settings.ATTACHMENT_MAX_BYTES = 1000
    response = client_for(editor).post(
        reverse("reporting:attachment-upload", args=[report.pk]),
        {"key": "2.5", "file": SimpleUploadedFile("plan.pdf", hostile.PDF + b"0" * 2000)},
    )
    assert response.status_code == 400
    assert "too large" in response.json()["errors"]["2.5"]
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    "body",
    [b'{"answers": [', b"[1, 2]", b'{"answers": "all"}', hostile.INVALID_UTF8],
    ids=["truncated", "list", "wrong-shape", "not-utf8"],
)
def test_malformed_json_gets_a_json_400(client_for, editor, report, body):
    fill(report, editor)
    before = answers_of(report)
    autosave = client_for(editor).post(
        reverse("reporting:answer-save", args=[report.pk]), body, content_type="application/json"
    )
    api = api_for(editor).generic(
        "PATCH", f"/api/v1/reports/{report.pk}/answers/", body, "application/json"
    )
    assert autosave.status_code == 400 and autosave.json()["code"] == "malformed"
    assert api.status_code == 400 and api.json()  # the error, by field or as `detail`
    assert answers_of(report) == before


def test_invalid_utf8_in_forms_queries_and_paths_is_never_a_server_error(
    client_for, editor, report
):
    browser = client_for(editor)
    form = browser.generic(
        "POST",
        reverse("reporting:comment-add", args=[report.pk]),
        b"body=" + hostile.INVALID_UTF8,
        "application/x-www-form-urlencoded",
    )
    assert form.status_code == 302
    # Django reads a form body that is not UTF-8 as Latin-1: stored, never a server error.
    assert Comment.objects.get().body == hostile.INVALID_UTF8.decode("latin-1")
    for url in (
        "/archive/?q=%ff%fe",
        "/contacts/?q=%C0%AF",
        "/api/v1/reports/?status=%ff",
        "/api/v1/marking-practices/?search=%ff%00",
        "/reports/%ff/",
        "/api/v1/needs/%ff/",
    ):
        assert browser.get(url).status_code in (200, 400, 404), url


# --- NUL and other characters that cannot be stored -------------------------------------------


def _tracing_request(editor) -> TracingRequest:
    return tracing.send_request(
        by=editor,
        from_state=MemberState.objects.get(iso3="FRA"),
        to_state=MemberState.objects.get(iso3="KEN"),
        data={
            "weapon_type": "Pistol",
            "markings": "AB 123",
            "circumstances": "Seized.",
            "why_illicit": "No licence.",
            "intended_use": "Investigation.",
            "due_on": timezone.localdate() + _days(30),
        },
    )


def _match(editor, donor) -> Match:
    need = assistance.record_need(
        by=editor,
        state=MemberState.objects.get(iso3="FRA"),
        data={"theme": "marking", "kind": "equipment", "description": "Marking machines."},
    )
    eu = (None, Organisation.objects.get(acronym="EU"))
    return assistance.express_interest(need, by=donor, donor=eu, message="We can help.")


def _stored_text() -> tuple:
    """Every free text the NUL attempts could have changed."""
    return (
        list(Answer.objects.values_list("value", flat=True).order_by("pk")),
        list(Comment.objects.values_list("body", flat=True)),
        list(TracingMessage.objects.values_list("body", flat=True).order_by("pk")),
        list(TracingRequest.objects.values_list("answer", "status").order_by("pk")),
        list(MatchMessage.objects.values_list("body", flat=True).order_by("pk")),
        list(Match.objects.values_list("outcome", "agreement", "status")),
        list(Need.objects.values_list("description", flat=True).order_by("pk")),
        list(Organisation.objects.values_list("name", flat=True).order_by("pk")),
    )


def _attempt(client, method: str, *args, **kwargs) -> tuple[int, bytes]:
    """The status, and what the person reads: the page, the API's body, or the page a
    redirect leads to (where the message saying why is shown)."""
    response = getattr(client, method)(*args, **kwargs)
    page = client.get(response.url) if response.status_code == 302 else response
    return response.status_code, page.content


def test_nul_in_any_text_field_is_refused_and_nothing_changes(
    client_for, editor, outsider, donor, administrator, report
):
    fill(report, editor)
    sent = _tracing_request(editor)
    tracing.acknowledge_request(sent, by=outsider)
    match = _match(editor, donor)
    need = match.need
    before = _stored_text()
    nul = hostile.NUL
    state, kenya, giver = client_for(editor), client_for(outsider), client_for(donor)
    answers = f"/api/v1/reports/{report.pk}/answers/"
    attempts = {
        "autosave": _attempt(
            state,
            "post",
            reverse("reporting:answer-save", args=[report.pk]),
            json.dumps({"answers": [{"key": "1.2", "value": nul, "revision": 1}]}),
            content_type="application/json",
        ),
        "api answers": _attempt(
            api_for(editor),
            "patch",
            answers,
            {"answers": [{"key": "1.2", "value": nul, "revision": 1}]},
            format="json",
        ),
        "section form": _attempt(
            state,
            "post",
            reverse("reporting:section-edit", args=[report.pk, "coordination"]),
            {"1.2": nul, "rev:1.2": "1"},
        ),
        "comment form": _attempt(
            state, "post", reverse("reporting:comment-add", args=[report.pk]), {"body": nul}
        ),
        "comment api": _attempt(
            api_for(editor),
            "post",
            f"/api/v1/reports/{report.pk}/comments/",
            {"body": nul},
            format="json",
        ),
        "tracing form": _attempt(
            state,
            "post",
            reverse("tracing:request-new"),
            {"to_state": MemberState.objects.get(iso3="KEN").pk, "weapon_type": nul},
        ),
        "tracing message": _attempt(
            state,
            "post",
            reverse("tracing:request-action", args=[sent.pk, "message"]),
            {"body": nul},
        ),
        "tracing answer": _attempt(
            kenya,
            "post",
            reverse("tracing:request-action", args=[sent.pk, "answer"]),
            {"outcome": "traced", "answer": nul},
        ),
        "tracing answer api": _attempt(
            api_for(outsider),
            "post",
            f"/api/v1/tracing-requests/{sent.pk}/answer/",
            {"outcome": "traced", "answer": nul},
            format="json",
        ),
        "match message": _attempt(
            giver,
            "post",
            reverse("assistance:match-action", args=[match.pk, "message"]),
            {"body": nul},
        ),
        "match outcome": _attempt(
            giver,
            "post",
            reverse("assistance:match-action", args=[match.pk, "complete"]),
            {"outcome": nul},
        ),
        "match message api": _attempt(
            api_for(donor),
            "post",
            f"/api/v1/matches/{match.pk}/message/",
            {"body": nul},
            format="json",
        ),
        "need api": _attempt(
            api_for(editor),
            "patch",
            f"/api/v1/needs/{need.pk}/",
            {"description": nul},
            format="json",
        ),
        "need form": _attempt(
            state,
            "post",
            reverse("assistance:need-edit", args=[need.pk]),
            {"theme": "marking", "kind": "equipment", "priority": "high", "description": nul},
        ),
        "organisation form": _attempt(
            client_for(administrator),
            "post",
            reverse("core:organisation-create"),
            {"acronym": "NUL", "name": nul, "kind": "ngo", "is_active": "on"},
        ),
    }
    for name, (status, page) in attempts.items():
        assert status in (200, 302, 400), name
        assert b"not allowed" in page, name  # the reason, as a form's, the API's or a message
    assert _stored_text() == before


def test_a_reply_to_a_comment_that_is_not_a_number_is_refused(client_for, editor, report):
    response = client_for(editor).post(
        reverse("reporting:comment-add", args=[report.pk]), {"body": "Hi", "parent": "1 OR 1=1"}
    )
    assert response.status_code == 404
    assert not Comment.objects.exists()


# --- uploads --------------------------------------------------------------------------------


def test_uploaded_file_names_never_reach_the_file_system(
    settings, client_for, editor, outsider, report
):
    fill(report, editor, {**COMPLETE, "2.3": "yes"})
    browser = client_for(editor)
    media = Path(settings.MEDIA_ROOT).resolve()
    for name in hostile.TRAVERSAL_NAMES[:5]:
        response = browser.post(
            reverse("reporting:attachment-upload", args=[report.pk]),
            {"key": "2.5", "file": SimpleUploadedFile(name, hostile.PDF)},
        )
        assert response.status_code == 200, (name, response.json())
    sent = _tracing_request(editor)
    client_for(outsider).post(
        reverse("tracing:request-action", args=[sent.pk, "message"]),
        {
            "body": "Photos",
            "files": [SimpleUploadedFile(n, hostile.PDF) for n in hostile.TRAVERSAL_NAMES[5:]],
        },
    )
    stored = [*Attachment.objects.all(), *TracingAttachment.objects.all()]
    assert len(stored) == len(hostile.TRAVERSAL_NAMES)
    for attachment in stored:
        path = Path(attachment.file.path).resolve()
        assert path.is_relative_to(media) and path.name.endswith(".pdf")
        assert attachment.original_name not in path.name
        assert not set(attachment.original_name) & set("/\\\u202e\r\n\x00")
    files = {p.name for p in media.rglob("*") if p.is_file()}
    assert files == {Path(a.file.name).name for a in stored}
    for attachment in Attachment.objects.all():
        download = browser.get(
            reverse("reporting:attachment-download", args=[report.pk, attachment.token])
        )
        disposition = download["Content-Disposition"]
        assert disposition.startswith("attachment;") and "\n" not in disposition
        assert 'filename="evil.html' not in disposition  # quotes cannot close the name
        # Read, not closed: close() would also close the test's database connection.
        assert b"".join(download.streaming_content) == hostile.PDF


@pytest.mark.parametrize(("name", "content"), hostile.MISMATCHED_FILES)
def test_a_file_whose_content_does_not_match_its_extension_is_refused(
    client_for, editor, report, name, content
):
    fill(report, editor, {**COMPLETE, "2.3": "yes"})
    before = answers_of(report)
    response = client_for(editor).post(
        reverse("reporting:attachment-upload", args=[report.pk]),
        {"key": "2.5", "file": SimpleUploadedFile(name, content)},
    )
    assert response.status_code == 400
    assert "does not match its extension" in response.json()["errors"]["2.5"]
    assert not Attachment.objects.exists() and answers_of(report) == before


def test_a_decompression_bomb_workbook_is_refused_quickly(client_for, editor, report, settings):
    fill(report, editor)
    before = answers_of(report)
    bomb = hostile.decompression_bomb()
    assert len(bomb) < 200_000  # 40 MB expanded
    started = time.monotonic()
    response = client_for(editor).post(
        reverse("reporting:workbook-upload", args=[report.pk]),
        {"workbook": SimpleUploadedFile("report.xlsx", bomb)},
    )
    assert time.monotonic() - started < 5
    assert response.status_code == 400
    assert "expands to far more data" in response.content.decode()
    assert answers_of(report) == before
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.xlsx"))


def test_a_workbook_that_is_not_a_workbook_is_refused(client_for, editor, report):
    response = client_for(editor).post(
        reverse("reporting:workbook-upload", args=[report.pk]),
        {"workbook": SimpleUploadedFile("report.xlsx", hostile.EXE)},
    )
    assert response.status_code == 400
    assert "not an Excel workbook" in response.content.decode()


def test_money_fields_refuse_hostile_numbers(client_for, editor):
    """Amounts typed as formulas, exponents or huge numbers are refused, not stored."""
    api = api_for(editor)
    for cost in ("=1+1", "1e400", "NaN", "9" * 40, "-1"):
        response = api.post(
            "/api/v1/needs/",
            {
                "theme": "marking",
                "kind": "equipment",
                "description": "Kits",
                "estimated_cost": cost,
                "currency": "USD",
            },
            format="json",
        )
        assert response.status_code == 400, cost
    assert not Need.objects.exists()
