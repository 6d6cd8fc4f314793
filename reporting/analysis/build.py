"""Building an edition of the analysis: plan the chunks, render each one (in parallel, on any
worker), then merge them with the cover and contents, continuous page numbers and bookmarks.

Every step is idempotent and re-checks the database under a row lock, so a task delivered
twice (a retry, a worker killed before it acknowledged) leaves one result: a chunk's file is
recorded once, a duplicate's file is deleted; an edition is assembled once. Files are written
under new names and recorded only when complete, so nothing half-written is ever served.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from collections.abc import Callable, Iterator

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core.pdf import render_pdf_document
from reporting.analysis import sections
from reporting.analysis.pdfmerge import TaggedMerger
from reporting.models import AnalysisChunk, AnalysisEdition, Report

logger = logging.getLogger(__name__)
Edition = AnalysisEdition
Chunk = AnalysisChunk
#: A chunk is given up after this many attempts (each worker death or error is one).
MAX_ATTEMPTS = 5


# --- planning --------------------------------------------------------------------------------


def reporting_states(edition: Edition) -> list[str]:
    """ISO3 codes of the States with a profile: those whose report was received."""
    reports = Report.objects.filter(cycle=edition.cycle, submitted_at__isnull=False)
    return list(reports.order_by("state__name").values_list("state__iso3", flat=True))


def plan_chunks(edition: Edition) -> list[Chunk]:
    """One chunk per registered section, State profiles in groups (idempotent)."""
    if edition.chunks.exists():
        return list(edition.chunks.all())
    specs: list[tuple[str, list[str]]] = []
    for section in sections.registered():
        if section.per_state:
            states = reporting_states(edition)
            size = settings.ANALYSIS_PROFILES_PER_CHUNK
            specs += [(section.key, states[i : i + size]) for i in range(0, len(states), size)]
        else:
            specs.append((section.key, []))
    return Chunk.objects.bulk_create(
        Chunk(edition=edition, position=i, section=key, states=states)
        for i, (key, states) in enumerate(specs)
    )


def snapshot(edition: Edition) -> dict:
    """What the edition is built from: each published report and its latest revision."""
    reports = Report.objects.filter(cycle=edition.cycle, published_at__isnull=False)
    if edition.is_public:
        reports = reports.filter(published_visibility=Report.Visibility.PUBLIC)
    rows = reports.values_list("state__iso3", "revisions__number").order_by("state__iso3")
    latest: dict[str, int] = {}
    for iso3, number in rows:
        latest[iso3] = max(latest.get(iso3, 0), number or 0)
    return {"reports": latest, "taken_at": timezone.now().isoformat()}


# --- rendering a chunk -----------------------------------------------------------------------


def chunk_html(chunk: Chunk) -> str:
    edition = chunk.edition
    section = sections.get(chunk.section)
    staff = edition.kind == Edition.Kind.STAFF
    first = not edition.chunks.filter(section=chunk.section, position__lt=chunk.position).exists()
    with translation.override(edition.language):
        if section.per_state:
            context = section.context(edition.cycle, staff, states=chunk.states)
        else:
            context = section.context(edition.cycle, staff)
        return render_to_string(
            "reporting/analysis/pdf_chunk.html",
            {**context, "section": section, "edition": edition, "first": first, "pdf": True},
        )


def _claim(chunk_id: int) -> Chunk | None:
    """Mark the chunk as rendering (one more attempt), unless it is done or given up."""
    with transaction.atomic():
        chunk = Chunk.objects.select_for_update().select_related("edition").get(pk=chunk_id)
        edition = chunk.edition
        if chunk.status == Chunk.Status.DONE or edition.status != Edition.Status.BUILDING:
            return None
        if chunk.attempts >= MAX_ATTEMPTS:
            _fail(edition, chunk, f"gave up after {chunk.attempts} attempts")
            return None
        chunk.status, chunk.started_at = Chunk.Status.RENDERING, timezone.now()
        chunk.attempts += 1
        chunk.save(update_fields=["status", "started_at", "attempts"])
        return chunk


def _fail(edition: Edition, chunk: Chunk, reason: str) -> None:
    chunk.status = Chunk.Status.FAILED
    chunk.save(update_fields=["status"])
    Edition.objects.filter(pk=edition.pk).update(
        status=Edition.Status.FAILED, error=f"chunk {chunk.position}: {reason}"[:2000]
    )


def render_chunk(chunk_id: int, *, on_assembly: Callable[[int], None]) -> bool:
    """Render one chunk and record it; when it is the last one, mark the edition for
    assembly and call `on_assembly(edition_id)` after the commit. False when there was
    nothing to do (already done, edition failed) or another delivery recorded it first."""
    chunk = _claim(chunk_id)
    if chunk is None:
        return False
    rendered = render_pdf_document(chunk_html(chunk))
    name = default_storage.save(
        f"analysis/chunks/{chunk.edition_id}/{chunk.position}-{chunk.attempts}.pdf",
        ContentFile(rendered.data),
    )
    with transaction.atomic():
        chunk = Chunk.objects.select_for_update().get(pk=chunk_id)
        if chunk.status == Chunk.Status.DONE:
            transaction.on_commit(lambda: default_storage.delete(name))
            return False
        chunk.file.name, chunk.page_count = name, rendered.pages
        chunk.outline = rendered.bookmarks
        chunk.status, chunk.finished_at = Chunk.Status.DONE, timezone.now()
        chunk.save()
        edition = Edition.objects.select_for_update().get(pk=chunk.edition_id)
        edition.chunks_done = edition.chunks.filter(status=Chunk.Status.DONE).count()
        if (
            edition.chunks_done == edition.chunks_total
            and edition.status == Edition.Status.BUILDING
        ):
            edition.status = Edition.Status.ASSEMBLING
            transaction.on_commit(lambda: on_assembly(edition.pk))
        edition.save(update_fields=["chunks_done", "status"])
    return True


# --- assembling ------------------------------------------------------------------------------


def _contents(edition: Edition, chunks: list[Chunk], front_pages: int) -> list[dict]:
    """One contents entry per section (its first chunk), with its first page number."""
    entries, page = [], front_pages + 1
    for chunk in chunks:
        if not any(e["key"] == chunk.section for e in entries):
            section = sections.get(chunk.section)
            entries.append(
                {"key": chunk.section, "title": section.title, "page": page, "annex": section.annex}
            )
        page += chunk.page_count
    return entries


def front_matter(edition: Edition, chunks: list[Chunk]) -> tuple[bytes, int]:
    """Cover and contents. Rendered twice: the contents' page numbers depend on how many
    pages the front matter itself takes."""
    front_pages = 2
    for _attempt in range(3):
        with translation.override(edition.language):
            html = render_to_string(
                "reporting/analysis/pdf_front.html",
                {"edition": edition, "contents": _contents(edition, chunks, front_pages)},
            )
        rendered = render_pdf_document(html)
        if rendered.pages == front_pages:
            return rendered.data, rendered.pages
        front_pages = rendered.pages
    return rendered.data, rendered.pages


def folio(edition: Edition, pages: int) -> bytes:
    """`pages` empty pages carrying only "Page n of N", laid over the merged document
    (untagged: the merger marks it as a pagination artifact)."""
    with translation.override(edition.language):
        html = render_to_string("reporting/analysis/pdf_folio.html", {"pages": range(pages)})
    return render_pdf_document(html, tagged=False).data


def _bookmarks(merger: TaggedMerger, chunks: list[Chunk], offsets: list[int]) -> None:
    parents: dict[int, object] = {}
    for chunk, offset in zip(chunks, offsets, strict=True):
        for level, label, page in chunk.outline:
            parents[level] = merger.bookmark(label, offset + page, parents.get(level - 1))
            for deeper in [lvl for lvl in parents if lvl > level]:
                del parents[deeper]


def merge(edition: Edition, chunks: list[Chunk]) -> tuple[bytes, int]:
    """Front matter, then the chunks in order, one tagged PDF; page numbers laid over every
    page; bookmarks from the chunks' headings; title and language."""
    front, _front_pages = front_matter(edition, chunks)
    with translation.override(edition.language):
        title = render_to_string("reporting/analysis/title.txt", {"edition": edition}).strip()
    merger = TaggedMerger(language=edition.language, title=title)
    merger.append(front)
    offsets = []
    for chunk in chunks:
        with chunk.file.open("rb") as handle:
            offsets.append(merger.append(handle.read()))
    merger.overlay(folio(edition, merger.page_count))
    _bookmarks(merger, chunks, offsets)
    return merger.write(), merger.page_count


