"""URLs of the autosave benchmark's server: every URL of the app, as deployed, then the
baseline endpoint, which does one UPDATE of one row per request behind the same middleware
(sessions, CSRF, authentication, two-factor enforcement: the whole stack of the settings)."""

import json

from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.http import require_POST

from config.urls import handler403  # noqa: F401
from config.urls import urlpatterns as app_urlpatterns
from reporting.models import Answer


@login_required
@require_POST
def bare_update(request: HttpRequest, pk: int) -> JsonResponse:
    """The least a save can do: read the JSON body, UPDATE one row, answer in JSON."""
    value = json.loads(request.body)["value"]
    updated = Answer.objects.filter(pk=pk).update(value=value, revision=F("revision") + 1)
    return JsonResponse({"updated": updated})


urlpatterns = [*app_urlpatterns, path("bench/bare-update/<int:pk>/", bare_update)]
