"""Assistance (GA resolution 72/57, paras 11–14 and 19): needs recorded by States, offers by
donors, the matches between them and their conversations, the sponsorship fund for meeting
delegates, and requests for help with a national report."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.models import Membership, MemberState, Organisation, User
from reporting.models import Meeting, Report

MONEY = {"max_digits": 14, "decimal_places": 2, "validators": [MinValueValidator(Decimal(0))]}


class Theme(models.TextChoices):
    """The themes of the taxonomy; the values are the questionnaire's option values."""

    LEGISLATION = "legislation", _("Legislation")
    STOCKPILE_MANAGEMENT = "stockpile_management", _("Stockpile management and security")
    MARKING = "marking", _("Marking")
    RECORD_KEEPING = "record_keeping", _("Record keeping")
    TRACING = "tracing", _("Tracing")
    BORDER_CONTROL = "border_control", _("Border and customs control")
    BROKERING = "brokering", _("Brokering controls")
    COLLECTION_DESTRUCTION = "collection_destruction", _("Collection and destruction")
    DDR = "ddr", _("DDR (disarmament, demobilization and reintegration)")
    AMMUNITION = "ammunition", _("Ammunition")
    GENDER = "gender", _("Gender mainstreaming")
    DATA_SDG = "data_sdg", _("Data collection and SDG 16.4.2")
    REPORT_PREPARATION = "report_preparation", _("Report preparation")
    OTHER = "other", pgettext_lazy("assistance theme", "Other")


class AssistanceType(models.TextChoices):
    FINANCIAL = "financial", _("Financial")
    TECHNICAL = "technical", _("Technical")
    EQUIPMENT = "equipment", _("Equipment")
    TRAINING = "training", _("Training")
    EXPERTISE = "expertise", _("Expertise")


def donor_key(state: MemberState | None, organisation: Organisation | None) -> str:
    return f"state:{state.iso3}" if state else f"org:{organisation.acronym}"


class DonorQuerySet(models.QuerySet):
    def of_donor(self, state: MemberState | None, organisation: Organisation | None):
        return self.filter(donor_state=state, donor_organisation=organisation)