def assemble(edition_id: int) -> bool:
    """Merge the chunks into the edition's file, once."""
    edition = Edition.objects.select_related("cycle__meeting").get(pk=edition_id)
    if edition.status != Edition.Status.ASSEMBLING:
        return False
    chunks = list(edition.chunks.order_by("position"))
    data, pages = merge(edition, chunks)
    name = default_storage.save(
        f"analysis/{edition.cycle.meeting.short_name}-{edition.language}-{edition.kind}-"
        f"{edition.pk}.pdf",
        ContentFile(data),
    )
    with transaction.atomic():
        edition = Edition.objects.select_for_update().get(pk=edition_id)
        if edition.status != Edition.Status.ASSEMBLING:
            transaction.on_commit(lambda: default_storage.delete(name))
            return False
        edition.file.name, edition.size = name, len(data)
        edition.checksum = hashlib.sha256(data).hexdigest()
        edition.page_count = pages
        edition.status, edition.finished_at = Edition.Status.DONE, timezone.now()
        edition.build_seconds = (edition.finished_at - edition.started_at).total_seconds()
        edition.save()
    transaction.on_commit(lambda: _delete_chunk_files(chunks))
    return True


def _delete_chunk_files(chunks: list[Chunk]) -> None:
    for chunk in chunks:
        if chunk.file:
            default_storage.delete(chunk.file.name)


