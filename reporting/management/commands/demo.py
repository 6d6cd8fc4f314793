"""Load demo accounts and data. Idempotent: running it twice changes nothing more."""

import datetime

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from core.models import MemberState, Organisation, Role, User
from core.services import grant_membership
from reporting.demo import DemoPlan, demo_answers, publish_demo_reports
from reporting.models import Answer, Cycle, Meeting, QuestionnaireVersion, Report
from reporting.questionnaire_io import copy_version, publish_version
from reporting.questionnaires import load_official_versions
from reporting.selectors import questionnaire_structure
from reporting.services import create_meeting, create_report
from reporting.services.reports import snapshot_report

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


#: Open-cycle reports of other States, at different stages: (ISO3, status, share answered).
OPEN_CYCLE_STAGES = [
    ("DEU", Report.Status.DRAFT, 0.0),
    ("BRA", Report.Status.DRAFT, 0.5),
    ("MEX", Report.Status.DRAFT, 0.8),
    ("JPN", Report.Status.SUBMITTED, 1.0),
    ("IND", Report.Status.SUBMITTED, 1.0),
    ("NGA", Report.Status.RETURNED, 1.0),
]


class Command(BaseCommand):
    help = (
        "Load demo accounts (password printed) and demo reports, all marked as demo data. "
        "Safe to run again. Refuses to run with DEBUG off unless --force is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (never in production)."
        )

    @transaction.atomic
    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "The demo creates accounts with a published password: it runs only with "
                "DEBUG on, or with --force on a machine that is not in production."
            )
        users = {spec[0]: self._account(*spec) for spec in ACCOUNTS}
        cycle = self._open_cycle(users["admin"])
        self._questionnaires(users["admin"], cycle)
        self._reports(cycle)
        self._generated_reports(cycle)
        # Other apps add their demo data through their own commands (reporting imports none).
        call_command("demo_contacts", stdout=self.stdout)
        call_command("demo_assistance", stdout=self.stdout)
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

    def _questionnaires(self, admin: User, open_cycle: Cycle) -> None:
        """The official 2024 and 2026 versions; the open cycle uses a copy of 2026, as the
        next cycle would."""
        load_official_versions()
        if open_cycle.questionnaire is None:
            code = f"{open_cycle.deadline.year}-demo"
            version = QuestionnaireVersion.objects.filter(code=code).first()
            if version is None:
                latest = QuestionnaireVersion.objects.get(code="2026")
                version = publish_version(copy_version(latest, code=code, by=admin), by=admin)
            open_cycle.questionnaire = version
            open_cycle.save(update_fields=["questionnaire"])

    def _reports(self, open_cycle: Cycle) -> None:
        """France and Kenya, whose demo officials log in: past reports and a draft each."""
        now = timezone.now()
        revcon4 = Cycle.objects.get(meeting__kind=Meeting.Kind.REVCON, meeting__number=4)
        bms9 = Cycle.objects.get(meeting__kind=Meeting.Kind.BMS, meeting__number=9)
        for iso3, cycle, status, language in (
            ("FRA", revcon4, Report.Status.PUBLISHED, "fr"),
            ("FRA", bms9, Report.Status.SUBMITTED, "fr"),
            ("KEN", bms9, Report.Status.PUBLISHED, "en"),
        ):
            state = MemberState.objects.get(iso3=iso3)
            report, created = Report.objects.get_or_create(
                state=state,
                cycle=cycle,
                defaults={
                    "status": status,
                    "language": language,
                    "questionnaire": cycle.questionnaire,
                    "visibility": Report.Visibility.PUBLIC,
                    "published_visibility": Report.Visibility.PUBLIC
                    if status == Report.Status.PUBLISHED
                    else "",
                    "submitted_at": now,
                    "published_at": now if status == Report.Status.PUBLISHED else None,
                    "is_demo": True,
                },
            )
            if created:
                self._answer(report, share=1.0)
                snapshot_report(report, None)  # the submitted or published revision
        for iso3, language, share in (("FRA", "fr", 0.3), ("KEN", "en", 0.0)):
            state = MemberState.objects.get(iso3=iso3)
            if not Report.objects.filter(state=state, cycle=open_cycle).exists():
                editor = User.objects.get(username=f"editor.{iso3.lower()}")
                report = create_report(state=state, cycle=open_cycle, by=editor, language=language)
                Report.objects.filter(pk=report.pk).update(is_demo=True)
                self._answer(report, share=share)

    def _answer(self, report: Report, *, share: float) -> None:
        _, questions = questionnaire_structure(report.questionnaire)
        by_key = {q.key: q for q in questions}
        answers = demo_answers(
            questions, report.state, year=report.cycle.deadline.year, seed="demo", share=share
        )
        Answer.objects.bulk_create(
            Answer(report=report, question=by_key[k], value=v) for k, v in answers.items()
        )

    def _generated_reports(self, open_cycle: Cycle) -> None:
        """About 60% of States report in each of the last two cycles; a few open-cycle
        reports at different stages."""
        history = [
            Cycle.objects.filter(meeting__kind=Meeting.Kind.REVCON, meeting__number=4).first(),
            Cycle.objects.filter(meeting__kind=Meeting.Kind.BMS, meeting__number=9).first(),
        ]
        states = list(MemberState.objects.order_by("iso3"))
        for index, cycle in enumerate(history):
            made = publish_demo_reports(DemoPlan(cycle), states, cycle_index=index, cycles=2)
            self.stdout.write(f"{cycle.meeting.short_name}: {len(made)} demo reports published.")
        for iso3, status, share in OPEN_CYCLE_STAGES:
            state = MemberState.objects.get(iso3=iso3)
            report, created = Report.objects.get_or_create(
                state=state,
                cycle=open_cycle,
                defaults={
                    "status": status,
                    "questionnaire": open_cycle.questionnaire,
                    "language": "en",
                    "visibility": "" if status == Report.Status.DRAFT else "public",
                    "submitted_at": None if status == Report.Status.DRAFT else timezone.now(),
                    "is_demo": True,
                },
            )
            if created and share:
                self._answer(report, share=share)
