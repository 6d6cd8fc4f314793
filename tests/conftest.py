"""Personas and shared fixtures (see STYLE.md: tests)."""

import datetime
from importlib import import_module
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.apps import apps as django_apps
from django.core.cache import cache
from django.test import Client
from django.utils import timezone, translation

from config.celery import app as celery_app
from core.models import MemberState, Role
from reporting import services
from reporting.models import Cycle, Meeting
from reporting.questionnaire_io import import_version, load, publish_version
from tests.factories import member


@pytest.fixture(autouse=True)
def _isolation(settings):
    """Each test starts in English, with an empty cache (rate limits) and in-process Celery
    tasks (the locale middleware leaves the last request's language active in the thread)."""
    translation.activate("en")
    cache.clear()
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager
    translation.deactivate()


def _transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
        or (marker and marker.kwargs.get("transaction"))
    )


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests (live server, real workers, pg_dump) run in real transactions and
    the database is emptied after each: put back the reference data that migrations load
    (States, organisations, meetings) for the next one."""
    if not _transactional(request):
        return
    request.getfixturevalue("transactional_db")
    if MemberState.objects.exists():
        return
    for module, functions in (
        ("core.migrations.0002_states_and_organisations", ("load_states", "load_organisations")),
        ("reporting.migrations.0002_meeting_history", ("forwards",)),
    ):
        loaded = import_module(module)
        for name in functions:
            getattr(loaded, name)(django_apps, None)


def enrol_totp(user) -> str:
    """Give `user` a TOTP authenticator; returns its secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


@pytest.fixture
def editor(db):
    return member(Role.STATE_EDITOR, state="FRA", username="editor.fra")


@pytest.fixture
def approver(db):
    user = member(Role.STATE_APPROVER, state="FRA", username="approver.fra")
    enrol_totp(user)
    return user


@pytest.fixture
def outsider(db):
    """An editor of another State."""
    return member(Role.STATE_EDITOR, state="KEN", username="editor.ken")


@pytest.fixture
def reviewer(db):
    user = member(Role.REVIEWER, username="reviewer")
    enrol_totp(user)
    return user


@pytest.fixture
def administrator(db):
    user = member(Role.ADMINISTRATOR, username="administrator")
    enrol_totp(user)
    return user


@pytest.fixture
def donor(db):
    return member(Role.DONOR, organisation="EU", username="donor.eu")


@pytest.fixture
def anonymous() -> Client:
    return Client()


@pytest.fixture
def client_for():
    """A test client logged in as `user` (session login, as after password and MFA)."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


# --- questionnaires and reports -----------------------------------------------------

SAMPLE = Path(__file__).resolve().parents[1] / "reporting" / "questionnaires" / "sample.yaml"


def publish(data: dict):
    return publish_version(import_version(data, by=None), by=None)


def generated_questionnaire(code: str, count: int) -> dict:
    """A questionnaire of `count` short-text questions in two sections."""

    def question(i: int) -> dict:
        return {
            "key": f"q{i}",
            "number": str(i),
            "type": "short_text",
            "text": {"en": f"Question {i}"},
        }

    half = count // 2
    return {
        "code": code,
        "title": {"en": code},
        "sections": [
            {
                "key": "a",
                "number": "1",
                "title": {"en": "A"},
                "questions": [question(i) for i in range(half)],
            },
            {
                "key": "b",
                "number": "2",
                "title": {"en": "B"},
                "questions": [question(i) for i in range(half, count)],
            },
        ],
    }


@pytest.fixture
def questionnaire(db):
    return publish(load(SAMPLE.read_text(encoding="utf-8"), "yaml"))


def open_cycle_for(version, number: int = 10, *, later_by_days: int = 0) -> Cycle:
    """An open cycle on `version`; `later_by_days` moves its deadline (and meeting) later,
    so it comes after another open cycle."""
    today = timezone.localdate() + datetime.timedelta(days=later_by_days)
    meeting = Meeting.objects.create(
        kind="bms",
        number=number,
        start_date=today + datetime.timedelta(days=300),
        end_date=today + datetime.timedelta(days=304),
    )
    return Cycle.objects.create(
        meeting=meeting,
        opens_on=timezone.localdate() - datetime.timedelta(days=10),
        deadline=today + datetime.timedelta(days=200),
        closes_on=today + datetime.timedelta(days=290),
        questionnaire=version,
    )


@pytest.fixture
def cycle(questionnaire):
    return open_cycle_for(questionnaire)


@pytest.fixture
def report(cycle, editor):
    return services.create_report(
        state=MemberState.objects.get(iso3="FRA"), cycle=cycle, by=editor, language="en"
    )
