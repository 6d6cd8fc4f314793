"""Request-wide rules that no view may forget."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from core.audit import record_denial
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
                record_denial(request, reason="second factor not set up")
                return JsonResponse(
                    {"detail": _("Set up two-factor authentication before using the API.")},
                    status=403,
                )
            messages.warning(
                request, _("Your role requires two-factor authentication. Set it up to continue.")
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)


def body_limit(request: HttpRequest) -> int | None:
    """The largest body accepted for this request: uploads (multipart) up to
    UPLOAD_MAX_REQUEST_BYTES, everything else up to DATA_UPLOAD_MAX_MEMORY_SIZE."""
    if request.content_type == "multipart/form-data":
        return settings.UPLOAD_MAX_REQUEST_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class RequestSizeLimitMiddleware:
    """A request whose body is larger than the platform accepts gets 413 before anything
    reads it. Django checks DATA_UPLOAD_MAX_MEMORY_SIZE only when a form body is read, not
    when the API parses JSON, and spools uploaded files to disk whatever their size."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = body_limit(request)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django then reads no body at all
        if limit is not None and length > limit:
            return too_large(request, limit)
        return self.get_response(request)


def too_large(request: HttpRequest, limit: int) -> HttpResponse:
    """413 saying how large the request was and what is accepted: JSON for API calls and
    the page's JSON endpoints, the 413 page otherwise."""
    from core.views import wants_json

    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    message = _("The request is too large (%(size)s). The maximum is %(max)s.") % {
        "size": filesizeformat(length),
        "max": filesizeformat(limit),
    }
    if wants_json(request):
        return JsonResponse({"detail": message, "code": "too_large"}, status=413)
    return render(request, "413.html", {"message": message}, status=413)
