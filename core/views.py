"""Public pages, dashboards, invitations, people, API tokens, organisations, audit log."""

from __future__ import annotations

import logging
import sys

import redis
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.paginator import Paginator
from django.db import InterfaceError, OperationalError, connection
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from redis.backoff import NoBackoff
from redis.retry import Retry
from rest_framework import exceptions as api_exceptions

from core import permissions, selectors, services
from core.audit import record_denial
from core.errors import WorkflowError
from core.forms import (
    AcceptInvitationForm,
    ApiTokenForm,
    AuditFilterForm,
    InvitationForm,
    OrganisationForm,
    ProfileForm,
)
from core.middleware import too_large
from core.models import ApiToken, Membership, MemberState, Notification, Organisation, Role
from core.tasks import HEARTBEAT_KEY

logger = logging.getLogger(__name__)


def deny(request: HttpRequest, reason: str) -> PermissionDenied:
    """Record a denial and return the exception for the caller to raise."""
    record_denial(request, reason=reason)
    denied = PermissionDenied(reason)
    denied.recorded = True  # so that the 403 handlers do not record it twice
    return denied


def hide(request: HttpRequest, reason: str) -> Http404:
    """Record a denial answered as "not found" (another State's data, say) and return the
    exception for the caller to raise: the visitor learns nothing, the security log does."""
    record_denial(request, reason=reason)
    return Http404(reason)


def get_visible_or_404[M: Model](request: HttpRequest, queryset: QuerySet[M], **lookup) -> M:
    """The object matching `lookup` among `queryset` (a selector scoped to the user), else
    404. When the object exists but is hidden from this user (another State's, say), the
    404 is a denial and is recorded like one; an object that does not exist is a plain 404."""
    try:
        return queryset.get(**lookup)
    except queryset.model.DoesNotExist:
        model = queryset.model
        if model._base_manager.filter(**lookup).exists():
            raise hide(request, f"{model._meta.label_lower} not visible") from None
        raise Http404(f"No {model._meta.object_name} matches the given query.") from None


def get_membership_for_user(request: HttpRequest, pk: int, *, action: str) -> Membership:
    membership = get_visible_or_404(
        request, selectors.memberships_manageable_by(request.user), pk=pk
    )
    if action == "revoke" and not permissions.can_revoke_membership(request.user, membership):
        raise deny(request, "cannot revoke membership")
    return membership


@require_GET
def states_list(request: HttpRequest) -> HttpResponse:
    states = selectors.states_queryset()
    group = request.GET.get("group", "")
    if group in MemberState.RegionalGroup.values:
        states = states.filter(regional_group=group)
    # Alphabetical in the reader's language, not in English.
    states = sorted(states, key=lambda state: state.localized_name().casefold())
    return render(
        request,
        "core/states.html",
        {
            "states": states,
            "groups": MemberState.RegionalGroup.choices,
            "group": group,
        },
    )


#: How long /healthz/ waits for the broker: a probe must answer fast even when Redis is gone.
BROKER_PING_TIMEOUT = 0.5


def broker_reachable() -> bool:
    """Does the Celery broker answer a PING within BROKER_PING_TIMEOUT? Without a broker
    (tasks run in-process) there is nothing to reach, so the answer is yes."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return True
    client = redis.Redis.from_url(
        url,
        socket_connect_timeout=BROKER_PING_TIMEOUT,
        socket_timeout=BROKER_PING_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
    )
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def _database_answers() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return True


def _cache_answers() -> bool:
    cache.set("healthz", "ok", 10)
    return cache.get("healthz") == "ok"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness of the database, cache and Celery broker, and the last Celery heartbeat seen.
    503 only when the database or the cache fails: without the broker, pages and autosave
    still work and tasks wait, so the broker's state is reported for monitoring only."""
    status: dict = {}
    for part, check in (("database", _database_answers), ("cache", _cache_answers)):
        try:
            status[part] = check()
        except Exception:  # any failure means "not healthy"; say which part failed
            logger.exception("health check failed: %s", part)
            status[part] = False
    status["broker"] = broker_reachable()
    status["celery_heartbeat"] = cache.get(HEARTBEAT_KEY) if status["cache"] else None
    healthy = status["database"] and status["cache"]
    return JsonResponse(status, status=200 if healthy else 503)


