"""Load demo accounts and data. Idempotent: running it twice changes nothing more."""

import datetime

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from core.models import MemberState, Organisation, Role, User
from core.services import grant_membership
from reporting.models import Cycle, Meeting, Report
from reporting.services import create_meeting

DEMO_PASSWORD = "demo-poa-2026"  # noqa: S105 — printed and documented: demo only

ACCOUNTS = [
    # username, first, last, language, role, state iso3, organisation
    ("admin", "Ada", "Admin", "en", Role.ADMINISTRATOR, None, None),
    ("reviewer", "Rémi", "Reviewer", "fr", Role.REVIEWER, None, None),
    ("editor.fra", "Élise", "Martin", "fr", Role.STATE_EDITOR, "FRA", None),
    ("approver.fra", "Paul", "Durand", "fr", Role.STATE_APPROVER, "FRA", None),
    ("editor.ken", "Wanjiru", "Kamau", "en", Role.STATE_EDITOR, "KEN", None),
    ("approver.ken", "David", "Otieno", "en", Role.STATE_APPROVER, "KEN", None),
    ("donor.eu", "Eva", "Schmidt", "en", Role.DONOR, None, "EU"),
]


class Command(BaseCommand):
    help = "Load demo accounts (password printed) and demo reports. Safe to run again."

    @transaction.atomic
    def handle(self, *args, **options):
        users = {spec[0]: self._account(*spec) for spec in ACCOUNTS}
        cycle = self._open_cycle(users["admin"])
        self._reports(cycle)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"Accounts: {', '.join(users)} — password: {DEMO_PASSWORD}")
        if not settings.DEBUG:
            self.stdout.write(
                self.style.WARNING(
                    "DEBUG is off: demo accounts must enrol in two-factor authentication."
                )
            )

    def _account(self, username, first, last, language, role, iso3, acronym) -> User:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "language": language,
                "email": f"{username}@demo.example.org",
                "is_demo": True,
                "is_superuser": role == Role.ADMINISTRATOR,
                "is_staff": role == Role.ADMINISTRATOR,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        EmailAddress.objects.get_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )
        grant_membership(
            user=user,
            role=role,
            by=None,
            state=MemberState.objects.get(iso3=iso3) if iso3 else None,
            organisation=Organisation.objects.get(acronym=acronym) if acronym else None,
        )
        return user

    def _open_cycle(self, admin: User) -> Cycle:
        """An open cycle for the next meeting, so the demo has drafts to work on."""
        open_cycle = Cycle.objects.open_on().order_by("deadline").first()
        if open_cycle:
            return open_cycle
        last = Meeting.objects.filter(kind=Meeting.Kind.BMS).order_by("-number").first()
        today = timezone.localdate()
        start = today + datetime.timedelta(days=540)
        meeting = create_meeting(
            by=admin,
            kind=Meeting.Kind.BMS,
            number=(last.number + 1) if last else 1,
            start_date=start,
            end_date=start + datetime.timedelta(days=4),
            venue="New York",
            opens_on=today - datetime.timedelta(days=30),
            deadline=start - datetime.timedelta(days=91),
            closes_on=start,
        )
        return meeting.cycle

    def _reports(self, open_cycle: Cycle) -> None:
        # Report services arrive with the questionnaire engine; until then the demo writes rows.
        now = timezone.now()
        revcon4 = Cycle.objects.filter(meeting__kind=Meeting.Kind.REVCON, meeting__number=4).first()
        bms9 = Cycle.objects.filter(meeting__kind=Meeting.Kind.BMS, meeting__number=9).first()
        plan = [
            ("FRA", revcon4, Report.Status.PUBLISHED, "fr"),
            ("FRA", bms9, Report.Status.SUBMITTED, "fr"),
            ("FRA", open_cycle, Report.Status.DRAFT, "fr"),
            ("KEN", bms9, Report.Status.PUBLISHED, "en"),
            ("KEN", open_cycle, Report.Status.DRAFT, "en"),
        ]
        for iso3, cycle, status, language in plan:
            if cycle is None:
                continue
            Report.objects.get_or_create(
                state=MemberState.objects.get(iso3=iso3),
                cycle=cycle,
                defaults={
                    "status": status,
                    "language": language,
                    "submitted_at": now if status != Report.Status.DRAFT else None,
                    "published_at": now if status == Report.Status.PUBLISHED else None,
                },
            )
