"""National points of contact: the directory States keep (resolution 72/57, para 3; ITI 25)."""

from __future__ import annotations

import datetime
import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import MemberState, User

#: Fields of a contact, in the order they are shown and exported.
CONTACT_FIELDS = (
    "title",
    "name",
    "position",
    "organisation",
    "address",
    "phone",
    "email",
    "working_languages",
)
#: Fields readers outside governments and UNODA see unless the State decides otherwise.
PUBLIC_BY_DEFAULT = ("title", "name", "position", "organisation", "address", "working_languages")


class ContactPoint(models.Model):
    """One of a State's national points of contact. The State chooses which fields the
    public sees; government officials and UNODA see them all."""

    class Kind(models.TextChoices):
        POA = "poa", _("PoA national point of contact")
        ITI = "iti", _("ITI national point of contact")
        COORDINATION = "coordination", _("National coordination agency or body")
        MISSION = "mission", _("Permanent mission contact")

    state = models.ForeignKey(MemberState, on_delete=models.PROTECT, related_name="contacts")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    same_as_poa = models.BooleanField(
        _("same as the PoA point of contact"),
        default=False,
        help_text=_("For the ITI point of contact: the PoA point of contact also covers the ITI."),
    )
    title = models.CharField(_("title"), max_length=300, blank=True)
    name = models.CharField(_("name"), max_length=300, blank=True)
    position = models.CharField(_("position"), max_length=300, blank=True)
    organisation = models.CharField(_("organisation"), max_length=300, blank=True)
    address = models.TextField(_("postal address"), max_length=1000, blank=True)
    phone = models.CharField(_("telephone"), max_length=300, blank=True)
    email = models.EmailField(_("e-mail"), max_length=300, blank=True)
    working_languages = models.JSONField(_("working languages"), default=list, blank=True)
    public_fields = models.JSONField(
        _("fields shown to the public"),
        default=list,
        blank=True,
        help_text=_("The others are shown only to government officials and UNODA."),
    )
    last_confirmed_at = models.DateTimeField(_("last confirmed"), null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["state__name", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["state", "kind"], name="one_contact_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.state} — {self.get_kind_display()}"

    def data(self) -> dict:
        """The contact's fields as stored in its history and exports."""
        return {name: getattr(self, name) for name in (*CONTACT_FIELDS, "same_as_poa")}

    @property
    def possibly_outdated(self) -> bool:
        """Not confirmed for over a year."""
        moment = self.last_confirmed_at or self.updated_at
        return timezone.now() - moment > datetime.timedelta(days=365)


class ContactPointVersion(models.Model):
    """The contact as it was after one change: the history of the directory."""

    contact = models.ForeignKey(ContactPoint, on_delete=models.CASCADE, related_name="versions")
    data = models.JSONField()
    public_fields = models.JSONField(default=list)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, related_name="+")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.contact} @ {self.changed_at:%Y-%m-%d}"


class ConfirmationRequest(models.Model):
    """The yearly request to a State to confirm its contacts; one per State and year."""

    state = models.ForeignKey(MemberState, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["state", "year"], name="one_confirmation_per_year"),
        ]

    def __str__(self) -> str:
        return f"{self.state} {self.year}"