@login_required
def invitation_create(request: HttpRequest) -> HttpResponse:
    if not (
        permissions.is_administrator(request.user)
        or permissions.states_for(request.user, Role.STATE_APPROVER)
    ):
        raise deny(request, "cannot invite")
    form = InvitationForm(
        request.POST or None, inviter=request.user, initial={"language": request.LANGUAGE_CODE}
    )
    if request.method == "POST" and form.is_valid():
        try:
            invitation, _link = services.invite_person(by=request.user, **form.cleaned_data)
        except WorkflowError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
            )
            return redirect("core:people")
    return render(request, "core/invitation_form.html", {"form": form})


def _invitation_or_error(request: HttpRequest, token: str):
    invitation = services.find_invitation(token)
    if invitation is None:
        raise Http404(_("This invitation link is not valid."))
    if not invitation.is_usable:
        used = invitation.accepted_at is not None
        return None, render(request, "core/invitation_invalid.html", {"used": used}, status=410)
    return invitation, None


@never_cache
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation, error = _invitation_or_error(request, token)
    if error:
        return error
    user = request.user
    if user.is_authenticated:
        if request.method == "POST":
            try:
                services.accept_invitation(invitation=invitation, user=user, request=request)
            except WorkflowError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Welcome. Your new role is active."))
                return redirect("dashboard")
        return render(request, "core/invitation_accept.html", {"invitation": invitation})
    if services.account_exists(invitation.email):
        return render(
            request, "core/invitation_accept.html", {"invitation": invitation, "login_first": True}
        )
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            new_user = services.create_user_from_invitation(
                invitation=invitation,
                username=data["username"],
                password=data["password1"],
                first_name=data["first_name"],
                last_name=data["last_name"],
            )
            services.accept_invitation(invitation=invitation, user=new_user, request=request)
        except WorkflowError as exc:
            form.add_error(None, exc.message)
        else:
            login(request, new_user, backend="allauth.account.auth_backends.AuthenticationBackend")
            messages.success(request, _("Welcome. Your account is ready."))
            return redirect("dashboard")
    return render(request, "core/invitation_accept.html", {"invitation": invitation, "form": form})


@login_required
@require_GET
def people(request: HttpRequest) -> HttpResponse:
    memberships = selectors.memberships_manageable_by(request.user)
    if not (
        permissions.is_administrator(request.user)
        or permissions.states_for(request.user, Role.STATE_APPROVER)
    ):
        raise deny(request, "cannot manage people")
    page = Paginator(memberships.order_by("revoked_at", "state__name", "user__username"), 50)
    return render(
        request,
        "core/people.html",
        {
            "page": page.get_page(request.GET.get("page")),
        },
    )


@login_required
@require_POST
def membership_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    membership = get_membership_for_user(request, pk, action="revoke")
    try:
        services.revoke_membership(membership=membership, by=request.user)
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The role was revoked."))
    return redirect("core:people")


