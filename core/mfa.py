"""Has this person confirmed their second factor recently? (Submission requires it.)"""

import time

from allauth.account.internal.flows.login import get_authentication_records
from django.conf import settings
from django.http import HttpRequest


def has_recent_mfa(request: HttpRequest) -> bool:
    """True when the session holds a TOTP or recovery-code authentication younger than
    MFA_RECENT_MINUTES. API tokens never count: a submission needs the person."""
    user = request.user
    if not user.is_authenticated:
        return False
    if settings.DEBUG and user.is_demo:
        return True
    session = getattr(request, "session", None)
    if session is None:
        return False
    window = settings.MFA_RECENT_MINUTES * 60
    now = time.time()
    return any(
        record.get("method") == "mfa" and now - record.get("at", 0) < window
        for record in get_authentication_records(request, user)
    )