class ContactUpdateProposal(models.Model):
    """Contact answers of a published report, offered as an update of the directory until
    the State or UNODA accepts or dismisses them."""

    state = models.ForeignKey(MemberState, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=ContactPoint.Kind.choices)
    data = models.JSONField()
    report = models.ForeignKey("reporting.Report", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted = models.BooleanField(null=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.state} {self.kind} from report {self.report_id}"


class MarkingPractice(models.Model):
    """How a State marks small arms: at manufacture, at import, State-held weapons. Filled
    from its published report and kept up to date by the State (resolution 72/57, para 3)."""

    state = models.OneToOneField(
        MemberState, on_delete=models.PROTECT, related_name="marking_practice"
    )
    manufacture_required = models.CharField(
        _("marking at manufacture required"), max_length=20, blank=True
    )
    manufacture_elements = models.JSONField(
        _("elements marked at manufacture"), default=list, blank=True
    )
    country_code = models.CharField(_("country code or symbol"), max_length=300, blank=True)
    manufacture_methods = models.JSONField(_("marking methods"), default=list, blank=True)
    import_required = models.CharField(_("marking at import required"), max_length=20, blank=True)
    import_mark_format = models.CharField(
        _("format of the import mark"), max_length=300, blank=True
    )
    import_mark_year = models.CharField(_("year of import marked"), max_length=20, blank=True)
    state_held_marked = models.CharField(_("State-held weapons marked"), max_length=20, blank=True)
    alteration_measures = models.TextField(
        _("measures against removal or alteration of marks"), max_length=5000, blank=True
    )
    is_public = models.BooleanField(
        _("public"),
        default=True,
        help_text=_("Otherwise only government officials and UNODA see it."),
    )
    source_report = models.ForeignKey(
        "reporting.Report", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["state__name"]

    def __str__(self) -> str:
        return f"{self.state} — marking"


#: What the requesting State writes: text fields stored exactly as typed.
REQUEST_TEXT_FIELDS = (
    "weapon_type",
    "make",
    "model",
    "calibre",
    "serial_number",
    "markings",
    "circumstances",
    "why_illicit",
    "intended_use",
    "confidentiality",
)
#: Everything the requesting State fills in (form, API, service).
REQUEST_FIELDS = (*REQUEST_TEXT_FIELDS, "urgency", "due_on")


class TracingRequest(models.Model):
    """A request from one State to another to trace an illicit weapon (ITI paras 14–23).
    Only the officials of the two States read it; UNODA sees counts and timings only."""

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        INFORMATION_REQUESTED = "information_requested", _("More information requested")
        ANSWERED = "answered", _("Answered")
        CLOSED = "closed", _("Closed")

    class Outcome(models.TextChoices):
        TRACED = "traced", _("Traced")
        PARTIALLY = "partially", _("Partially traced")
        NOT_TRACED = "not_traced", _("Not traced")

    class Urgency(models.TextChoices):
        NORMAL = "normal", _("Normal")
        URGENT = "urgent", _("Urgent")

    TRANSITIONS = {
        Status.SENT: {Status.ACKNOWLEDGED, Status.INFORMATION_REQUESTED, Status.ANSWERED},
        Status.ACKNOWLEDGED: {Status.INFORMATION_REQUESTED, Status.ANSWERED},
        Status.INFORMATION_REQUESTED: {Status.ACKNOWLEDGED, Status.ANSWERED},
        Status.ANSWERED: {Status.CLOSED},
    }

    requesting_state = models.ForeignKey(MemberState, on_delete=models.PROTECT, related_name="+")
    requested_state = models.ForeignKey(MemberState, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.SENT)
    # The weapon, exactly as seen: markings and serial numbers are evidence, never corrected.
    weapon_type = models.CharField(_("type of weapon"), max_length=200)
    make = models.CharField(_("make"), max_length=200, blank=True)
    model = models.CharField(_("model"), max_length=200, blank=True)
    calibre = models.CharField(_("calibre"), max_length=100, blank=True)
    serial_number = models.CharField(_("serial number as seen"), max_length=200, blank=True)
    markings = models.TextField(_("all markings as seen"), max_length=5000)
    circumstances = models.TextField(_("circumstances in which it was found"), max_length=5000)
    why_illicit = models.TextField(_("why it is considered illicit"), max_length=5000)
    intended_use = models.TextField(_("intended use of the information"), max_length=5000)
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    confidentiality = models.TextField(_("confidentiality asked for"), max_length=2000, blank=True)
    due_on = models.DateField(_("answer requested by"))
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    answer = models.TextField(_("answer"), max_length=10000, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="tracing_request_to_another_state",
                condition=~models.Q(requesting_state=models.F("requested_state")),
            ),
        ]

    def __str__(self) -> str:
        return f"TR-{self.pk}"


class TracingMessage(models.Model):
    """A message in a request's thread, or a status change (with `status` set)."""

    request = models.ForeignKey(TracingRequest, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    state = models.ForeignKey(MemberState, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=10000, blank=True)
    status = models.CharField(max_length=30, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.request} {self.created_at:%Y-%m-%d}"

    @property
    def status_label(self) -> str:
        return TracingRequest.Status(self.status).label if self.status else ""


def attachment_path(instance: TracingAttachment, filename: str) -> str:
    # Never the uploaded name: no path tricks, no collisions.
    return f"tracing/{instance.request_id}/{secrets.token_hex(16)}{instance.extension}"


class TracingAttachment(models.Model):
    """A photo or document attached to a request or a message (checked by content)."""

    request = models.ForeignKey(
        TracingRequest, on_delete=models.CASCADE, related_name="attachments"
    )
    message = models.ForeignKey(
        TracingMessage, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=255)
    extension = models.CharField(max_length=10)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.original_name


class TracingReminder(models.Model):
    """A due-date reminder sent for one request (`soon` or `overdue`), once each."""

    request = models.ForeignKey(TracingRequest, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "kind"], name="one_tracing_reminder"),
        ]

    def __str__(self) -> str:
        return f"{self.request} {self.kind}"
