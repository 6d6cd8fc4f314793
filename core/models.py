"""Shared, domain-free models: States, organisations, users, roles, audit log, API tokens."""

from __future__ import annotations

import hashlib
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.i18n import pick, region_name


class User(AbstractUser):
    """A person who logs in. What they may do comes from their memberships, not from flags."""

    language = models.CharField(
        _("preferred language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default="en",
        help_text=_("Used for e-mails and documents sent to this person."),
    )
    is_demo = models.BooleanField(
        default=False,
        help_text="Demo account: skips MFA enrolment, and only while DEBUG is on.",
    )

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class MemberState(models.Model):
    """A UN Member State or observer State: the unit that reports."""

    class Status(models.TextChoices):
        MEMBER = "member", _("Member State")
        OBSERVER = "observer", _("Observer State")

    class RegionalGroup(models.TextChoices):
        AFRICAN = "AFRICAN", _("African Group")
        ASIA_PACIFIC = "ASIA_PACIFIC", _("Asia-Pacific Group")
        EASTERN_EUROPEAN = "EASTERN_EUROPEAN", _("Eastern European Group")
        GRULAC = "GRULAC", _("Latin American and Caribbean Group")
        WEOG = "WEOG", _("Western European and Others Group")

    iso2 = models.CharField(_("ISO 3166 alpha-2"), max_length=2, unique=True)
    iso3 = models.CharField(_("ISO 3166 alpha-3"), max_length=3, unique=True)
    m49 = models.CharField(_("UN M49 code"), max_length=3, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.MEMBER)
    region = models.CharField(_("M49 region"), max_length=3)
    subregion = models.CharField(_("M49 sub-region"), max_length=3)
    intermediate_region = models.CharField(_("M49 intermediate region"), max_length=3, blank=True)
    regional_group = models.CharField(
        _("UN regional group"), max_length=20, choices=RegionalGroup.choices, blank=True
    )
    takes_part_in = models.CharField(
        _("takes part in group"),
        max_length=20,
        choices=RegionalGroup.choices,
        blank=True,
        help_text=_("Group a State works with without formal membership (e.g. as an observer)."),
    )
    admitted_on = models.DateField(_("date of UN membership"), null=True, blank=True)
    name = models.CharField(_("name (English)"), max_length=120)
    names = models.JSONField(_("names"), default=dict, help_text="Name per language code.")

    class Meta:
        ordering = ["name"]
        verbose_name = pgettext_lazy("country", "State")
        verbose_name_plural = pgettext_lazy("country", "States")

    def __str__(self) -> str:
        return self.localized_name()

    def localized_name(self, language: str | None = None) -> str:
        return pick(self.names, language) or self.name

    @property
    def region_name(self) -> str:
        return region_name(self.region)

    @property
    def subregion_name(self) -> str:
        return region_name(self.intermediate_region or self.subregion)


class Organisation(models.Model):
    """A donor or partner organisation (EU, UNDP, INTERPOL…), managed by UNODA staff."""

    class Kind(models.TextChoices):
        UN_ENTITY = "un", _("United Nations entity")
        REGIONAL = "regional", _("Regional or intergovernmental organisation")
        INTERNATIONAL = "international", _("International organisation")
        FUND = "fund", _("Fund or facility")
        NGO = "ngo", _("Non-governmental organisation")
        OTHER = "other", _("Other")

    acronym = models.CharField(_("acronym"), max_length=30, unique=True)
    name = models.CharField(_("name (English)"), max_length=200)
    names = models.JSONField(_("names"), default=dict, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    website = models.URLField(_("website"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["acronym"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.acronym

    def localized_name(self, language: str | None = None) -> str:
        return pick(self.names, language) or self.name


class Role(models.TextChoices):
    STATE_EDITOR = "state_editor", _("State editor")
    STATE_APPROVER = "state_approver", _("State approver")
    REVIEWER = "reviewer", _("UNODA reviewer")
    ADMINISTRATOR = "administrator", _("UNODA administrator")
    DONOR = "donor", _("Donor")
    ASSISTANT = "assistant", _("Delegated assistant")


STATE_ROLES = (Role.STATE_EDITOR, Role.STATE_APPROVER)
UNODA_ROLES = (Role.REVIEWER, Role.ADMINISTRATOR)
#: Roles whose holders must enrol a second factor before doing anything else.
MFA_ROLES = (Role.STATE_APPROVER, Role.REVIEWER, Role.ADMINISTRATOR)


class MembershipQuerySet(models.QuerySet):
    def active(self, at: datetime | None = None) -> MembershipQuerySet:
        at = at or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=at)
        )


class Membership(models.Model):
    """One role held by one person, for a State, an organisation, or UNODA itself."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    state = models.ForeignKey(
        MemberState, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships"
    )
    granted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("access until"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="membership_scope_matches_role",
                condition=(
                    Q(
                        role__in=[r.value for r in STATE_ROLES],
                        state__isnull=False,
                        organisation__isnull=True,
                    )
                    | Q(
                        role__in=[r.value for r in UNODA_ROLES],
                        state__isnull=True,
                        organisation__isnull=True,
                    )
                    | Q(role=Role.DONOR, state__isnull=False, organisation__isnull=True)
                    | Q(role=Role.DONOR, state__isnull=True, organisation__isnull=False)
                    | Q(
                        role=Role.ASSISTANT,
                        state__isnull=False,
                        organisation__isnull=False,
                        expires_at__isnull=False,
                    )
                ),
            ),
        ]

    def __str__(self) -> str:
        scope = self.state or self.organisation or "UNODA"
        return f"{self.user} — {self.get_role_display()} ({scope})"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Invitation(models.Model):
    """A one-time, expiring link inviting a person by e-mail to one role."""

    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    state = models.ForeignKey(MemberState, on_delete=models.PROTECT, null=True, blank=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True)
    access_until = models.DateTimeField(_("access until"), null=True, blank=True)
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, default="en")
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.get_role_display()}"

    @property
    def is_usable(self) -> bool:
        return (
            self.accepted_at is None
            and self.cancelled_at is None
            and self.expires_at > timezone.now()
        )


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):  # noqa: ARG002
        raise PermissionError("Audit entries are append-only.")

    def delete(self):
        raise PermissionError("Audit entries are append-only.")


class AuditEntry(models.Model):
    """Who did what, when (UTC), to which object. Append-only; PostgreSQL enforces it too."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True)
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=255, blank=True)
    state = models.ForeignKey(MemberState, on_delete=models.PROTECT, null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label or '-'} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit entries are append-only.")


class ApiTokenQuerySet(models.QuerySet):
    def usable(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
        )


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 hash is stored; the secret is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class NotificationQuerySet(models.QuerySet):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """A message to one person inside the platform, written in their language when it is
    created (like the e-mail that goes with it)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    message = models.CharField(max_length=500)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.message[:80]
