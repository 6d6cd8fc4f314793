"""Schemathesis against the API's OpenAPI schema, in process, as five roles (issue #10).

The schema is the one drf-spectacular serves at /api/schema/; requests go through the
project's WSGI application inside the test's database transaction, with data in place
(reports in every status, comments, tracing requests, contacts, marking practices, needs,
offers, a match, a sponsorship application, a published analysis), so that detail endpoints
reach real objects: a path's `id` is drawn from the objects of that resource as well as
from the generated values.

Two runs, both derandomized (fixed seed), so that CI is reproducible:

- every operation as each role: anonymous, a State editor, the State's approver (signed in
  with a session whose second factor was just confirmed, so that submitting can succeed),
  a reviewer and a donor (API tokens). Schemathesis' examples and fuzzing phases, valid and
  invalid data, MAX_EXAMPLES cases per operation and role;
- every operation as the State editor, with the coverage phase: boundary values of every
  parameter and field (lengths, enum values, formats), deterministic.

Every response must pass schemathesis' checks: no server error (5xx), a documented status
code and content type, documented headers, and a body that matches the schema. Two checks
are left out, because they test promises the API does not make:

- `positive_data_acceptance` (a request valid by the schema gets 2xx): a request can be
  valid by the schema and still name an object that does not exist (`cycle: 0`) or break a
  rule the schema cannot express (a due date in the future, a report's workflow); the API
  rightly answers 400, 404 or 409;
- `negative_data_rejection` (a request invalid by the schema gets 4xx): DRF accepts some
  values more leniently than the schema types them (a number for a text field, an empty
  filter meaning "no filter", an offset that is not a number ignored). Invalid requests are
  still sent: they must neither fail with 5xx nor get an answer the schema does not document.

What the runs found and what was fixed (figures at the end of a run; see the closing note
of issue #10): 5xx on `POST /matches/{id}/message/`, `…/complete/`,
`/tracing-requests/{id}/answer/` and `…/request-information/` for a JSON body that is not
an object (they now read their body through a serializer); a 404 page in HTML for API URLs
no route matches (JSON now); undocumented 400/401/403/404/409/413/429 (every operation now
documents its errors, `core.openapi`); bodies outside the schema: a cycle's questionnaire
(null), a need's restricted fields for the public (null), a published answer's revision and
author (null), a comment's parent (null), the report export's fields, and three lists
(`/needs/{id}/candidates/`, `/offers/{id}/needs/`, `/reports/{id}/comments/`) documented as
paginated but not paginated (they are not paginated, and now documented so).
"""

from __future__ import annotations

import datetime
import time
from collections import Counter, defaultdict
from decimal import Decimal
from importlib import import_module

import pytest
import schemathesis
from allauth.account.internal.flows import login as allauth_login
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import TestCase
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from assistance import services as assistance
from assistance.models import Need
from assistance.sponsorship import apply_for_sponsorship
from core.models import MemberState, Role
from core.services import create_api_token
from reporting import services as reporting
from reporting.models import AnalysisEdition
from reporting.questionnaire_io import load
from tests.conftest import SAMPLE, enrol_totp, open_cycle_for, publish
from tests.factories import member
from tests.reporting.test_reports import fill
from tracing import requests as tracing
from tracing.services import save_contact_point, save_marking_practice

SEED = 20260610
MAX_EXAMPLES = 5
ROLES = ("anonymous", "editor", "approver", "reviewer", "donor")
EXCLUDED_CHECKS = [positive_data_acceptance, negative_data_rejection]
CSRF_SECRET = "s" * 32  # a CSRF secret sent unmasked in the header, as a script may


class InProcessApp:
    """The project's WSGI application, run inside the test's transaction: like Django's test
    client, it keeps the end-of-request signal from closing the database connection."""

    def __init__(self) -> None:
        self.handler = WSGIHandler()

    def __call__(self, environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            result = self.handler(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                result.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


APP = InProcessApp()
#: Ids of the objects built for the run, by the resource name in the API's paths.
KNOWN: dict[str, list] = {}
#: Request headers of each role.
CREDENTIALS: dict[str, dict] = {}
#: Status codes answered, by (run, operation, role): the figures of the run.
ANSWERED: defaultdict[tuple[str, str, str], Counter] = defaultdict(Counter)


def load_schema(*, coverage: bool) -> schemathesis.BaseSchema:
    """The schema from /api/schema/, with the phases of one run."""
    config = SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            # Credentials are the roles' own (CREDENTIALS), never generated ones.
            "generation": {
                "mode": "positive" if coverage else "all",
                "with-security-parameters": False,
            },
            "phases": {
                "examples": {"enabled": not coverage},
                "fuzzing": {"enabled": not coverage},
                "coverage": {"enabled": coverage},
            },
        }
    )
    schema = schemathesis.openapi.from_wsgi("/api/schema/", APP, config=config)
    schema.hook(flatmap_path_parameters)
    return schema


