"""The analysis of national reports as PDF: chunks, merging with continuous page numbers,
contents and bookmarks; public edition free of restricted content; fonts of every script;
idempotent steps; retries; the automatic builds; pages and API."""

import datetime
import hashlib
import io
import re
import subprocess
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from assistance.models import Match, Need, donor_key
from core.models import AuditEntry, MemberState, Organisation
from reporting.analysis import build
from reporting.models import AnalysisChunk, AnalysisEdition, Report, ReportRevision
from reporting.services import analysis
from tests.conftest import open_cycle_for

pytestmark = pytest.mark.django_db
SECRET = "Confidential stockpile figures of Kenya"


def _published(cycle, iso3, answers, *, visibility="public", days_late=0):
    submitted = timezone.make_aware(
        datetime.datetime.combine(cycle.deadline, datetime.time(12))
    ) + datetime.timedelta(days=days_late - 5)
    report = Report.objects.create(
        state=MemberState.objects.get(iso3=iso3),
        cycle=cycle,
        questionnaire=cycle.questionnaire,
        status=Report.Status.PUBLISHED,
        language="en",
        visibility=visibility,
        published_visibility=visibility,
        submitted_at=submitted,
        published_at=submitted + datetime.timedelta(days=3),
    )
    ReportRevision.objects.create(
        report=report, number=1, status=report.status, visibility=visibility, answers=answers
    )
    return report


@pytest.fixture
def data(questionnaire, admin_user):
    """Three reports (Kenya's restricted, Brazil's late) and a restricted need whose
    outcome text must stay out of the public edition."""
    cycle = open_cycle_for(questionnaire, number=11)
    _published(cycle, "FRA", {"1.1": "yes", "2.3": "no"})
    _published(cycle, "KEN", {"1.1": "no", "1.2": SECRET}, visibility="restricted")
    _published(cycle, "BRA", {"1.1": "yes"}, days_late=9)
    kenya = MemberState.objects.get(iso3="KEN")
    need = Need.objects.create(
        state=kenya,
        theme="marking",
        kind="equipment",
        description=SECRET,
        visibility=Need.Visibility.RESTRICTED,
        status=Need.Status.COMPLETED,
    )
    eu = Organisation.objects.get(acronym="EU")
    Match.objects.create(
        need=need,
        donor_organisation=eu,
        donor_key=donor_key(None, eu),
        created_by=admin_user,
        status=Match.Status.COMPLETED,
        outcome=f"{SECRET}: delivered",
        amount=Decimal(5),
    )
    return cycle


def build_now(cycle, language="en", kind="public", django_capture_on_commit_callbacks=None):
    with django_capture_on_commit_callbacks(execute=True):
        edition = analysis.request_edition(cycle=cycle, language=language, kind=kind, by=None)
    edition.refresh_from_db()
    return edition