# --- starting and resuming -------------------------------------------------------------------


def start(edition_id: int) -> list[int]:
    """Plan the chunks and mark the edition as building; returns the chunks to render."""
    with transaction.atomic():
        edition = Edition.objects.select_for_update().get(pk=edition_id)
        if edition.status == Edition.Status.QUEUED:
            chunks = plan_chunks(edition)
            edition.chunks_total = len(chunks)
            edition.snapshot = snapshot(edition)
            edition.status, edition.started_at = Edition.Status.BUILDING, timezone.now()
            edition.save()
        if edition.status != Edition.Status.BUILDING:
            return []
        return list(edition.chunks.exclude(status=Chunk.Status.DONE).values_list("pk", flat=True))


def stalled(*, older_than: datetime.timedelta) -> Iterator[tuple[str, int]]:
    """Work that should have finished by now: ("build", edition), ("chunk", chunk) or
    ("assemble", edition) to enqueue again (the tasks are idempotent), e.g. after a worker
    was killed before it acknowledged its task."""
    before = timezone.now() - older_than
    queued = Edition.objects.filter(status=Edition.Status.QUEUED, requested_at__lt=before)
    yield from (("build", pk) for pk in queued.values_list("pk", flat=True))
    unfinished = Chunk.objects.filter(edition__status=Edition.Status.BUILDING).exclude(
        status__in=[Chunk.Status.DONE, Chunk.Status.FAILED]
    )
    late = Q(started_at__lt=before) | Q(started_at__isnull=True, edition__started_at__lt=before)
    yield from (("chunk", pk) for pk in unfinished.filter(late).values_list("pk", flat=True))
    assembling = Edition.objects.filter(status=Edition.Status.ASSEMBLING).annotate(
        last_chunk=Max("chunks__finished_at")
    )
    late_assembly = assembling.filter(last_chunk__lt=before).values_list("pk", flat=True)
    yield from (("assemble", pk) for pk in late_assembly)
