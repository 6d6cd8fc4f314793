"""Meetings and the reporting cycles ahead of them."""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Meeting(models.Model):
    """A meeting of States on the PoA/ITI: Biennial Meeting, Review Conference, PrepCom…"""

    class Kind(models.TextChoices):
        CONFERENCE = "conference", _("United Nations Conference")
        BMS = "bms", _("Biennial Meeting of States")
        REVCON = "revcon", _("Review Conference")
        PREPCOM = "prepcom", _("Preparatory Committee")
        MGE = "mge", _("Meeting of Governmental Experts")
        REGIONAL = "regional", _("Regional meeting")

    SHORT_PREFIX = {
        Kind.BMS: pgettext_lazy("meeting abbreviation", "BMS"),
        Kind.REVCON: pgettext_lazy("meeting abbreviation", "RevCon"),
        Kind.MGE: pgettext_lazy("meeting abbreviation", "MGE"),
        Kind.PREPCOM: pgettext_lazy("meeting abbreviation", "PrepCom"),
    }

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    number = models.PositiveSmallIntegerField(_("number"), null=True, blank=True)
    title = models.CharField(
        _("title"),
        max_length=200,
        blank=True,
        help_text=_("Leave empty to use the kind and number."),
    )
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    venue = models.CharField(_("venue"), max_length=200, default="New York")
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-start_date"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        constraints = [
            models.CheckConstraint(
                name="meeting_dates_ordered", condition=Q(end_date__gte=models.F("start_date"))
            ),
            models.UniqueConstraint(
                fields=["kind", "number"],
                name="meeting_kind_number_unique",
                condition=Q(number__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.display_title

    @property
    def short_name(self) -> str:
        prefix = self.SHORT_PREFIX.get(self.kind)
        if prefix and self.number:
            return f"{prefix}{self.number}"
        return self.title or self.get_kind_display()

    @property
    def display_title(self) -> str:
        if self.title:
            return self.title
        if self.number:
            return _("%(kind)s (%(short)s)") % {
                "kind": self.get_kind_display(),
                "short": self.short_name,
            }
        return str(self.get_kind_display())


class CycleQuerySet(models.QuerySet):
    def open_on(self, day: datetime.date | None = None) -> CycleQuerySet:
        day = day or timezone.localdate()
        return self.filter(opens_on__lte=day, closes_on__gte=day)


class Cycle(models.Model):
    """A reporting round ahead of one meeting: reports may be filed from `opens_on`;
    `deadline` decides what is on time; after `closes_on` new reports are no longer taken."""

    meeting = models.OneToOneField(Meeting, on_delete=models.PROTECT, related_name="cycle")
    opens_on = models.DateField(_("opens on"))
    deadline = models.DateField(_("deadline"))
    closes_on = models.DateField(
        _("closes on"), help_text=_("Late reports are accepted until this day.")
    )
    questionnaire = models.ForeignKey(
        "reporting.QuestionnaireVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cycles",
        verbose_name=_("questionnaire version"),
        help_text=_("The published questionnaire that reports in this cycle use."),
    )

    objects = CycleQuerySet.as_manager()

    class Meta:
        ordering = ["-deadline"]
        verbose_name = _("reporting cycle")
        verbose_name_plural = _("reporting cycles")
        constraints = [
            models.CheckConstraint(
                name="cycle_dates_ordered",
                condition=Q(deadline__gte=models.F("opens_on"))
                & Q(closes_on__gte=models.F("deadline")),
            ),
        ]

    def __str__(self) -> str:
        return str(_("Reporting cycle for %(meeting)s") % {"meeting": self.meeting.short_name})

    def is_open(self, day: datetime.date | None = None, *, state=None) -> bool:
        """Reports are taken from `opens_on` to `closes_on`, or to `state`'s extended
        deadline when UNODA granted one that ends later."""
        day = day or timezone.localdate()
        if self.opens_on <= day <= self.closes_on:
            return True
        if state is None or day < self.opens_on:
            return False
        return self.extensions.filter(state=state, deadline__gte=day).exists()


class DeadlineExtension(models.Model):
    """UNODA gives one State more time in one cycle: its report counts as on time until
    `deadline`, and reminders follow that date."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="extensions")
    state = models.ForeignKey("core.MemberState", on_delete=models.PROTECT, related_name="+")
    deadline = models.DateField(_("extended deadline"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    granted_by = models.ForeignKey("core.User", on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cycle", "state"], name="one_extension_per_state"),
        ]

    def __str__(self) -> str:
        return f"{self.state} — {self.cycle}: {self.deadline}"


class ReminderSent(models.Model):
    """A deadline reminder that went to one State: the constraint makes each one go once."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="+")
    state = models.ForeignKey("core.MemberState", on_delete=models.PROTECT, related_name="+")
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "state", "days_before"], name="one_reminder_per_step"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.state} — {self.cycle}: {self.days_before} days before"
