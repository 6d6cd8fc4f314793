"""Demo points of contact (called by `manage.py demo`; marked as demo data in their texts)."""

import datetime

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from core.models import MemberState
from reporting.models import Report
from tracing.models import PUBLIC_BY_DEFAULT, ContactPoint, ContactPointVersion, MarkingPractice
from tracing.services import update_marking_from_report

STATES = ("FRA", "KEN", "DEU", "BRA", "JPN", "NGA", "MEX", "IND", "NZL", "EGY")


class Command(BaseCommand):
    help = "Load demo national points of contact for a few States. Safe to run again."

    @transaction.atomic
    def handle(self, *args, **options):
        now = timezone.now()
        for index, iso3 in enumerate(STATES):
            state = MemberState.objects.get(iso3=iso3)
            for kind in (ContactPoint.Kind.POA, ContactPoint.Kind.ITI):
                confirmed = now - datetime.timedelta(days=90 + 60 * index)  # some over a year
                contact, created = ContactPoint.objects.get_or_create(
                    state=state,
                    kind=kind,
                    defaults={
                        "title": "Mr." if index % 2 else "Ms.",
                        "name": f"Demo contact {iso3} ({kind.upper()})",
                        "position": "Head of the small arms unit (demo)",
                        "organisation": f"Ministry of Foreign Affairs of {state.name} (demo)",
                        "address": f"Demo address, {state.name}",
                        "phone": f"+1 555 01{index:02d}",
                        "email": f"{kind}.{iso3.lower()}@demo.example.org",
                        "working_languages": ["en", "fr"] if index % 3 else ["en"],
                        "same_as_poa": kind == ContactPoint.Kind.ITI and index % 2 == 0,
                        "public_fields": list(PUBLIC_BY_DEFAULT),
                        "last_confirmed_at": confirmed,
                        "updated_at": confirmed,
                    },
                )
                if created:
                    ContactPointVersion.objects.create(
                        contact=contact,
                        data=contact.data(),
                        public_fields=contact.public_fields,
                        changed_at=confirmed,
                        note="demo",
                    )
        self.stdout.write(f"Demo points of contact for {len(STATES)} States.")
        self._marking_practices()

    def _marking_practices(self) -> None:
        """What the published demo reports say of marking, as publication would record it
        (the demo publishes its reports without the workflow, hence without the signal)."""
        reports = Report.objects.filter(is_demo=True, published_at__isnull=False)
        for report in reports.select_related("state").order_by("cycle__deadline"):
            revision = report.revisions.filter(status=Report.Status.PUBLISHED).last()
            if revision is not None:
                update_marking_from_report(report, revision.answers)
        self.stdout.write(f"Demo marking practices: {MarkingPractice.objects.count()}.")
