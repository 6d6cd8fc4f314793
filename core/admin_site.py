"""The Django admin, reachable only by UNODA administrators, through the platform's login
(so allauth's rate limits and MFA apply to it too)."""

from urllib.parse import urlencode

from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from core.audit import record_denial
from core.permissions import is_administrator


class PlatformAdminSite(admin.AdminSite):
    site_header = "PoA/ITI national reporting — administration"
    site_title = "PoA/ITI administration"

    def has_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and is_administrator(request.user)

    def login(self, request: HttpRequest, extra_context=None):
        next_url = request.GET.get("next") or reverse("admin:index")
        if request.user.is_authenticated and self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        if request.user.is_authenticated:
            # Logged in but not an administrator: no second login form, just the home page.
            record_denial(request, reason="not an administrator")
            return HttpResponseRedirect(reverse("dashboard"))
        return HttpResponseRedirect(reverse("account_login") + "?" + urlencode({"next": next_url}))