class DonorMixin(models.Model):
    """A donor is a State or an organisation (as a donor membership is)."""

    donor_state = models.ForeignKey(
        MemberState, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    donor_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        abstract = True

    @property
    def donor(self) -> MemberState | Organisation:
        return self.donor_state or self.donor_organisation

    @classmethod
    def one_donor(cls, name: str) -> models.CheckConstraint:
        return models.CheckConstraint(
            name=name,
            condition=Q(donor_state__isnull=False, donor_organisation__isnull=True)
            | Q(donor_state__isnull=True, donor_organisation__isnull=False),
        )


#: What a State writes about a need (forms, API and services share the list).
NEED_FIELDS = (
    "theme",
    "kind",
    "priority",
    "description",
    "estimated_cost",
    "currency",
    "action_plan_url",
    "visibility",
)
#: What a donor writes about an offer (`eligible_states` is a many-to-many).
OFFER_FIELDS = (
    "title",
    "themes",
    "kinds",
    "eligible_regions",
    "eligible_states",
    "budget_min",
    "budget_max",
    "currency",
    "starts_on",
    "ends_on",
    "conditions",
)


class NeedQuerySet(models.QuerySet):
    def active(self) -> NeedQuerySet:
        return self.exclude(status=Need.Status.WITHDRAWN)


class Need(models.Model):
    """One thing a State needs help with: from a row of its published report's assistance
    table, or recorded on its own at any time. Its status follows its matches (see
    `assistance.services.sync_need_status`), except that the State may withdraw it."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("need", "Open")
        IN_DISCUSSION = "in_discussion", _("In discussion")
        MATCHED = "matched", _("Agreement reached")
        FUNDED = "funded", pgettext_lazy("need", "Funded")
        COMPLETED = "completed", pgettext_lazy("need", "Completed")
        WITHDRAWN = "withdrawn", pgettext_lazy("need", "Withdrawn")

    class Priority(models.TextChoices):
        HIGH = "high", _("High")
        MEDIUM = "medium", _("Medium")
        LOW = "low", _("Low")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public")
        RESTRICTED = "restricted", _("Restricted to governments, donors and UNODA")

    state = models.ForeignKey(MemberState, on_delete=models.PROTECT, related_name="needs")
    theme = models.CharField(_("theme"), max_length=30, choices=Theme.choices)
    kind = models.CharField(_("type of assistance"), max_length=20, choices=AssistanceType.choices)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.MEDIUM
    )
    description = models.TextField(_("description"), max_length=5000)
    estimated_cost = models.DecimalField(_("estimated cost"), null=True, blank=True, **MONEY)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    action_plan_url = models.URLField(_("link to the national action plan"), blank=True)
    visibility = models.CharField(
        _("visibility"), max_length=20, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    report = models.ForeignKey(
        Report, on_delete=models.PROTECT, null=True, blank=True, related_name="needs"
    )
    #: Identifies the report's table row the need came from (same row → same need).
    fingerprint = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = NeedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "fingerprint"],
                condition=Q(report__isnull=False),
                name="need_once_per_report_row",
            ),
            models.CheckConstraint(
                name="need_cost_not_negative",
                condition=Q(estimated_cost__isnull=True) | Q(estimated_cost__gte=0),
            ),
        ]
        indexes = [models.Index(fields=["status", "theme"])]

    def __str__(self) -> str:
        return f"{self.state.iso3} — {self.get_theme_display()} ({self.get_kind_display()})"

    @property
    def is_restricted(self) -> bool:
        return self.visibility == self.Visibility.RESTRICTED


class Offer(DonorMixin):
    """What a donor State or organisation is ready to support: themes, types, where, how
    much and when."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("offer", "Open")
        CLOSED = "closed", pgettext_lazy("offer", "Closed")

    title = models.CharField(_("title"), max_length=200)
    themes = models.JSONField(_("themes"), default=list)
    kinds = models.JSONField(_("types of assistance"), default=list)
    #: M49 region codes; empty with no eligible States means any State may apply.
    eligible_regions = models.JSONField(_("eligible regions"), default=list, blank=True)
    eligible_states = models.ManyToManyField(
        MemberState, blank=True, related_name="+", verbose_name=_("eligible States")
    )
    budget_min = models.DecimalField(_("smallest amount"), null=True, blank=True, **MONEY)
    budget_max = models.DecimalField(_("largest amount"), null=True, blank=True, **MONEY)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    starts_on = models.DateField(_("from"), null=True, blank=True)
    ends_on = models.DateField(_("until"), null=True, blank=True)
    conditions = models.TextField(_("conditions"), blank=True, max_length=5000)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = DonorQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            DonorMixin.one_donor("offer_has_one_donor"),
            models.CheckConstraint(
                name="offer_budget_range",
                condition=Q(budget_min__isnull=True)
                | Q(budget_max__isnull=True)
                | Q(budget_min__lte=models.F("budget_max")),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def theme_labels(self) -> list[str]:
        return [Theme(value).label for value in self.themes if value in Theme.values]

    def kind_labels(self) -> list[str]:
        return [AssistanceType(v).label for v in self.kinds if v in AssistanceType.values]


class Match(DonorMixin):
    """A donor's interest in one need, and where it led: the conversation between donor and
    State (UNODA reads it), the agreement, the funding and the outcome."""

    class Status(models.TextChoices):
        INTERESTED = "interested", _("Interest expressed")
        AGREED = "agreed", _("Agreement recorded")
        FUNDED = "funded", pgettext_lazy("conversation", "Funded")
        COMPLETED = "completed", pgettext_lazy("conversation", "Completed")
        DECLINED = "declined", _("Declined by the State")
        WITHDRAWN = "withdrawn", _("Withdrawn by the donor")

    TRANSITIONS = {
        Status.INTERESTED: {Status.AGREED, Status.DECLINED, Status.WITHDRAWN},
        Status.AGREED: {Status.FUNDED, Status.DECLINED, Status.WITHDRAWN},
        Status.FUNDED: {Status.COMPLETED},
        Status.COMPLETED: set(),
        Status.DECLINED: set(),
        Status.WITHDRAWN: set(),
    }
    CLOSED = (Status.COMPLETED, Status.DECLINED, Status.WITHDRAWN)

    need = models.ForeignKey(Need, on_delete=models.PROTECT, related_name="matches")
    offer = models.ForeignKey(
        Offer, on_delete=models.PROTECT, null=True, blank=True, related_name="matches"
    )
    #: "state:FRA" or "org:EU": one live match per need and donor, checked by the database.
    donor_key = models.CharField(max_length=40)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.INTERESTED)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    amount = models.DecimalField(_("amount agreed"), null=True, blank=True, **MONEY)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    agreement = models.TextField(_("agreement"), blank=True, max_length=5000)
    outcome = models.TextField(_("outcome"), blank=True, max_length=2000)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = DonorQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name_plural = "matches"
        constraints = [
            DonorMixin.one_donor("match_has_one_donor"),
            # One live conversation per need and donor.
            models.UniqueConstraint(
                fields=["need", "donor_key"],
                condition=Q(status__in=["interested", "agreed", "funded"]),
                name="match_one_live_per_need_and_donor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.donor} → {self.need}"


class MatchMessage(models.Model):
    """One message in a match's conversation, written by the donor's or the State's side."""

    class Side(models.TextChoices):
        DONOR = "donor", _("Donor")
        STATE = "state", pgettext_lazy("country", "State")

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=10, choices=Side.choices)
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.author} ({self.get_side_display()}), {self.created_at:%Y-%m-%d %H:%M}"


class SponsorshipFund(models.Model):
    """The fund that pays for delegates to attend meetings. Its balance is changed only under
    a row lock, and the database refuses a negative balance."""

    name = models.CharField(max_length=200, default="Sponsorship fund")
    currency = models.CharField(max_length=3, default="USD")
    balance = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal(0))

    class Meta:
        constraints = [
            models.CheckConstraint(name="fund_balance_not_negative", condition=Q(balance__gte=0))
        ]

    def __str__(self) -> str:
        return self.name


