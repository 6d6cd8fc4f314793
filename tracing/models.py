"""National points of contact: the directory States keep (resolution 72/57, para 3; ITI 25)."""

from __future__ import annotations

import datetime

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