def pdf_text(edition) -> list[str]:
    with edition.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def test_public_edition_is_built_merged_and_numbered(data, django_capture_on_commit_callbacks):
    edition = build_now(data, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    assert edition.status == "done", edition.error
    chunks = list(edition.chunks.all())
    assert edition.chunks_total == len(chunks) == edition.chunks_done > 3
    pages = pdf_text(edition)
    assert len(pages) == edition.page_count == sum(c.page_count for c in chunks) + 2
    for number, text in enumerate(pages, 1):
        assert f"Page {number} of {len(pages)}" in text  # continuous numbers on every page
    assert "Analysis of national reports submitted for" in pages[0]
    # Each contents entry names the page where its section starts.
    contents = pages[1]
    for section in ("Profiles of the reporting States", "Directory of national points of contact"):
        page = int(re.search(re.escape(section) + r"\s+(\d+)", contents).group(1))
        assert section in pages[page - 1]
    with edition.file.open("rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    assert digest == edition.checksum and edition.size > 0


def test_bookmarks_follow_the_sections_and_profiles(data, django_capture_on_commit_callbacks):
    edition = build_now(data, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    with edition.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert "Profiles of the reporting States" in titles
    nested = [i for i in reader.outline if isinstance(i, list)]
    flat = [item.title for group in nested for item in group if not isinstance(item, list)]
    assert {"France", "Kenya", "Brazil"} <= set(flat)
    assert reader.metadata.title.startswith("Analysis of national reports submitted for")
    assert reader.trailer["/Root"]["/Lang"] == "en"


def test_public_edition_has_no_restricted_content(data, django_capture_on_commit_callbacks):
    public = build_now(data, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    staff = build_now(
        data, kind="staff", django_capture_on_commit_callbacks=django_capture_on_commit_callbacks
    )
    public_text = " ".join(pdf_text(public))
    assert SECRET not in public_text
    assert "restricted its report to governments" in public_text  # Kenya's profile says so
    assert SECRET in " ".join(pdf_text(staff))  # the outcome note, for staff


@pytest.mark.parametrize(
    ("language", "sample", "font"),
    [
        ("ar", "الصفحة", "DejaVu"),  # "Page … of …" laid over every page
        ("zh-hans", "页", "WenQuanYi"),
    ],
)
def test_every_script_has_its_fonts_embedded(
    data, language, sample, font, django_capture_on_commit_callbacks
):
    edition = build_now(
        data,
        language=language,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )
    assert edition.status == "done", edition.error
    fonts = subprocess.run(
        ["pdffonts", edition.file.path], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert fonts and all(" yes " in line for line in fonts)  # every font embedded
    assert any(font in line for line in fonts)
    text = subprocess.run(
        ["pdftotext", "-l", "2", edition.file.path, "-"], capture_output=True, text=True, check=True
    ).stdout
    assert sample in text and "\ufffd" not in text


def test_steps_run_twice_leave_one_result(data, django_capture_on_commit_callbacks):
    edition = build_now(data, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    chunk = edition.chunks.first()
    before = (chunk.file.name, edition.file.name, edition.checksum)
    assert build.render_chunk(chunk.pk, on_assembly=pytest.fail) is False
    assert build.assemble(edition.pk) is False
    chunk.refresh_from_db()
    edition.refresh_from_db()
    assert (chunk.file.name, edition.file.name, edition.checksum) == before


def test_a_chunk_that_failed_is_rendered_again(data, monkeypatch):
    edition = analysis.request_edition(cycle=data, language="en", kind="public", by=None)
    chunk_ids = build.start(edition.pk)
    real = build.render_pdf_document

    def crash(html):
        raise MemoryError("worker died")

    monkeypatch.setattr(build, "render_pdf_document", crash)
    with pytest.raises(MemoryError):
        build.render_chunk(chunk_ids[0], on_assembly=lambda pk: None)
    chunk = AnalysisChunk.objects.get(pk=chunk_ids[0])
    assert (chunk.status, chunk.attempts, chunk.file.name) == ("rendering", 1, "")
    stalled = list(build.stalled(older_than=datetime.timedelta(0)))
    assert ("chunk", chunk.pk) in stalled

    monkeypatch.setattr(build, "render_pdf_document", real)
    for chunk_id in chunk_ids:
        build.render_chunk(chunk_id, on_assembly=lambda pk: None)
    chunk.refresh_from_db()
    edition.refresh_from_db()
    assert (chunk.status, chunk.attempts) == ("done", 2)
    assert (edition.status, edition.chunks_done) == ("assembling", edition.chunks_total)


def test_a_chunk_is_given_up_after_its_attempts(data):
    edition = analysis.request_edition(cycle=data, language="en", kind="public", by=None)
    [first, *_rest] = build.start(edition.pk)
    AnalysisChunk.objects.filter(pk=first).update(attempts=build.MAX_ATTEMPTS)
    assert build.render_chunk(first, on_assembly=pytest.fail) is False
    edition.refresh_from_db()
    assert edition.status == "failed" and "gave up" in edition.error


def test_beat_builds_before_the_meeting_and_after_the_deadline_once(data, settings):
    settings.ANALYSIS_LANGUAGES = ["en", "fr"]
    meeting = data.meeting
    day = meeting.start_date - datetime.timedelta(days=settings.ANALYSIS_DAYS_BEFORE_MEETING)
    assert analysis.schedule_automatic_editions(day - datetime.timedelta(days=1)) == []
    made = analysis.schedule_automatic_editions(day)
    assert {(e.language, e.kind, e.trigger) for e in made} == {
        (language, kind, "before_meeting")
        for language in ("en", "fr")
        for kind in ("public", "staff")
    }
    assert analysis.schedule_automatic_editions(day + datetime.timedelta(days=1)) == []
    after = analysis.schedule_automatic_editions(data.deadline + datetime.timedelta(days=1))
    assert {e.trigger for e in after} == {"after_deadline"} and len(after) == 4


# --- pages and API --------------------------------------------------------------------------


def test_staff_build_from_the_page_and_publish(
    client_for, reviewer, anonymous, data, django_capture_on_commit_callbacks
):
    staff = client_for(reviewer)
    page = reverse("reporting:meeting-analysis", args=[data.meeting.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            reverse("reporting:analysis-build", args=[data.meeting.pk]),
            {"language": "fr", "kind": "public"},
        )
    assert response.status_code == 302
    edition = AnalysisEdition.objects.get()
    assert (edition.status, edition.language, edition.requested_by) == ("done", "fr", reviewer)
    assert AuditEntry.objects.filter(action="reporting.analysis.requested").exists()
    download = reverse("reporting:edition-download", args=[edition.pk])
    assert anonymous.get(download).status_code == 404  # not published yet
    assert edition.pk not in [e.pk for e in anonymous.get(page).context["editions"]]
    staff.post(reverse("reporting:edition-publish", args=[edition.pk]))
    response = anonymous.get(download)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_only_staff_build_editions(client_for, editor, donor, anonymous, data):
    for client in (client_for(editor), client_for(donor)):
        response = client.post(
            reverse("reporting:analysis-build", args=[data.meeting.pk]),
            {"language": "en", "kind": "staff"},
        )
        assert response.status_code == 403
        api = client.post(
            "/api/v1/summaries/",
            {"meeting": data.meeting.pk, "language": "en", "edition": "staff"},
            content_type="application/json",
        )
        assert api.status_code == 403
    assert not AnalysisEdition.objects.exists()


def test_staff_edition_is_never_public(
    client_for, reviewer, anonymous, editor, data, django_capture_on_commit_callbacks
):
    edition = build_now(
        data, kind="staff", django_capture_on_commit_callbacks=django_capture_on_commit_callbacks
    )
    response = client_for(reviewer).post(reverse("reporting:edition-publish", args=[edition.pk]))
    assert response.status_code == 302
    edition.refresh_from_db()
    assert edition.published_at is None
    for client in (anonymous, client_for(editor)):
        assert (
            client.get(reverse("reporting:edition-download", args=[edition.pk])).status_code == 404
        )
        assert client.get(f"/api/v1/summaries/{edition.pk}/").status_code == 404


def test_api_starts_a_job_and_reports_progress(
    client_for, reviewer, data, django_capture_on_commit_callbacks
):
    client = client_for(reviewer)
    bad = client.post(
        "/api/v1/summaries/",
        {"meeting": data.meeting.pk, "language": "xx", "edition": "public"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "language" in bad.json()
    with django_capture_on_commit_callbacks(execute=False):
        job = client.post(
            "/api/v1/summaries/",
            {"meeting": data.meeting.pk, "language": "en", "edition": "public"},
            content_type="application/json",
        )
    assert job.status_code == 202
    body = job.json()
    assert (body["status"], body["progress"], body["download_url"]) == ("queued", 0, None)
    edition_id = body["id"]
    chunk_ids = build.start(edition_id)
    build.render_chunk(chunk_ids[0], on_assembly=lambda pk: None)
    half = client.get(f"/api/v1/summaries/{edition_id}/").json()
    assert half["status"] == "building" and 0 < half["progress"] < 100
    with django_capture_on_commit_callbacks(execute=True):
        for chunk_id in chunk_ids[1:]:
            build.render_chunk(chunk_id, on_assembly=build.assemble)
    done = client.get(f"/api/v1/summaries/{edition_id}/").json()
    assert done["status"] == "done" and done["progress"] == 100
    assert done["download_url"].endswith(f"/analysis/{edition_id}.pdf")


def test_earlier_editions_stay_while_a_new_one_builds(data, django_capture_on_commit_callbacks):
    first = build_now(data, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    second = analysis.request_edition(cycle=data, language="en", kind="public", by=None)
    build.start(second.pk)
    first.refresh_from_db()
    assert first.status == "done" and default_storage.exists(first.file.name)


def test_merged_document_stays_tagged(data, django_capture_on_commit_callbacks):
    """One structure tree for the whole document: each page points into the parent tree,
    and every marked-content id on a page has its structure element there; page numbers
    are artifacts."""
    edition = build_now(data, django_capture_on_commit_callbacks=django_capture_on_commit_callbacks)
    with edition.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    catalog = reader.trailer["/Root"]
    assert bool(catalog["/MarkInfo"]["/Marked"])
    tree = catalog["/StructTreeRoot"]
    [document] = tree["/K"]
    parts = document.get_object()["/K"]
    assert document.get_object()["/S"] == "/Document"
    assert len(parts) == edition.chunks_total + 1  # the front matter and each chunk
    nums = tree["/ParentTree"]["/Nums"]
    parent_tree = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    assert len(parent_tree) == len(reader.pages)
    for page in reader.pages:
        elements = parent_tree[page["/StructParents"]]
        data = page.get_contents().get_data()
        ids = [int(m) for m in re.findall(rb"/MCID (\d+)", data)]
        assert ids and max(ids) < len(elements)
        # The page number is a form drawn over the page, marked as a pagination artifact.
        forms = page["/Resources"]["/XObject"].values()
        layers = b"".join(form.get_object().get_data() for form in forms)
        assert re.search(rb"/Artifact\s*<<\s*/Type\s*/Pagination\s*>>\s*BDC", layers)
