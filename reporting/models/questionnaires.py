"""Questionnaire versions, their sections and questions (after pretix's questions)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.i18n import pick


class QuestionnaireVersion(models.Model):
    """One version of the reporting template. Drafted by staff, published, and frozen once a
    report uses it; the next version starts as a copy."""

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("questionnaire status", "Draft")
        PUBLISHED = "published", pgettext_lazy("questionnaire status", "Published")

    code = models.SlugField(_("code"), max_length=40, unique=True, help_text="e.g. 2026")
    title = models.JSONField(_("title"), default=dict, help_text="Title per language code.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    based_on = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="successors"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-code"]
        verbose_name = _("questionnaire version")
        verbose_name_plural = _("questionnaire versions")

    def __str__(self) -> str:
        return pick(self.title) or self.code

    @property
    def is_frozen(self) -> bool:
        """Published versions used by a report never change again."""
        return self.status == self.Status.PUBLISHED and self.reports.exists()


class Section(models.Model):
    """A numbered part of the questionnaire (e.g. 2. Manufacture)."""

    version = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.CASCADE, related_name="sections"
    )
    key = models.SlugField(max_length=40)
    number = models.CharField(max_length=10, help_text="As printed, e.g. 2")
    position = models.PositiveIntegerField(default=0)
    title = models.JSONField(default=dict)
    help = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="section_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {pick(self.title)}"


class Question(models.Model):
    """A question. `key` stays the same across versions (pre-fill and comparison rely on it);
    `config` holds what the type needs (limits, table columns, file types, formula)."""

    class Type(models.TextChoices):
        YES_NO = "yes_no", _("Yes / No / In development")
        SINGLE_CHOICE = "single_choice", _("Single choice")
        MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
        SHORT_TEXT = "short_text", _("Short text")
        LONG_TEXT = "long_text", _("Long text")
        NUMBER = "number", pgettext_lazy("question type", "Number")
        DATE = "date", _("Date")
        CONTACT = "contact", _("Contact block")
        TABLE = "table", _("Table")
        FILE = "file", _("File upload")
        DERIVED = "derived", _("Calculated value")

    version = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.CASCADE, related_name="questions"
    )
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="questions")
    key = models.CharField(max_length=60, help_text="Stable across versions, e.g. 2.1 or nap")
    number = models.CharField(max_length=20, help_text="As printed, e.g. 2.1(a)")
    position = models.PositiveIntegerField(default=0)
    type = models.CharField(max_length=20, choices=Type.choices)
    text = models.JSONField(default=dict)
    help = models.JSONField(default=dict, blank=True)
    required = models.BooleanField(default=False)
    paragraph = models.CharField(
        max_length=120, blank=True, help_text="The PoA/ITI paragraph it follows up."
    )
    options = models.JSONField(
        default=list, blank=True, help_text='[{"value": "a", "label": {"en": "…"}}, …]'
    )
    config = models.JSONField(default=dict, blank=True)
    condition = models.JSONField(
        default=dict,
        blank=True,
        help_text='Show only if another answer matches: {"key": "2.1", "in": ["yes"]}',
    )

    class Meta:
        ordering = ["version", "section__position", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="question_key_unique"),
            models.CheckConstraint(
                name="question_type_valid",
                condition=Q(
                    type__in=[
                        "yes_no",
                        "single_choice",
                        "multiple_choice",
                        "short_text",
                        "long_text",
                        "number",
                        "date",
                        "contact",
                        "table",
                        "file",
                        "derived",
                    ]
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {pick(self.text)[:80]}"

    def label(self, language: str | None = None) -> str:
        return pick(self.text, language)

    def option_label(self, value: str, language: str | None = None) -> str:
        for option in self.options:
            if option.get("value") == value:
                return pick(option.get("label"), language) or value
        return value
