"""The analysis of national reports for a meeting: editions, their progress, downloads."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.errors import WorkflowError
from core.views import deny, get_visible_or_404
from reporting import permissions, selectors
from reporting.models import AnalysisEdition, Meeting
from reporting.services import analysis


class EditionForm(forms.Form):
    language = forms.ChoiceField(label=gettext_lazy("Language"), choices=settings.LANGUAGES)
    kind = forms.ChoiceField(label=gettext_lazy("Edition"), choices=AnalysisEdition.Kind.choices)


def get_meeting_with_cycle(pk: int) -> Meeting:
    meeting = get_object_or_404(selectors.meetings_queryset().select_related("cycle"), pk=pk)
    if not hasattr(meeting, "cycle"):
        raise Http404
    return meeting


@require_GET
def meeting_analysis(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_with_cycle(pk)
    editions = selectors.editions_visible_to(request.user).filter(cycle=meeting.cycle)
    staff = permissions.can_build_analysis(request.user)
    return render(
        request,
        "reporting/analysis/editions.html",
        {
            "meeting": meeting,
            "editions": editions,
            "form": EditionForm() if staff else None,
            "can_build": staff,
        },
    )


@login_required
@require_POST
def analysis_build(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_with_cycle(pk)
    if not permissions.can_build_analysis(request.user):
        raise deny(request, "cannot build the analysis")
    form = EditionForm(request.POST)
    if form.is_valid():
        analysis.request_edition(
            cycle=meeting.cycle,
            language=form.cleaned_data["language"],
            kind=form.cleaned_data["kind"],
            by=request.user,
        )
        messages.success(request, _("The edition is being built. This page shows its progress."))
    else:
        messages.error(request, _("Choose a language and an edition."))
    return redirect("reporting:meeting-analysis", meeting.pk)


def get_edition_for_user(request: HttpRequest, pk: int) -> AnalysisEdition:
    return get_visible_or_404(request, selectors.editions_visible_to(request.user), pk=pk)


@login_required
@require_POST
def edition_publish(request: HttpRequest, pk: int) -> HttpResponse:
    edition = get_edition_for_user(request, pk)
    try:
        analysis.publish_edition(edition, by=request.user)
    except WorkflowError as exc:
        if exc.code == "forbidden":
            raise deny(request, exc.message) from None
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The public edition is published."))
    return redirect("reporting:meeting-analysis", edition.cycle.meeting_id)


@require_GET
def edition_download(request: HttpRequest, pk: int) -> FileResponse:
    edition = get_edition_for_user(request, pk)
    if not permissions.can_download_edition(request.user, edition):
        raise Http404
    response = FileResponse(
        edition.file.open("rb"),
        as_attachment=True,
        filename=f"analysis-{edition.cycle.meeting.short_name}-{edition.language}-"
        f"{edition.kind}-{edition.pk}.pdf",
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