class FundContribution(DonorMixin):
    """Money a donor put into the sponsorship fund."""

    fund = models.ForeignKey(
        SponsorshipFund, on_delete=models.PROTECT, related_name="contributions"
    )
    amount = models.DecimalField(
        _("amount"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = DonorQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            DonorMixin.one_donor("contribution_has_one_donor"),
            models.CheckConstraint(name="contribution_positive", condition=Q(amount__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.donor}: {self.amount} {self.fund.currency}"


class SponsorshipApplication(models.Model):
    """A State asks the fund to pay for one delegate's attendance at a meeting."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", pgettext_lazy("sponsorship status", "Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", pgettext_lazy("sponsorship status", "Withdrawn")

    TRANSITIONS = {
        Status.SUBMITTED: {Status.APPROVED, Status.REJECTED, Status.WITHDRAWN},
        Status.APPROVED: set(),
        Status.REJECTED: set(),
        Status.WITHDRAWN: set(),
    }

    state = models.ForeignKey(MemberState, on_delete=models.PROTECT, related_name="+")
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="+")
    fund = models.ForeignKey(SponsorshipFund, on_delete=models.PROTECT, related_name="applications")
    traveller_name = models.CharField(_("traveller's name"), max_length=200)
    traveller_position = models.CharField(_("traveller's position"), max_length=200, blank=True)
    travel_cost = models.DecimalField(_("travel"), **MONEY)
    subsistence_cost = models.DecimalField(_("daily subsistence allowance"), **MONEY)
    justification = models.TextField(_("why this delegate"), blank=True, max_length=3000)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    amount_granted = models.DecimalField(_("amount granted"), null=True, blank=True, **MONEY)
    decision_note = models.TextField(_("decision note"), blank=True, max_length=2000)
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.state.iso3} — {self.traveller_name} ({self.meeting})"

    @property
    def amount_requested(self) -> Decimal:
        return self.travel_cost + self.subsistence_cost


class HelpRequest(models.Model):
    """A State asks for help preparing its national report; an organisation takes it on and
    the State's approver grants one of its people time-limited access to the draft."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("help request", "Open")
        ACCEPTED = "accepted", _("Accepted")
        CLOSED = "closed", _("Closed")

    state = models.ForeignKey(MemberState, on_delete=models.PROTECT, related_name="+")
    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="help_requests")
    description = models.TextField(_("what help is needed"), max_length=3000)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    #: The delegated-access memberships granted under this request.
    grants = models.ManyToManyField(Membership, blank=True, related_name="+")
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.state.iso3} — {self.report}"
