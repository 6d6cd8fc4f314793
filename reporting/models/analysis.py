"""Editions of the analysis of national reports for a meeting, built in chunks by Celery."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import User
from reporting.models.meetings import Cycle


class AnalysisEdition(models.Model):
    """One build of "Analysis of national reports submitted for <meeting>" in one language,
    public or for staff. Once built it never changes: a new build is a new edition, and the
    earlier ones stay downloadable."""

    class Kind(models.TextChoices):
        PUBLIC = "public", _("Public edition")
        STAFF = "staff", _("Staff edition (with restricted reports)")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        BUILDING = "building", _("Building")
        ASSEMBLING = "assembling", _("Putting the parts together")
        DONE = "done", pgettext_lazy("edition", "Ready")
        FAILED = "failed", _("Failed")

    class Trigger(models.TextChoices):
        MANUAL = "manual", _("Started by UNODA")
        BEFORE_MEETING = "before_meeting", _("Automatic, before the meeting")
        AFTER_DEADLINE = "after_deadline", _("Automatic, after the reporting deadline")

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="editions")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    kind = models.CharField(_("edition"), max_length=10, choices=Kind.choices)
    trigger = models.CharField(max_length=20, choices=Trigger.choices, default=Trigger.MANUAL)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="analysis/", blank=True)
    checksum = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    page_count = models.PositiveIntegerField(default=0)
    build_seconds = models.FloatField(null=True, blank=True)
    #: What went in: reports and their revision numbers, counts; for the record.
    snapshot = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            # Beat starts each automatic build once, however often it runs.
            models.UniqueConstraint(
                fields=["cycle", "language", "kind", "trigger"],
                condition=~Q(trigger="manual"),
                name="one_automatic_edition_per_trigger",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cycle.meeting} — {self.get_kind_display()} ({self.language}) #{self.pk}"

    @property
    def progress(self) -> int:
        """Percent done: the chunks, then assembling them counts as one more step."""
        if self.status == self.Status.DONE:
            return 100
        steps = self.chunks_total + 1
        return int(100 * self.chunks_done / steps) if self.chunks_total else 0

    @property
    def is_public(self) -> bool:
        return self.kind == self.Kind.PUBLIC


class AnalysisChunk(models.Model):
    """One part of an edition, rendered to PDF by one task (a section, an annex, or a group
    of State profiles); parts are merged in `position` order."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("chunk", "Waiting")
        RENDERING = "rendering", _("Rendering")
        DONE = "done", pgettext_lazy("chunk", "Done")
        FAILED = "failed", _("Failed")

    edition = models.ForeignKey(AnalysisEdition, on_delete=models.CASCADE, related_name="chunks")
    position = models.PositiveIntegerField()
    section = models.CharField(max_length=40)
    #: ISO3 codes, for chunks of State profiles.
    states = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(upload_to="analysis/chunks/", blank=True)
    page_count = models.PositiveIntegerField(default=0)
    #: The chunk's headings as (level, label, page index within the chunk): the bookmarks.
    outline = models.JSONField(default=list, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["edition", "position"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "position"], name="one_chunk_per_position")
        ]

    def __str__(self) -> str:
        return f"{self.edition_id}/{self.position} {self.section}"
