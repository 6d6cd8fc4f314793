"""Request-wide rules that no view may forget."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from core.permissions import requires_mfa

#: Paths a person who still has to enrol a second factor may reach.
MFA_ENROLMENT_PATHS = ("/accounts/", "/i18n/", "/static/", "/healthz/", "/jsi18n/")


def needs_mfa_enrolment(user) -> bool:
    if not user.is_authenticated or not requires_mfa(user):
        return False
    if settings.DEBUG and user.is_demo:
        return False
    from allauth.mfa.utils import is_mfa_enabled

    return not is_mfa_enabled(user)


class MfaEnforcementMiddleware:
    """Approvers and UNODA staff must set up TOTP before anything else, the admin included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(MFA_ENROLMENT_PATHS) and needs_mfa_enrolment(request.user):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": _("Set up two-factor authentication before using the API.")},
                    status=403,
                )
            messages.warning(
                request, _("Your role requires two-factor authentication. Set it up to continue.")
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)
