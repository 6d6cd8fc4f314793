"""Deployment hardening, checked on real responses with the production settings: security
headers and Content Security Policy, cookies, MFA on the admin, login rate limits behind a
proxy, passwords per OWASP ASVS level 2 (breached-password check included).

`manage.py check --deploy --fail-level WARNING` with production settings runs in
tests/core/test_settings.py (and in CI).
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import runpy
import secrets
import urllib.error
from pathlib import Path

import pytest
from django.conf import global_settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from core.models import Role
from tests.conftest import enrol_totp
from tests.core.test_accounts import totp_code
from tests.factories import PASSWORD, member

pytestmark = pytest.mark.django_db
SETTINGS_FILE = Path(__file__).resolve().parents[2] / "config" / "settings.py"
PRODUCTION_ENV = {
    "DEBUG": "false",
    "TESTING": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "reporting.example.org",
    "DATABASE_URL": "postgres://poa@db:5432/poa",
    "REDIS_URL": "redis://redis:6379/0",
}
#: The settings that shape responses' security; taken from the production values.
SECURITY_SETTINGS = [
    "DEBUG",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SAMESITE",
    "SECURE_SSL_REDIRECT",
    "SECURE_REDIRECT_EXEMPT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_REFERRER_POLICY",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "X_FRAME_OPTIONS",
    "SECURE_CSP",
    "AUTH_PASSWORD_VALIDATORS",
    "PASSWORD_BREACH_CHECK",
]


def production_settings(**env: str) -> dict:
    """config/settings.py as it loads in production (with `env` on top)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("CELERY_BROKER_URL", "HTTPS", "SECURE_HSTS_PRELOAD", "DATA_DIR"):
            patch.delenv(name, raising=False)
        for name, value in {**PRODUCTION_ENV, **env}.items():
            patch.setenv(name, value)
        return runpy.run_path(str(SETTINGS_FILE))


@pytest.fixture(scope="module")
def production():
    return production_settings()


@pytest.fixture
def deployed(settings, production):
    """This test's settings carry the production security values."""
    for name in SECURITY_SETTINGS:
        value = production[name] if name in production else getattr(global_settings, name)
        setattr(settings, name, value)
    return settings


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = [d.split() for d in header.split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


# --- headers, CSP, cookies ----------------------------------------------------------------------


def test_production_settings_are_strict_and_configurable():
    values = production_settings()
    assert values["DEBUG"] is False and values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and values["SECURE_HSTS_PRELOAD"]
    assert values["PASSWORD_BREACH_CHECK"] is True
    assert production_settings(SECURE_HSTS_PRELOAD="false")["SECURE_HSTS_PRELOAD"] is False
    assert production_settings(PASSWORD_BREACH_CHECK="false")["PASSWORD_BREACH_CHECK"] is False


def test_pages_carry_the_security_headers(deployed, client_for, editor, report):
    pages = [
        (Client(), "/"),
        (Client(), "/accounts/login/"),
        (Client(), reverse("api-docs")),
        (client_for(editor), reverse("dashboard")),
        (client_for(editor), reverse("reporting:section-edit", args=[report.pk, "coordination"])),
        (client_for(editor), "/api/v1/states/"),
    ]
    for client, path in pages:
        response = client.get(path, secure=True)
        assert response.status_code == 200, path
        assert response["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload"
        )
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"
        policy = csp_directives(response)
        assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
        assert policy["default-src"] == ["'self'"] and policy["base-uri"] == ["'self'"]
        for directive, sources in policy.items():
            assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources, directive
            assert "*" not in sources, directive


def test_no_page_relies_on_an_inline_script_the_policy_blocks(deployed, client_for, editor, report):
    """Scripts are files; an inline one would need the nonce of its own response (templates
    get it as `csp_nonce`), which then appears in the header."""
    client = client_for(editor)
    section = reverse("reporting:section-edit", args=[report.pk, "coordination"])
    for path in ("/", reverse("dashboard"), section, reverse("api-docs"), "/accounts/login/"):
        response = client.get(path, secure=True)
        html = response.content.decode()
        header_nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
        for attributes in re.findall(r"<script\b([^>]*)>", html):
            if "src=" in attributes:
                continue
            assert header_nonce, f"inline script without a nonce on {path}"
            assert f'nonce="{header_nonce.group(1)}"' in attributes, path


def test_plain_http_is_redirected_to_https_except_the_health_probe(deployed):
    response = Client().get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"
    assert Client().get("/healthz/").status_code == 200


def test_session_and_csrf_cookies_are_secure_httponly_and_same_site(deployed, editor):
    client = Client()
    client.get("/accounts/login/", secure=True)
    response = client.post(
        "/accounts/login/", {"login": "editor.fra", "password": PASSWORD}, secure=True
    )
    assert response.status_code == 302
    session, csrf = response.cookies["sessionid"], client.cookies["csrftoken"]
    for cookie in (session, csrf):
        assert cookie["secure"] is True
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"


# --- MFA on the admin ---------------------------------------------------------------------------


def test_admin_with_totp_but_without_the_second_step_cannot_reach_the_admin(anonymous):
    administrator = member(Role.ADMINISTRATOR, username="admin.two.steps")
    secret = enrol_totp(administrator)
    response = anonymous.post(
        "/accounts/login/", {"login": "admin.two.steps", "password": PASSWORD}
    )
    assert response["Location"] == reverse("mfa_authenticate")
    for path in ("/admin/", "/admin/core/auditentry/", "/admin/core/user/"):
        response = anonymous.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/admin/login/"), path
        assert anonymous.get(response["Location"])["Location"].startswith("/accounts/login/")
    anonymous.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert anonymous.get("/admin/").status_code == 302
    anonymous.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert anonymous.get("/admin/").status_code == 200  # the second step opens it


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.ADMINISTRATOR, None])
def test_staff_without_totp_are_sent_from_the_admin_to_enrolment(client_for, role):
    """Reviewers, administrators and superusers (None: a superuser with no role)."""
    user = member(role, username="staff") if role else member(Role.DONOR, organisation="EU")
    if role is None:
        user.is_superuser = user.is_staff = True
        user.save(update_fields=["is_superuser", "is_staff"])
    for path in ("/admin/", "/admin/core/user/"):
        response = client_for(user).get(path)
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_activate_totp")


