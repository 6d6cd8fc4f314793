"""Login, rate limiting, closed sign-up and MFA enforcement."""

import re
from html import unescape

import pytest
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from core.models import AuditEntry, Role
from tests.conftest import enrol_totp
from tests.factories import PASSWORD, member

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def totp_code(secret: str) -> str:
    counter = next(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counter))


def test_editor_logs_in_with_password_and_login_is_audited(anonymous, editor):
    response = anonymous.post(LOGIN, {"login": "editor.fra", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert anonymous.get(reverse("dashboard")).status_code == 200
    assert AuditEntry.objects.filter(action="core.user.logged_in", actor=editor).exists()


def test_login_by_email_address(anonymous, editor):
    response = anonymous.post(LOGIN, {"login": editor.email, "password": PASSWORD})
    assert response.status_code == 302


def test_wrong_password_is_refused_and_audited(anonymous, editor):
    response = anonymous.post(LOGIN, {"login": "editor.fra", "password": "wrong-password-1"})
    assert response.status_code == 200
    assert "_auth_user_id" not in anonymous.session
    entry = AuditEntry.objects.get(action="core.user.login_failed")
    assert entry.data["login"] == "editor.fra"


def test_repeated_failed_logins_are_rate_limited(anonymous, editor):
    for _ in range(5):
        anonymous.post(LOGIN, {"login": "editor.fra", "password": "wrong-password-1"})
    # Even the right password is refused while the limit holds.
    response = anonymous.post(LOGIN, {"login": "editor.fra", "password": PASSWORD})
    assert "_auth_user_id" not in anonymous.session
    assert response.status_code in (200, 429)
    assert b"Too many failed login attempts" in response.content


def test_open_sign_up_is_closed(anonymous):
    response = anonymous.post(
        "/accounts/signup/",
        {
            "username": "intruder",
            "email": "i@example.org",
            "password1": "x" * 14,
            "password2": "x" * 14,
        },
    )
    assert response.status_code == 200
    assert b"Sign Up Closed" in response.content or b"closed" in response.content.lower()
    from core.models import User

    assert not User.objects.filter(username="intruder").exists()


INVITATION_ONLY = (
    "Accounts are opened by invitation only. If you need one, ask UNODA or your State's "
    "approver to invite you."
)
ALLAUTH_SIGN_UP = (
    "If you have not created an account yet, then please %(link)ssign up%(end_link)s first."
)


def in_language(client: Client, language: str, url: str) -> str:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = unescape(client.get(url).content.decode())
    assert f'<html lang="{language}"' in page
    return page


@pytest.mark.parametrize("language", ["en", "fr"])
def test_login_page_offers_no_sign_up(anonymous, language):
    page = in_language(anonymous, language, LOGIN)
    assert reverse("account_signup") not in page
    with translation.override(language):
        assert translation.gettext(INVITATION_ONLY) in page
        allauth_invites_to_sign_up = translation.gettext(ALLAUTH_SIGN_UP).split("%(link)s")[0]
    assert allauth_invites_to_sign_up.strip() not in page
    assert 'name="login"' in page and 'name="password"' in page


@pytest.mark.parametrize("language", ["en", "fr"])
def test_sign_up_address_says_sign_up_is_closed(anonymous, language):
    page = in_language(anonymous, language, reverse("account_signup"))
    with translation.override(language):
        heading = re.escape(translation.gettext("Sign-up is closed"))
        assert re.search(rf"<h1>\s*{heading}\s*</h1>", page)
        assert translation.gettext(INVITATION_ONLY) in page
    assert 'name="password1"' not in page
    assert f'href="{LOGIN}"' in page


@pytest.mark.parametrize("role", [Role.STATE_APPROVER, Role.REVIEWER, Role.ADMINISTRATOR])
def test_roles_that_need_mfa_are_sent_to_enrolment(anonymous, role):
    member(role, state="FRA" if role == Role.STATE_APPROVER else None, username="someone")
    anonymous.post(LOGIN, {"login": "someone", "password": PASSWORD})
    for page in (reverse("dashboard"), reverse("core:people"), "/admin/"):
        response = anonymous.get(page)
        assert response.status_code == 302
        assert response["Location"] == reverse("mfa_activate_totp")
    # Enrolment: confirm the password once more, scan the code, type a code: done.
    response = anonymous.get(reverse("mfa_activate_totp"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    anonymous.post(response["Location"], {"password": PASSWORD})
    response = anonymous.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200
    assert b"<img" in response.content
    secret = anonymous.session["mfa.totp.secret"]
    anonymous.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert anonymous.get(reverse("dashboard")).status_code == 200


def test_api_refuses_session_user_without_mfa(client_for):
    client = client_for(member(Role.REVIEWER))
    response = client.get("/api/v1/states/")
    assert response.status_code == 403


def test_admin_site_requires_mfa_enrolment(client_for):
    client = client_for(member(Role.ADMINISTRATOR))
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_admin_site_login_goes_through_platform_login(anonymous):
    response = anonymous.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_administrator_with_mfa_reaches_admin_and_others_do_not(client_for, administrator, editor):
    assert client_for(administrator).get("/admin/").status_code == 200
    assert client_for(administrator).get("/admin/core/auditentry/").status_code == 200
    response = client_for(editor).get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert client_for(editor).get("/admin/core/auditentry/", follow=True).redirect_chain[-1][
        0
    ] == reverse("dashboard")


def test_editor_needs_no_second_factor(client_for, editor):
    assert client_for(editor).get(reverse("dashboard")).status_code == 200


def test_approver_login_asks_for_totp_code(anonymous, db):
    approver = member(Role.STATE_APPROVER, state="FRA", username="approver.fra")
    secret = enrol_totp(approver)
    response = anonymous.post(LOGIN, {"login": "approver.fra", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in anonymous.session
    bad = anonymous.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert "_auth_user_id" not in anonymous.session
    assert bad.status_code == 200
    response = anonymous.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert anonymous.session["_auth_user_id"] == str(approver.pk)
    assert anonymous.get(reverse("dashboard")).status_code == 200


def test_demo_accounts_skip_mfa_only_when_debug_is_on(client_for, settings):
    user = member(Role.REVIEWER, is_demo=True)
    settings.DEBUG = True
    assert client_for(user).get(reverse("dashboard")).status_code == 200
    settings.DEBUG = False
    assert client_for(user).get(reverse("dashboard")).status_code == 302


def test_password_reset_sends_a_link_by_email(anonymous, editor, mailoutbox):
    response = anonymous.post("/accounts/password/reset/", {"email": editor.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [editor.email]
    assert "/accounts/password/reset/key/" in mailoutbox[0].body
