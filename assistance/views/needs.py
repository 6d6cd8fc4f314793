"""The needs board (public), a need's page with its candidate offers, and the State's forms."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language_bidi, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from assistance import permissions, selectors, services
from assistance.filters import NeedFilter
from assistance.forms import InterestForm, NeedForm
from assistance.models import Need, Theme
from core.errors import WorkflowError
from core.permissions import states_for
from core.views import deny, get_visible_or_404
from reporting.exports import csv_cell
from reporting.filters import REGIONS


def get_need_for_user(request: HttpRequest, pk: int, *, action: str = "view") -> Need:
    """404 for a need the user cannot see; 403 when they may see it but not change it."""
    need = get_visible_or_404(request, selectors.needs_visible_to(request.user), pk=pk)
    if action == "edit" and not permissions.can_edit_need(request.user, need):
        raise deny(request, "cannot change this need")
    return need


def _board_needs(request: HttpRequest) -> NeedFilter:
    return NeedFilter(
        request.GET or None,
        queryset=selectors.needs_visible_to(request.user).order_by("-created_at", "-pk"),
    )


def _chart(needs) -> dict:
    """Needs by theme (rows) and region (columns), laid out for an SVG heat map that mirrors
    in right-to-left languages."""
    counts = selectors.needs_by_region_and_theme(needs)
    regions = list(REGIONS)
    highest = max(counts.values(), default=0)
    rtl = get_language_bidi()
    label_width, cell, height = 280, 90, 30
    width = label_width + cell * len(regions)
    columns = [
        {"label": label, "x": (cell * (len(regions) - 1 - i) if rtl else label_width + cell * i)}
        for i, (_code, label) in enumerate(regions)
    ]
    rows = []
    for r, (value, label) in enumerate(Theme.choices):
        cells = []
        for c, (code, _label) in enumerate(regions):
            n = counts.get((code, value), 0)
            opacity = round(0.1 + 0.9 * n / highest, 2) if n else 0
            cells.append({"n": n, "x": columns[c]["x"], "opacity": opacity})
        total = sum(c["n"] for c in cells)
        rows.append({"label": label, "y": 40 + r * height, "cells": cells, "total": total})
    return {
        "rows": rows,
        "columns": columns,
        "width": width,
        "height": 40 + height * len(rows),
        # "start" is the right edge in right-to-left text: labels grow away from the cells.
        "label_x": width - 8 if rtl else 8,
        "cell": cell,
        "row_height": height,
        "total": sum(counts.values()),
    }


@require_GET
def board(request: HttpRequest) -> HttpResponse:
    """Needs anyone can browse, with filters, a chart by region and theme, and CSV."""
    needs = _board_needs(request)
    page = Paginator(needs.qs, 50).get_page(request.GET.get("page"))
    for need in page:
        need.details_shown = selectors.shows_restricted(request.user, need)
    return render(
        request,
        "assistance/board.html",
        {
            "filter": needs,
            "page": page,
            "chart": _chart(needs.qs),
            "own_states": states_for(request.user, *permissions.OFFICIAL_ROLES),
            "is_donor": permissions.is_donor(request.user),
        },
    )


CSV_HEADER = (
    ("id", "ID"),
    ("state", pgettext("country", "State")),
    ("iso3", "ISO3"),
    ("region", "Region"),
    ("group", "UN regional group"),
    ("theme", "Theme"),
    ("type", "Type of assistance"),
    ("priority", "Priority"),
    ("status", "Status"),
    ("description", "Description"),
    ("estimated_cost", "Estimated cost"),
    ("currency", "Currency"),
    ("recorded", "Recorded on"),
)


@require_GET
def board_csv(request: HttpRequest) -> HttpResponse:
    """The filtered needs as CSV (UTF-8 with BOM, formulas neutralised); restricted fields
    stay empty for those who may not read them."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="assistance-needs.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([_(label) for _key, label in CSV_HEADER])
    for need in _board_needs(request).qs.iterator(chunk_size=500):
        shown = selectors.shows_restricted(request.user, need)
        writer.writerow(
            csv_cell(value)
            for value in (
                need.pk,
                need.state,
                need.state.iso3,
                need.state.region_name,
                need.state.get_regional_group_display(),
                need.get_theme_display(),
                need.get_kind_display(),
                need.get_priority_display(),
                need.get_status_display(),
                need.description if shown else "",
                need.estimated_cost if shown and need.estimated_cost is not None else "",
                need.currency if shown else "",
                need.created_at.date().isoformat(),
            )
        )
    return response


@require_GET
def need_detail(request: HttpRequest, pk: int) -> HttpResponse:
    need = get_need_for_user(request, pk)
    donors = permissions.donors_for(request.user)
    open_need = permissions.can_express_interest(request.user, need)
    return render(
        request,
        "assistance/need_detail.html",
        {
            "need": need,
            "details_shown": selectors.shows_restricted(request.user, need),
            "can_edit": permissions.can_edit_need(request.user, need),
            "candidates": selectors.candidate_offers(need, request.user),
            "matches": selectors.matches_visible_to(request.user).filter(need=need),
            "interest_form": InterestForm(donors=donors) if open_need else None,
        },
    )


@login_required
def need_new(request: HttpRequest) -> HttpResponse:
    own = states_for(request.user, *permissions.OFFICIAL_ROLES)
    if not own:
        raise deny(request, "cannot record needs")
    form = NeedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            need = services.record_need(by=request.user, state=own[0], data=form.cleaned_data)
        except WorkflowError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The need was recorded."))
            return redirect("assistance:need-detail", need.pk)
    return render(request, "assistance/need_form.html", {"form": form, "state": own[0]})


@login_required
def need_edit(request: HttpRequest, pk: int) -> HttpResponse:
    need = get_need_for_user(request, pk, action="edit")
    form = NeedForm(request.POST or None, instance=Need.objects.get(pk=need.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_need(need, by=request.user, data=form.cleaned_data)
        except WorkflowError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The need was saved."))
            return redirect("assistance:need-detail", need.pk)
    return render(request, "assistance/need_form.html", {"form": form, "state": need.state})


@login_required
@require_POST
def need_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    need = get_need_for_user(request, pk, action="edit")
    try:
        services.withdraw_need(need, by=request.user)
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The need was withdrawn."))
    return redirect("assistance:need-detail", need.pk)


@login_required
@require_POST
def need_interest(request: HttpRequest, pk: int) -> HttpResponse:
    need = get_need_for_user(request, pk)
    donors = permissions.donors_for(request.user)
    if not permissions.can_express_interest(request.user, need):
        raise deny(request, "cannot express interest in this need")
    form = InterestForm(request.POST, donors=donors)
    if form.is_valid():
        try:
            match = services.express_interest(
                need,
                by=request.user,
                donor=form.chosen_donor(),
                offer=form.cleaned_data.get("offer"),
                message=form.cleaned_data["message"],
            )
        except WorkflowError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The State was told of your interest."))
            return redirect("assistance:match-detail", match.pk)
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return redirect("assistance:need-detail", need.pk)