@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, secret = services.create_api_token(
                user=request.user,
                name=form.cleaned_data["name"],
                expires_at=form.cleaned_data["expires_at"],
                request=request,
            )
        except WorkflowError as exc:
            form.add_error(None, exc.message)
        else:
            form = ApiTokenForm()
    tokens = ApiToken.objects.filter(user=request.user)
    response = render(
        request, "core/api_tokens.html", {"form": form, "tokens": tokens, "secret": secret}
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_visible_or_404(request, ApiToken.objects.filter(user=request.user), pk=pk)
    services.revoke_api_token(token=token, by=request.user)
    messages.success(request, _("The token was revoked."))
    return redirect("core:api-tokens")


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        services.update_profile(user=request.user, **form.cleaned_data)
        messages.success(request, _("Your profile was saved."))
        return redirect("core:profile")
    return render(request, "core/profile.html", {"form": form})


@login_required
@require_GET
def organisations(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/organisations.html",
        {
            "organisations": selectors.organisations_visible_to(request.user),
            "can_manage": permissions.can_manage_organisations(request.user),
        },
    )


@login_required
def organisation_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if not permissions.can_manage_organisations(request.user):
        raise deny(request, "cannot manage organisations")
    instance = get_object_or_404(Organisation, pk=pk) if pk else None
    form = OrganisationForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        services.save_organisation(organisation=form.instance, by=request.user)
        messages.success(request, _("The organisation was saved."))
        return redirect("core:organisations")
    return render(request, "core/organisation_form.html", {"form": form, "object": instance})


@login_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    if not permissions.can_view_audit_log(request.user):
        raise deny(request, "cannot view audit log")
    form = AuditFilterForm(request.GET or None)
    entries = selectors.audit_entries_visible_to(request.user)
    if form.is_valid():
        data = form.cleaned_data
        if data["action"]:
            entries = entries.filter(action__startswith=data["action"])
        if data["actor"]:
            entries = entries.filter(actor_label__iexact=data["actor"])
        if data["state"]:
            entries = entries.filter(state=data["state"])
        if data["since"]:
            entries = entries.filter(at__date__gte=data["since"])
        if data["until"]:
            entries = entries.filter(at__date__lte=data["until"])
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "core/audit_log.html", {"form": form, "page": page})


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    """handler403. Every refusal reaches the security log once: those raised through `deny`
    are recorded already; the others (the admin's read-only forms, say) are recorded here."""
    if not getattr(exception, "recorded", False):
        record_denial(request, reason=str(exception or "") or "permission denied")
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    """handler404. Under /api/ (a URL no route matches, such as /api/v1/reports/1.5/) the
    API's JSON error, as its schema documents; elsewhere the 404 page."""
    if wants_json(request):
        return JsonResponse({"detail": str(api_exceptions.NotFound.default_detail)}, status=404)
    return defaults.page_not_found(request, exception)


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    """handler400 (a request Django refuses before any view: a suspicious host or file name,
    too many form fields, form fields larger than DATA_UPLOAD_MAX_MEMORY_SIZE): JSON for API
    calls, the plain 400 page otherwise; a body too large is a 413 that says so."""
    if isinstance(exception, RequestDataTooBig):
        return too_large(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    if wants_json(request):
        return JsonResponse({"detail": str(api_exceptions.ParseError.default_detail)}, status=400)
    return defaults.bad_request(request, exception)


#: Seconds a client is asked to wait before sending again while the database is unreachable.
RETRY_AFTER_SECONDS = 10


def wants_json(request: HttpRequest) -> bool:
    """API calls and the page's JSON endpoints (autosave) get JSON errors, pages get HTML."""
    accept = request.headers.get("Accept", "")
    return (
        request.path.startswith("/api/")
        or request.content_type == "application/json"
        or ("application/json" in accept and "text/html" not in accept)
    )


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: the transaction was rolled back, so the request may be sent again
    as it is (an autosave whose first attempt did land is recognised on retry). Rendered
    without the request's context, whose processors would query the database."""
    message = _("The service is briefly unavailable. Please try again in a moment.")
    if wants_json(request):
        response: HttpResponse = JsonResponse(
            {"detail": message, "code": "unavailable"}, status=503
        )
    else:
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500. A lost or refused database connection (PostgreSQL restarting, a
    fail-over) or another transient database error rolls the transaction back: 503 with
    Retry-After, so clients retry. Anything else is the plain 500 page."""
    if isinstance(sys.exception(), OperationalError | InterfaceError):
        return service_unavailable(request)
    return HttpResponseServerError(loader.get_template("500.html").render())


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The person's notifications; POST marks them all as read."""
    if request.method == "POST":
        services.mark_notifications_read(user=request.user)
        return redirect("core:notifications")
    page = Paginator(Notification.objects.filter(user=request.user), 50)
    return render(
        request,
        "core/notifications.html",
        {
            "page": page.get_page(request.GET.get("page")),
        },
    )
