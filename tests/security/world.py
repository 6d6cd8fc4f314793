"""The data the authorization matrix runs against, built once per test module.

State A (France) has one report in every status the matrix checks, each with an answer and
an uploaded file, and the objects of every other route: contacts, a tracing request to a
third State, a need, an offer, a donor's conversation, a sponsorship application, a request
for help, analysis editions, an invitation, an API token. State B (Kenya) owns nothing: its
editor is the outsider. Each persona has a stored session, as after signing in (with the
second factor for those whose role requires one); the test client sends its cookie.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import import_module

from allauth.account.internal.flows.login import record_authentication
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.utils import timezone

from assistance import help as assistance_help
from assistance import services as assistance
from assistance import sponsorship
from core import services as core
from core.models import Membership, MemberState, Organisation, Role, User
from reporting import services as reporting
from reporting.models import AnalysisEdition, Meeting, Report
from tests.conftest import enrol_totp, open_cycle_for, publish
from tests.factories import PASSWORD
from tracing import requests as tracing_requests
from tracing import services as tracing
from tracing.models import ContactUpdateProposal, TracingAttachment

#: The personas of the matrix (see matrix.ROLES), by name.
PERSONAS: dict[str, dict] = {
    "editor_a": {"role": Role.STATE_EDITOR, "state": "FRA"},
    "approver_a": {"role": Role.STATE_APPROVER, "state": "FRA", "mfa": True},
    "editor_b": {"role": Role.STATE_EDITOR, "state": "KEN"},
    "reviewer": {"role": Role.REVIEWER, "mfa": True},
    "administrator": {"role": Role.ADMINISTRATOR, "mfa": True},
    "donor": {"role": Role.DONOR, "organisation": "EU"},
    "assistant": {"role": Role.ASSISTANT, "state": "FRA", "organisation": "UNREC", "days": 30},
    "assistant_expired": {
        "role": Role.ASSISTANT,
        "state": "FRA",
        "organisation": "UNREC",
        "days": -1,
    },
}

QUESTIONNAIRE = {
    "code": "matrix",
    "title": {"en": "Authorization matrix"},
    "sections": [
        {
            "key": "general",
            "number": "1",
            "title": {"en": "General"},
            "questions": [
                {
                    "key": "body",
                    "number": "1.1",
                    "type": "short_text",
                    "text": {"en": "Name of the national coordination body"},
                },
                {
                    "key": "plan",
                    "number": "1.2",
                    "type": "file",
                    "text": {"en": "National action plan"},
                    "config": {"accept": ["pdf"]},
                },
            ],
        }
    ],
}
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
CONTACT = {
    "title": "Ms.",
    "name": "Claire Dubois",
    "position": "Head of unit",
    "organisation": "Ministry of the Interior",
    "address": "1 rue de l'Exemple, Paris",
    "phone": "+33 1 00 00 00 00",
    "email": "claire.dubois@example.gouv.fr",
    "working_languages": ["fr", "en"],
}
TRACING = {
    "weapon_type": "Assault rifle",
    "calibre": "7.62x39",
    "serial_number": "12-345",
    "markings": "12-345 / KB",
    "circumstances": "Seized at a border crossing.",
    "why_illicit": "No licence; marks altered.",
    "intended_use": "Criminal investigation.",
}


@dataclass
class World:
    """Everything the routes point at; `sessions` maps persona → session key."""

    users: dict[str, User] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)
    reports: dict[str, Report] = field(default_factory=dict)
    objects: dict[str, object] = field(default_factory=dict)

    def pk(self, key: str):
        return self.objects[key].pk

    @staticmethod
    def pdf_upload() -> SimpleUploadedFile:
        return SimpleUploadedFile("plan.pdf", PDF, content_type="application/pdf")

    @staticmethod
    def tracing_body() -> dict:
        due = timezone.localdate() + datetime.timedelta(days=30)
        return {**TRACING, "requested_state": "DEU", "due_on": due.isoformat()}

    def sponsorship_body(self) -> dict:
        return {
            "meeting": self.pk("sponsored_meeting"),
            "traveller_name": "Jean Martin",
            "travel_cost": "500.00",
            "subsistence_cost": "100.00",
        }


def state(iso3: str) -> MemberState:
    return MemberState.objects.get(iso3=iso3)


def organisation(acronym: str) -> Organisation:
    return Organisation.objects.get(acronym=acronym)


def make_persona(name: str, spec: dict) -> User:
    # A real password (the tests' settings hash it cheaply): the sign-in pages behave as for
    # anyone (reauthentication by password).
    password = make_password(PASSWORD)
    user = User.objects.create(
        username=name, email=f"{name}@example.org", first_name=name, password=password
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    days = spec.get("days")
    Membership.objects.create(
        user=user,
        role=spec["role"],
        state=state(spec["state"]) if "state" in spec else None,
        organisation=organisation(spec["organisation"]) if "organisation" in spec else None,
        expires_at=timezone.now() + datetime.timedelta(days=days) if days else None,
    )
    if spec.get("mfa"):
        enrol_totp(user)
    return user


def open_session(user: User, *, mfa: bool) -> str:
    """A stored session of `user`, as after signing in (with the second factor if `mfa`)."""
    request = RequestFactory().get("/")
    request.session = import_module(settings.SESSION_ENGINE).SessionStore()
    request.user = user
    request.session[SESSION_KEY] = str(user.pk)
    request.session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    request.session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    record_authentication(request, user, method="password", username=user.username)
    if mfa:
        totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
        record_authentication(request, user, method="mfa", id=totp.pk, type="totp")
    request.session.create()
    return request.session.session_key


def build_reports(world: World) -> None:
    """One report of State A per status, each in its own open cycle, with an answer and a file
    saved while it was a draft."""
    version = publish(QUESTIONNAIRE)
    editor, approver, reviewer = (world.users[n] for n in ("editor_a", "approver_a", "reviewer"))
    steps = {
        "draft": [],
        "submitted": ["submit"],
        "under_review": ["submit", "review"],
        "returned": ["submit", "return"],
        "published": ["submit", "publish"],
        "amendment": ["submit", "publish", "amend"],
        "restricted": ["submit:restricted", "publish"],
    }
    for number, (status, path) in enumerate(steps.items(), start=40):
        cycle = open_cycle_for(version, number=number, later_by_days=number)
        report = reporting.create_report(state=state("FRA"), cycle=cycle, by=editor, language="en")
        reporting.save_answers(
            report, by=editor, changes=[reporting.AnswerChange("body", "National commission", 0)]
        )
        upload = SimpleUploadedFile("plan.pdf", PDF, content_type="application/pdf")
        reporting.upload_attachment(report, question_key="plan", upload=upload, by=editor)
        for step in path:
            report = Report.objects.get(pk=report.pk)
            if step.startswith("submit"):
                visibility = "restricted" if step.endswith(":restricted") else "public"
                reporting.submit_report(
                    report, by=approver, visibility=visibility, mfa_verified=True
                )
            elif step == "review":
                reporting.start_review(report, by=reviewer)
            elif step == "return":
                reporting.return_report(report, by=reviewer, message="Please clarify 1.1.")
            elif step == "publish":
                reporting.publish_report(report, by=reviewer)
            elif step == "amend":
                reporting.amend_report(report, by=editor)
        report = Report.objects.get(pk=report.pk)
        reporting.add_comment(report, by=reviewer, body="A remark from UNODA.")
        world.reports[status] = report
    world.objects["attachments"] = {
        status: report.attachments.get().token for status, report in world.reports.items()
    }
    world.objects["questionnaire"] = version
    # An open cycle in which State A has no report yet (for starting one through the API).
    world.objects["free_cycle"] = open_cycle_for(version, number=60, later_by_days=60)


def build_tracing(world: World) -> None:
    editor = world.users["editor_a"]
    france = state("FRA")
    tracing.save_contact_point(state=france, kind="poa", data=CONTACT, by=world.users["approver_a"])
    world.objects["proposal"] = ContactUpdateProposal.objects.create(
        state=france,
        kind="poa",
        data={**CONTACT, "name": "Paul Martin"},
        report=world.reports["published"],
    )
    sent = tracing_requests.send_request(
        by=editor,
        from_state=france,
        to_state=state("DEU"),
        data={**TRACING, "due_on": timezone.localdate() + datetime.timedelta(days=30)},
    )
    attachment = TracingAttachment(
        request=sent,
        extension=".png",
        original_name="photo.png",
        size=len(PNG),
        content_type="image/png",
        uploaded_by=editor,
    )
    attachment.file.save("photo.png", ContentFile(PNG), save=False)
    attachment.save()
    world.objects["tracing_request"] = sent
    world.objects["tracing_attachment"] = attachment
    world.objects["contact_point"] = france.contacts.get(kind="poa")
    world.objects["marking_practice"] = tracing.save_marking_practice(
        state=france, data={"country_code": "FR", "is_public": True}, by=editor
    )


def build_assistance(world: World) -> None:
    editor, donor = world.users["editor_a"], world.users["donor"]
    eu = (None, organisation("EU"))
    need = assistance.record_need(
        by=editor,
        state=state("FRA"),
        data={
            "theme": "marking",
            "kind": "equipment",
            "priority": "high",
            "description": "Marking machines for the national armoury",
            "estimated_cost": Decimal("120000"),
            "currency": "USD",
            "visibility": "restricted",
        },
    )
    offer = assistance.save_offer(
        by=donor,
        donor=eu,
        data={
            "title": "Marking and record keeping",
            "themes": ["marking"],
            "kinds": ["equipment"],
            "eligible_regions": ["150"],
            "budget_min": Decimal("10000"),
            "budget_max": Decimal("200000"),
            "currency": "USD",
        },
    )
    match = assistance.express_interest(need, by=donor, donor=eu, message="We may help.")
    # A need no donor has written about yet (to express interest in).
    need_free = assistance.record_need(
        by=editor,
        state=state("FRA"),
        data={"theme": "stockpile_management", "kind": "training", "description": "Training."},
    )
    today = timezone.localdate()
    meeting = Meeting.objects.create(
        kind="regional",
        title="Regional meeting on tracing",
        start_date=today + datetime.timedelta(days=60),
        end_date=today + datetime.timedelta(days=62),
    )
    application = sponsorship.apply_for_sponsorship(
        by=editor,
        state=state("FRA"),
        meeting=meeting,
        traveller_name="Marie Dupont",
        travel_cost="600.00",
        subsistence_cost="150.00",
    )
    help_request = assistance_help.ask_for_help(
        world.reports["draft"], by=editor, description="Help with section 1, please."
    )
    grant = Membership.objects.get(user=world.users["assistant"])
    help_request.grants.add(grant)
    sponsorship.record_contribution(by=donor, amount="10000.00", note="For delegates.")
    world.objects.update(
        need_free=need_free,
        sponsored_meeting=meeting,
        need=need,
        offer=offer,
        match=match,
        application=application,
        help_request=help_request,
        grant=grant,
    )


def build_core(world: World) -> None:
    administrator = world.users["administrator"]
    _invitation, link = core.invite_person(
        by=administrator, email="newcomer@example.org", role=Role.STATE_EDITOR, state=state("FRA")
    )
    token, _secret = core.create_api_token(user=world.users["editor_a"], name="matrix")
    cycle = world.reports["published"].cycle
    editions = {}
    for name, published in (("edition", True), ("edition_unpublished", False)):
        edition = AnalysisEdition(
            cycle=cycle,
            language="en",
            kind=AnalysisEdition.Kind.PUBLIC,
            status=AnalysisEdition.Status.DONE,
            finished_at=timezone.now(),
            published_at=timezone.now() if published else None,
        )
        edition.file.save(f"{name}.pdf", ContentFile(PDF), save=False)
        edition.save()
        editions[name] = edition
    # A table of the statistics page of that cycle, by its name in the CSV address.
    from reporting.views.statistics import statistics_page

    tables = statistics_page(cycle)["tables"]
    world.objects.update(
        statistics_table=next(iter(tables)),
        invitation_token=link.rstrip("/").rsplit("/", 1)[-1],
        api_token=token,
        membership=Membership.objects.get(user=world.users["editor_a"]),
        organisation=organisation("EU"),
        cycle=cycle,
        meeting=cycle.meeting,
        **editions,
    )


def build_admin(world: World) -> None:
    """One object of each model registered with the Django admin, for its change form."""
    from django.apps import apps
    from django.contrib.auth.models import Group

    from tests.security.matrix import ADMIN_MODELS

    Group.objects.create(name="Matrix readers")
    for label in ADMIN_MODELS:
        model = apps.get_model(label)
        world.objects[f"admin:{label}"] = model.objects.order_by("pk").first()


def build_world() -> World:
    world = World()
    for name, spec in PERSONAS.items():
        world.users[name] = make_persona(name, spec)
    build_reports(world)
    build_tracing(world)
    build_assistance(world)
    build_core(world)
    build_admin(world)
    for name, spec in PERSONAS.items():
        world.sessions[name] = open_session(world.users[name], mfa=bool(spec.get("mfa")))
    return world
