"""Demo assistance data (called by `manage.py demo`): needs from the demo reports, offers of
a few donors, conversations at every stage, the sponsorship fund and a request for help.
Safe to run again: what exists is left as it is."""

import datetime
import random
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from assistance.models import (
    FundContribution,
    HelpRequest,
    Match,
    MatchMessage,
    Need,
    Offer,
    SponsorshipApplication,
    donor_key,
)
from assistance.services import record_needs_from_report, sync_need_status
from assistance.sponsorship import sponsorship_fund
from core.models import MemberState, Organisation, User
from reporting.models import Meeting, Report

#: (donor: ISO3 or acronym, title, themes, kinds, regions, budget range)
OFFERS = [
    (
        "EU",
        "Marking, record keeping and tracing",
        ["marking", "record_keeping", "tracing"],
        ["equipment", "training"],
        ["002", "019"],
        (20_000, 400_000),
    ),
    (
        "EU",
        "Stockpile management in the Sahel",
        ["stockpile_management", "ammunition"],
        ["technical", "equipment"],
        ["002"],
        (50_000, 1_000_000),
    ),
    (
        "UNSCAR",
        "Legislation and national action plans",
        ["legislation", "brokering"],
        ["expertise", "financial"],
        [],
        (10_000, 150_000),
    ),
    (
        "UNDP",
        "Collection, destruction and DDR",
        ["collection_destruction", "ddr"],
        ["financial", "technical"],
        ["002", "142"],
        (100_000, 2_000_000),
    ),
    (
        "DEU",
        "Border and customs control",
        ["border_control", "tracing"],
        ["training", "equipment"],
        ["150", "142"],
        (25_000, 300_000),
    ),
    (
        "JPN",
        "Data collection for SDG 16.4.2",
        ["data_sdg", "report_preparation"],
        ["technical", "training"],
        ["142", "009"],
        (5_000, 80_000),
    ),
    (
        "NOR",
        "Gender mainstreaming in small arms control",
        ["gender"],
        ["expertise", "financial"],
        [],
        (10_000, 120_000),
    ),
]
STAGES = [
    Match.Status.INTERESTED,
    Match.Status.AGREED,
    Match.Status.FUNDED,
    Match.Status.COMPLETED,
    Match.Status.COMPLETED,
]


def _donor(code: str) -> tuple[MemberState | None, Organisation | None]:
    if len(code) == 3 and code.isupper() and MemberState.objects.filter(iso3=code).exists():
        return MemberState.objects.get(iso3=code), None
    return None, Organisation.objects.get(acronym=code)


class Command(BaseCommand):
    help = "Load demo assistance data (needs, offers, conversations, sponsorship). Idempotent."

    @transaction.atomic
    def handle(self, *args, **options):
        admin = User.objects.get(username="admin")
        needs = self._needs()
        offers = self._offers(admin)
        matches = self._matches(offers, admin)
        self._sponsorship(admin)
        self._help_request()
        self.stdout.write(
            f"Assistance: {needs} needs, {len(offers)} offers, {matches} conversations."
        )

    def _needs(self) -> int:
        published = Report.objects.filter(is_demo=True, published_at__isnull=False)
        for report in published.select_related("state"):
            revision = report.revisions.filter(status=Report.Status.PUBLISHED).last()
            if revision is not None:
                record_needs_from_report(report, revision.answers)
        return Need.objects.count()

    def _offers(self, admin: User) -> list[Offer]:
        donor_eu = User.objects.filter(username="donor.eu").first() or admin
        offers = []
        for code, title, themes, kinds, regions, (low, high) in OFFERS:
            state, organisation = _donor(code)
            offer, _created = Offer.objects.get_or_create(
                title=f"{title} (demo)",
                defaults={
                    "donor_state": state,
                    "donor_organisation": organisation,
                    "themes": themes,
                    "kinds": kinds,
                    "eligible_regions": regions,
                    "budget_min": Decimal(low),
                    "budget_max": Decimal(high),
                    "currency": "USD",
                    "conditions": "Demo offer: not a real commitment.",
                    "created_by": donor_eu if code == "EU" else admin,
                },
            )
            offers.append(offer)
        return offers

    def _matches(self, offers: list[Offer], admin: User) -> int:
        """A few needs per offer in conversation, at every stage (completed ones give the
        donors their past support)."""
        if Match.objects.exists():
            return Match.objects.count()
        rng = random.Random("demo-assistance")
        now = timezone.now()
        for offer in offers:
            candidates = list(
                Need.objects.filter(theme__in=offer.themes, status=Need.Status.OPEN).order_by("pk")
            )
            chosen = rng.sample(candidates, min(len(STAGES), len(candidates)))
            for stage, need in zip(STAGES, chosen, strict=False):
                match = Match.objects.create(
                    need=need,
                    offer=offer,
                    donor_state=offer.donor_state,
                    donor_organisation=offer.donor_organisation,
                    donor_key=donor_key(offer.donor_state, offer.donor_organisation),
                    status=stage,
                    created_by=offer.created_by,
                    agreement="" if stage == Match.Status.INTERESTED else "Demo agreement.",
                    outcome="Delivered (demo)." if stage == Match.Status.COMPLETED else "",
                    created_at=now - datetime.timedelta(days=rng.randrange(20, 400)),
                )
                MatchMessage.objects.create(
                    match=match,
                    author=offer.created_by,
                    side="donor",
                    body="We could support this need (demo message).",
                )
                sync_need_status(need, by=None)
        return Match.objects.count()

    def _sponsorship(self, admin: User) -> None:
        fund = sponsorship_fund()
        if fund.contributions.exists():
            return
        meeting = (
            Meeting.objects.filter(start_date__gt=timezone.localdate())
            .order_by("start_date")
            .first()
        )
        eu = Organisation.objects.get(acronym="EU")
        FundContribution.objects.create(
            fund=fund,
            donor_organisation=eu,
            amount=Decimal("150000"),
            created_by=admin,
            note="Demo contribution.",
        )
        fund.balance = Decimal("150000")
        fund.save(update_fields=["balance"])
        if meeting is None:
            return
        for iso3, name in (("KEN", "Demo delegate of Kenya"), ("FJI", "Demo delegate of Fiji")):
            SponsorshipApplication.objects.create(
                state=MemberState.objects.get(iso3=iso3),
                meeting=meeting,
                fund=fund,
                traveller_name=name,
                traveller_position="Adviser (demo)",
                travel_cost=Decimal("2400"),
                subsistence_cost=Decimal("1800"),
                created_by=admin,
            )

    def _help_request(self) -> None:
        report = Report.objects.filter(state__iso3="KEN", published_at__isnull=True).first()
        author = User.objects.filter(username="editor.ken").first()
        if report and author and not HelpRequest.objects.filter(report=report).exists():
            HelpRequest.objects.create(
                state=report.state,
                report=report,
                created_by=author,
                description="Help with the section on marking and record keeping (demo).",
            )
