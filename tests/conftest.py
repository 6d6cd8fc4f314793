"""Personas and shared fixtures (see STYLE.md: tests)."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.cache import cache
from django.test import Client

from config.celery import app as celery_app
from core.models import Role
from tests.factories import member


@pytest.fixture(autouse=True)
def _isolation(settings):
    """Each test starts with an empty cache (rate limits) and in-process Celery tasks."""
    cache.clear()
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager


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
