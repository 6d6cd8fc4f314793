"""Public pages, dashboards, invitations, people, API tokens, organisations, audit log."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

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
from core.models import ApiToken, Membership, MemberState, Notification, Organisation, Role
from core.tasks import HEARTBEAT_KEY

logger = logging.getLogger(__name__)


def deny(request: HttpRequest, reason: str) -> PermissionDenied:
    """Record a denial and return the exception for the caller to raise."""
    record_denial(request, reason=reason)
    return PermissionDenied(reason)


def get_membership_for_user(request: HttpRequest, pk: int, *, action: str) -> Membership:
    membership = get_object_or_404(selectors.memberships_manageable_by(request.user), pk=pk)
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


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness of the database and cache, and the last Celery heartbeat seen."""
    status = {"database": False, "cache": False}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        status["database"] = True
        cache.set("healthz", "ok", 10)
        status["cache"] = cache.get("healthz") == "ok"
        status["celery_heartbeat"] = cache.get(HEARTBEAT_KEY)
    except Exception:  # any failure means "not healthy"; say which part failed
        logger.exception("health check failed")
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
    token = get_object_or_404(ApiToken.objects.filter(user=request.user), pk=pk)
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
    return render(request, "403.html", status=403)


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