# --- login rate limits --------------------------------------------------------------------------


def log_in(client: Client, password: str, address: str, login: str = "editor.fra"):
    """Through one reverse proxy, which appends the client's address to X-Forwarded-For."""
    return client.post(
        "/accounts/login/",
        {"login": login, "password": password},
        HTTP_X_FORWARDED_FOR=address,
        REMOTE_ADDR="10.0.0.2",
    )


def test_failed_logins_block_the_account_from_any_address_behind_the_proxy(settings, editor):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    for i in range(5):
        response = log_in(Client(), "wrong-password-1", f"198.51.100.{i}")
        assert b"Too many failed login attempts" not in response.content
    client = Client()
    response = log_in(client, PASSWORD, "203.0.113.9")
    assert "_auth_user_id" not in client.session
    assert b"Too many failed login attempts. Try again later." in response.content


def test_failed_logins_from_one_address_do_not_block_the_others(settings, editor):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    attacker = Client()
    for i in range(5):  # five different accounts: only the address's limit applies
        log_in(attacker, "wrong-password-1", "198.51.100.7", login=f"someone{i}")
    blocked = log_in(attacker, PASSWORD, "198.51.100.7")
    assert b"Too many failed login attempts" in blocked.content
    assert "_auth_user_id" not in attacker.session
    # Everyone comes through the same proxy (10.0.0.2): the others still log in.
    client = Client()
    assert log_in(client, PASSWORD, "203.0.113.5").status_code == 302
    assert client.session["_auth_user_id"] == str(editor.pk)


# --- passwords (OWASP ASVS level 2) -------------------------------------------------------------


class FakeRangeApi:
    """Have I Been Pwned's range endpoint, as seen by urlopen: records what was asked."""

    def __init__(self, breached: dict[str, int] | None = None, error: Exception | None = None):
        self.breached = breached or {}
        self.error = error
        self.requests = []

    def __call__(self, request, timeout):
        self.requests.append((request, timeout))
        if self.error:
            raise self.error
        prefix = request.full_url[-5:]
        lines = [
            f"{digest[5:]}:{count}"
            for digest, count in self.breached.items()
            if digest.startswith(prefix)
        ]
        lines += [f"{secrets.token_hex(18)[:35].upper()}:0" for _ in range(3)]  # padding
        return io.BytesIO("\r\n".join(lines).encode())


def sha1(password: str) -> str:
    return hashlib.sha1(password.encode()).hexdigest().upper()


@pytest.fixture
def range_api(monkeypatch, deployed):
    def install(**kwargs) -> FakeRangeApi:
        api = FakeRangeApi(**kwargs)
        monkeypatch.setattr("core.passwords.urllib.request.urlopen", api)
        return api

    return install


@pytest.mark.parametrize("length", [12, 64, 128])
def test_long_passphrases_are_accepted(range_api, editor, length):
    range_api()
    passphrase = ("correct horse battery staple " * 5)[: length - 3] + "ü9!"
    validate_password(passphrase, editor)


def test_short_common_and_breached_passwords_are_refused(range_api, editor):
    api = range_api(breached={sha1("tender-violet-harbour-77"): 4})
    cases = {
        "eleven-char": "password_too_short",
        "qwerty123456": "password_too_common",
        "tender-violet-harbour-77": "password_breached",
    }
    for password, code in cases.items():
        with pytest.raises(ValidationError) as refused:
            validate_password(password, editor)
        assert code in [error.code for error in refused.value.error_list], password
    # Only the first five characters of the hash left the server, with padding asked for.
    request, timeout = api.requests[-1]
    assert (
        request.full_url
        == "https://api.pwnedpasswords.com/range/" + sha1("tender-violet-harbour-77")[:5]
    )
    assert request.get_header("Add-padding") == "true" and timeout == 3
    assert "tender" not in request.full_url


def test_no_composition_rule_refuses_a_long_password_of_digits(range_api, editor):
    """ASVS 2.1.9: no rule on the kinds of characters. A long password of digits only is
    accepted unless it is common or breached."""
    range_api()
    validate_password("80471926355081", editor)


def test_breach_check_fails_open_with_a_warning_when_the_api_does_not_answer(
    range_api, editor, caplog
):
    range_api(error=urllib.error.URLError(TimeoutError("timed out")))
    with caplog.at_level(logging.WARNING, logger="core.passwords"):
        validate_password("tender-violet-harbour-77", editor)
    assert "breached-password check unavailable" in caplog.text


def test_password_change_page_refuses_a_breached_password(range_api, client_for, editor):
    range_api(breached={sha1("tender-violet-harbour-77"): 120})
    response = client_for(editor).post(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "tender-violet-harbour-77",
            "password2": "tender-violet-harbour-77",
        },
        secure=True,
    )
    assert response.status_code == 200
    assert b"appeared in a data breach" in response.content
    editor.refresh_from_db()
    assert editor.check_password(PASSWORD)
