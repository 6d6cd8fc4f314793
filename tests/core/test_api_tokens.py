"""Personal API tokens: created in the UI or by command, hashed, revocable."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from core.models import ApiToken, AuditEntry, hash_secret

pytestmark = pytest.mark.django_db


def test_user_creates_token_in_ui_and_uses_it(client_for, editor, anonymous):
    response = client_for(editor).post(reverse("core:api-tokens"), {"name": "ministry script"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    secret = response.context["secret"]
    assert secret.startswith("poa_")
    token = ApiToken.objects.get(user=editor)
    assert token.key_hash == hash_secret(secret)
    assert secret not in token.key_hash
    api = anonymous.get("/api/v1/states/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert AuditEntry.objects.filter(action="core.api_token.created", actor=editor).exists()


def test_token_without_a_name_gets_a_clear_error(client_for, editor):
    response = client_for(editor).post(reverse("core:api-tokens"), {"name": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not ApiToken.objects.exists()


def test_revoked_or_wrong_token_is_refused(client_for, editor, anonymous):
    response = client_for(editor).post(reverse("core:api-tokens"), {"name": "t"})
    secret = response.context["secret"]
    token = ApiToken.objects.get()
    client_for(editor).post(reverse("core:api-token-revoke", args=[token.pk]))
    # Even on a public endpoint, credentials that are given must be valid.
    assert (
        anonymous.get("/api/v1/states/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    )
    assert anonymous.get("/api/v1/states/", HTTP_AUTHORIZATION="Bearer nope").status_code == 401


def test_outsider_cannot_revoke_someone_elses_token(client_for, editor, outsider):
    client_for(editor).post(reverse("core:api-tokens"), {"name": "t"})
    token = ApiToken.objects.get()
    response = client_for(outsider).post(reverse("core:api-token-revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_createapitoken_command_prints_a_working_token(editor, anonymous):
    out = StringIO()
    call_command("createapitoken", "editor.fra", stdout=out)
    secret = out.getvalue().strip()
    assert secret.startswith("poa_")
    assert (
        anonymous.get("/api/v1/meetings/", HTTP_AUTHORIZATION=f"Token {secret}").status_code == 200
    )


def test_createapitoken_for_unknown_user_fails_clearly(db):
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("createapitoken", "ghost")


def test_invalid_token_on_an_unrouted_format_gets_a_404_not_a_server_error(db, anonymous):
    """The 404 handler asks whether a hidden object exists; the caller's failing token must
    not turn that question into a server error."""
    response = anonymous.get(
        "/api/v1/sponsorship-applications/0.5/", HTTP_AUTHORIZATION="Bearer not-a-token"
    )
    assert response.status_code == 404
