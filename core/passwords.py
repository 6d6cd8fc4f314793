"""Refusing passwords found in known data breaches (OWASP ASVS 2.1.7), without sending them.

Have I Been Pwned's range API is asked for every breached SHA-1 hash that starts with the
same five hexadecimal characters as the password's (k-anonymity); the comparison of the rest
happens here. `Add-Padding` makes every answer about the same size, so that an observer of
the traffic cannot tell the prefix from the length of the response.
"""

from __future__ import annotations

import hashlib
import logging
import urllib.request

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def breach_count(password: str) -> int | None:
    """How many times the password appears in Have I Been Pwned's breach corpus (0: never),
    or None when the API could not be asked."""
    digest = hashlib.sha1(password.encode("utf-8"), usedforsecurity=False).hexdigest().upper()
    prefix, suffix = digest[:5], digest[5:]
    request = urllib.request.Request(  # noqa: S310 (the URL is a setting, https by default)
        settings.PASSWORD_BREACH_CHECK_URL + prefix,
        headers={"Add-Padding": "true", "User-Agent": "poa-reporting password check"},
    )
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=settings.PASSWORD_BREACH_CHECK_TIMEOUT
        ) as response:
            lines = response.read().decode("ascii", "replace").splitlines()
    except (OSError, ValueError) as exc:  # URLError, timeouts and HTTP errors are OSErrors
        logger.warning("breached-password check unavailable, password accepted: %s", exc)
        return None
    for line in lines:
        candidate, _sep, count = line.strip().partition(":")
        if candidate == suffix:
            # Padding lines have a count of 0: they are not breaches.
            return int(count) if count.isdigit() else 0
    return 0


class BreachedPasswordValidator:
    """Refuse a password that appears in a known data breach. Fails open when the API does
    not answer: a person must still be able to set a password (the other checks still
    apply), and the warning in the log shows it."""

    def validate(self, password: str, user=None) -> None:
        if breach_count(password):
            raise ValidationError(
                _(
                    "This password has appeared in a data breach and could be guessed. "
                    "Choose another one."
                ),
                code="password_breached",
            )

    def get_help_text(self) -> str:
        return _("Your password must not appear in known data breaches.")