def known_objects(path: str, path_parameters) -> tuple[str, list]:
    """The path parameter's name and the ids of the objects built for its resource."""
    if not isinstance(path_parameters, dict) or not path_parameters:
        return "", []
    return "iso3" if "iso3" in path_parameters else "id", KNOWN.get(path.split("/")[3], [])


def flatmap_path_parameters(context, path_parameters):
    """An `id` (or `iso3`) drawn from the objects built for the run, or the generated one."""
    name, known = known_objects(context.operation.path, path_parameters)
    if not known:
        return st.just(path_parameters)
    return st.sampled_from([*known, path_parameters[name]]).map(
        lambda value: {**path_parameters, name: value}
    )


schema = load_schema(coverage=False)
boundaries = load_schema(coverage=True)


# --- the data ---------------------------------------------------------------------------------


def session_cookie(user) -> str:
    """A session key for `user`, signed in with a second factor confirmed just now."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[allauth_login._AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    store[allauth_login.AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "mfa", "type": "totp", "at": time.time()}
    ]
    store.save()
    return store.session_key


def build_people() -> dict:
    people = {
        "editor": member(Role.STATE_EDITOR, state="FRA", username="fuzz.editor"),
        "approver": member(Role.STATE_APPROVER, state="FRA", username="fuzz.approver"),
        "reviewer": member(Role.REVIEWER, username="fuzz.reviewer"),
        "donor": member(Role.DONOR, organisation="EU", username="fuzz.donor"),
        "kenyan": member(Role.STATE_EDITOR, state="KEN", username="fuzz.kenyan"),
        "kenyan_approver": member(Role.STATE_APPROVER, state="KEN", username="fuzz.ken.approver"),
    }
    for name in ("approver", "reviewer", "kenyan_approver"):
        enrol_totp(people[name])
    CREDENTIALS["anonymous"] = {"headers": {}}
    for role in ("editor", "reviewer", "donor"):
        _token, secret = create_api_token(user=people[role], name="schemathesis")
        CREDENTIALS[role] = {"headers": {"Authorization": f"Bearer {secret}"}}
    # The session cookie goes in the headers, so that schemathesis knows it as the caller's
    # own credentials (its `ignored_auth` check then removes them and expects a refusal).
    session = session_cookie(people["approver"])
    CREDENTIALS["approver"] = {
        "headers": {
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={session}; "
            f"{settings.CSRF_COOKIE_NAME}={CSRF_SECRET}",
            "X-CSRFToken": CSRF_SECRET,
        }
    }
    return people


def build_reports(people: dict) -> None:
    """France's reports in every status (one per cycle), and Kenya's published report."""
    editor, approver, reviewer = people["editor"], people["approver"], people["reviewer"]
    fra, ken = MemberState.objects.get(iso3="FRA"), MemberState.objects.get(iso3="KEN")
    version = publish(load(SAMPLE.read_text(encoding="utf-8"), "yaml"))
    cycles = [open_cycle_for(version, number=40 + i, later_by_days=i) for i in range(5)]

    def filled(cycle, state=fra, by=editor):
        report = reporting.create_report(state=state, cycle=cycle, by=by, language="en")
        fill(report, by)
        return report

    def submitted(cycle, visibility="public"):
        report = filled(cycle)
        reporting.submit_report(report, by=approver, visibility=visibility, mfa_verified=True)
        return report

    draft = filled(cycles[0])
    reporting.add_comment(draft, by=editor, body="Is 1.2 the official name?")
    waiting = submitted(cycles[1])
    returned = submitted(cycles[2])
    reporting.return_report(returned, by=reviewer, message="Please check 1.2.")
    published = submitted(cycles[3])
    reporting.publish_report(published, by=reviewer)
    amended = submitted(cycles[4], visibility="restricted")
    reporting.publish_report(amended, by=reviewer)
    reporting.amend_report(amended, by=editor)
    kenyan = filled(cycles[0], state=ken, by=people["kenyan"])
    reporting.submit_report(
        kenyan, by=people["kenyan_approver"], visibility="public", mfa_verified=True
    )
    reporting.publish_report(kenyan, by=reviewer)
    edition = AnalysisEdition.objects.create(
        cycle=cycles[3], language="en", kind="public", status="done", published_at=timezone.now()
    )
    KNOWN.update(
        {
            "reports": [r.pk for r in (draft, waiting, returned, published, amended, kenyan)],
            "cycles": [c.pk for c in cycles],
            "meetings": [c.meeting_id for c in cycles],
            "questionnaires": [version.pk],
            "summaries": [edition.pk],
            "states": ["FRA", "KEN"],
        }
    )
    KNOWN["_meeting"] = [cycles[0].meeting]


def build_tracing(people: dict) -> None:
    editor, kenyan = people["editor"], people["kenyan"]
    fra, ken = MemberState.objects.get(iso3="FRA"), MemberState.objects.get(iso3="KEN")
    data = {
        "weapon_type": "Pistol",
        "markings": "AB 123",
        "circumstances": "Seized at a border crossing.",
        "why_illicit": "No licence.",
        "intended_use": "Criminal investigation.",
        "due_on": timezone.localdate() + datetime.timedelta(days=30),
    }
    sent = tracing.send_request(by=editor, from_state=fra, to_state=ken, data=data)
    received = tracing.send_request(by=kenyan, from_state=ken, to_state=fra, data=data)
    tracing.acknowledge_request(received, by=editor)
    contact = save_contact_point(
        state=fra, kind="poa", data={"name": "Claire Dubois", "email": "c@example.org"}, by=editor
    )
    marking = save_marking_practice(state=fra, data={"country_code": "FR"}, by=editor)
    KNOWN.update(
        {
            "tracing-requests": [sent.pk, received.pk],
            "contact-points": [contact.pk],
            "marking-practices": [marking.pk],
        }
    )


def build_assistance(people: dict) -> None:
    editor, donor = people["editor"], people["donor"]
    fra = MemberState.objects.get(iso3="FRA")
    need = assistance.record_need(
        by=editor,
        state=fra,
        data={
            "theme": "marking",
            "kind": "equipment",
            "description": "Marking machines.",
            "estimated_cost": Decimal("1000"),
            "currency": "USD",
            "visibility": Need.Visibility.PUBLIC,
        },
    )
    restricted = assistance.record_need(
        by=editor,
        state=fra,
        data={
            "theme": "stockpile_management",
            "kind": "technical",
            "description": "Depot assessment.",
            "visibility": Need.Visibility.RESTRICTED,
        },
    )
    eu = (None, donor.memberships.get().organisation)
    offer = assistance.save_offer(
        by=donor,
        donor=eu,
        data={"title": "Marking kits", "themes": ["marking"], "kinds": ["equipment"]}
        | {"currency": "EUR"},
    )
    match = assistance.express_interest(
        need, by=donor, donor=eu, message="We can help.", offer=offer
    )
    application = apply_for_sponsorship(
        by=editor,
        state=fra,
        meeting=KNOWN.pop("_meeting")[0],
        traveller_name="Jean Martin",
        travel_cost="1000",
        subsistence_cost="500",
    )
    KNOWN.update(
        {
            "needs": [need.pk, restricted.pk],
            "offers": [offer.pk],
            "matches": [match.pk],
            "sponsorship-applications": [application.pk],
        }
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, request):
    """The data of the run, built once for the module and rolled back at its end (each
    test's own changes are rolled back after it)."""
    with django_db_blocker.unblock(), transaction.atomic():
        people = build_people()
        with TestCase.captureOnCommitCallbacks(execute=True):
            build_reports(people)
        build_tracing(people)
        build_assistance(people)
        yield
        transaction.set_rollback(True)
    report_figures(request.config)


def report_figures(config) -> None:
    """Operations, requests and answers of the runs, for the closing note of issue #10."""
    if not ANSWERED:
        return
    lines = []
    for run in ("fuzzing", "coverage"):
        answered = Counter()
        for (name, _operation, _role), statuses in ANSWERED.items():
            if name == run:
                answered.update(statuses)
        if answered:
            operations = {op for (name, op, _role) in ANSWERED if name == run}
            reached = {
                op
                for (name, op, _role), statuses in ANSWERED.items()
                if name == run and "{" in op and any(200 <= code < 300 for code in statuses)
            }
            lines.append(
                f"schemathesis {run}: {len(operations)} operations "
                f"({len(reached)} of {sum('{' in op for op in operations)} with a path "
                f"parameter answered 2xx), {sum(answered.values())} requests, answers "
                + ", ".join(f"{code}: {n}" for code, n in sorted(answered.items()))
            )
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    with config.pluginmanager.get_plugin("capturemanager").global_and_fixture_disabled():
        reporter.ensure_newline()
        for line in lines:
            reporter.write_line(line)


# --- the runs ---------------------------------------------------------------------------------

RUN_SETTINGS = hypothesis_settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def call_and_validate(run: str, case, role: str) -> None:
    response = case.call_and_validate(
        headers=CREDENTIALS[role]["headers"], excluded_checks=EXCLUDED_CHECKS
    )
    ANSWERED[(run, case.operation.label, role)][response.status_code] += 1


@schema.parametrize()
@pytest.mark.parametrize("role", ROLES)
@RUN_SETTINGS
def test_every_operation_as_every_role(case, role, world, db):
    call_and_validate("fuzzing", case, role)


#: Cases of the coverage run so far, by operation: which built object the next one reads.
COVERAGE_CASES: Counter = Counter()


@boundaries.parametrize()
@RUN_SETTINGS
def test_every_operation_with_boundary_values(case, world, db):
    # The coverage phase's cases are made before the data: their path reads the built
    # objects in turn (the boundary values of ids, all 404, are the fuzzing run's).
    name, known = known_objects(case.operation.path, case.path_parameters)
    if known:
        turn = COVERAGE_CASES[case.operation.label]
        case.path_parameters = {**case.path_parameters, name: known[turn % len(known)]}
        COVERAGE_CASES[case.operation.label] += 1
    call_and_validate("coverage", case, "editor")
