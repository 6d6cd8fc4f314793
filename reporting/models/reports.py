"""National reports, their answers, uploaded files and immutable revisions."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import MemberState, User
from reporting.models.meetings import Cycle
from reporting.models.questionnaires import Question, QuestionnaireVersion


class ReportQuerySet(models.QuerySet):
    def submitted(self) -> ReportQuerySet:
        return self.filter(status__in=[Report.Status.SUBMITTED, Report.Status.UNDER_REVIEW])

    def published(self) -> ReportQuerySet:
        """Reports with a published revision (also while an amendment is in progress)."""
        return self.filter(published_at__isnull=False)


class Report(models.Model):
    """One State's national report for one reporting cycle, on one questionnaire version."""

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("report status", "Draft")
        SUBMITTED = "submitted", pgettext_lazy("report status", "Submitted")
        UNDER_REVIEW = "under_review", pgettext_lazy("report status", "Under review")
        RETURNED = "returned", pgettext_lazy("report status", "Returned for clarification")
        PUBLISHED = "published", pgettext_lazy("report status", "Published")
        AMENDMENT = "amendment", pgettext_lazy("report status", "Amendment in progress")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        RESTRICTED = "restricted", _("Restricted to governments and UNODA")

    #: Allowed transitions; services enforce them.
    TRANSITIONS = {
        Status.DRAFT: {Status.SUBMITTED},
        Status.SUBMITTED: {Status.UNDER_REVIEW, Status.RETURNED, Status.PUBLISHED},
        Status.UNDER_REVIEW: {Status.RETURNED, Status.PUBLISHED},
        Status.RETURNED: {Status.SUBMITTED},
        Status.PUBLISHED: {Status.AMENDMENT},
        Status.AMENDMENT: {Status.SUBMITTED},
    }
    #: Statuses in which the State's officials may change answers.
    EDITABLE = (Status.DRAFT, Status.RETURNED, Status.AMENDMENT)

    state = models.ForeignKey(MemberState, on_delete=models.PROTECT, related_name="reports")
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="reports")
    questionnaire = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.PROTECT, related_name="reports"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    visibility = models.CharField(
        _("visibility"), max_length=20, choices=Visibility.choices, blank=True
    )
    published_visibility = models.CharField(
        max_length=20,
        choices=Visibility.choices,
        blank=True,
        help_text="Visibility of the published revision: what readers outside the State see "
        "while an amendment is in progress.",
    )
    language = models.CharField(_("report language"), max_length=10, choices=settings.LANGUAGES)
    is_demo = models.BooleanField(
        default=False, help_text="Made by `manage.py demo`: not a real State's report."
    )
    unchanged_sections = models.JSONField(
        default=list, blank=True, help_text="Section keys marked 'no change since last report'."
    )
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-cycle__deadline", "state__name"]
        constraints = [
            models.UniqueConstraint(fields=["state", "cycle"], name="one_report_per_state_cycle"),
        ]

    def __str__(self) -> str:
        return str(
            _("%(state)s — national report for %(meeting)s")
            % {"state": self.state, "meeting": self.cycle.meeting.short_name}
        )

    def deadline(self) -> datetime.date:
        """The cycle's deadline, or the State's extension."""
        extension = self.cycle.extensions.filter(state_id=self.state_id).first()
        return extension.deadline if extension else self.cycle.deadline

    @property
    def is_late(self) -> bool:
        """Submitted after the deadline (late reports are accepted but flagged)."""
        return self.submitted_at is not None and self.submitted_at.date() > self.deadline()

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, set())


class Answer(models.Model):
    """The current answer to one question of one report. `revision` grows with each save: a
    save based on an older revision is a conflict, never a silent overwrite."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value = models.JSONField(null=True)
    revision = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "question"], name="one_answer_per_question"),
        ]

    def __str__(self) -> str:
        return f"{self.report_id}/{self.question.key} r{self.revision}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name never uses the uploaded name (path traversal, collisions).
    return f"reports/{instance.report_id}/{instance.token}{instance.extension}"


class Attachment(models.Model):
    """A file uploaded as (part of) the answer to a file question."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    token = models.CharField(max_length=32, unique=True)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=255)
    extension = models.CharField(max_length=10)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class ReportRevision(models.Model):
    """An immutable snapshot of all answers, taken at every workflow transition."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Report.Status.choices)
    visibility = models.CharField(max_length=20, blank=True)
    answers = models.JSONField(default=dict, help_text="Question key → value.")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["report", "number"]
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="revision_number_unique"),
            models.CheckConstraint(name="revision_number_positive", condition=Q(number__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.report} — revision {self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Report revisions are immutable.")
        super().save(*args, **kwargs)


class Comment(models.Model):
    """A remark on a report (or one of its questions) between the State and UNODA, in
    threads. Never shown to the public."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="comments")
    question_key = models.CharField(max_length=60, blank=True, help_text="Empty: the whole report.")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=5000)
    is_return_message = models.BooleanField(
        default=False, help_text="The message sent with a return for clarification."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.author}: {self.body[:60]}"
