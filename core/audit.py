"""Writing audit entries. Services call `record`; auth signals record logins and denials."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import models
from django.dispatch import receiver
from django.http import HttpRequest

from core.models import AuditEntry, MemberState, User

security_log = logging.getLogger("django.security.poa")


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record(
    action: str,
    *,
    actor: User | None,
    obj: models.Model | None = None,
    state: MemberState | None = None,
    data: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEntry:
    """Append one audit entry. `action` is `app.noun.past_tense`, e.g. `core.invitation.sent`."""
    actor = actor if actor is not None and actor.is_authenticated else None
    entry = AuditEntry(
        actor=actor,
        actor_label=actor.get_username() if actor else "",
        action=action,
        state=state,
        ip_address=client_ip(request),
        data=data or {},
    )
    if obj is not None:
        entry.object_type = obj._meta.label_lower
        entry.object_id = str(obj.pk)
        entry.object_label = str(obj)[:255]
    entry.save()
    return entry


def record_denial(request: HttpRequest, *, reason: str, obj: models.Model | None = None) -> None:
    """Record a permission denial in the audit log and the security log."""
    user = getattr(request, "user", None)
    record(
        "core.permission.denied",
        actor=user,
        obj=obj,
        data={"path": request.path[:500], "method": request.method, "reason": reason},
        request=request,
    )
    security_log.warning(
        "permission denied: user=%s path=%s reason=%s",
        user.get_username() if user and user.is_authenticated else "anonymous",
        request.path,
        reason,
    )


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs) -> None:
    record("core.user.logged_in", actor=user, obj=user, request=request)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        record("core.user.logged_out", actor=user, obj=user, request=request)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    login = str(credentials.get("username") or credentials.get("email") or "")[:150]
    record("core.user.login_failed", actor=None, data={"login": login}, request=request)
    security_log.warning("failed login for %r from %s", login, client_ip(request))
