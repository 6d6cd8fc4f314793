"""Donors' offers: the list, the forms, and each offer's ranked needs."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from assistance import permissions, selectors, services
from assistance.filters import OfferFilter
from assistance.forms import NewOfferForm, OfferForm
from assistance.models import Offer
from core.errors import WorkflowError
from core.i18n import region_name
from core.views import deny, get_visible_or_404


def get_offer_for_user(request: HttpRequest, pk: int, *, action: str = "view") -> Offer:
    offer = get_visible_or_404(request, selectors.offers_visible_to(request.user), pk=pk)
    if action == "edit" and not permissions.acts_for_donor(request.user, offer):
        raise deny(request, "cannot change this offer")
    return offer


@require_GET
def offer_list(request: HttpRequest) -> HttpResponse:
    offers = OfferFilter(request.GET or None, queryset=selectors.offers_visible_to(request.user))
    return render(
        request,
        "assistance/offer_list.html",
        {
            "filter": offers,
            "page": Paginator(offers.qs, 50).get_page(request.GET.get("page")),
            "is_donor": permissions.is_donor(request.user),
        },
    )


@require_GET
def offer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    offer = get_offer_for_user(request, pk)
    offer = Offer.objects.prefetch_related("eligible_states").get(pk=offer.pk)
    return render(
        request,
        "assistance/offer_detail.html",
        {
            "offer": offer,
            "is_owner": permissions.acts_for_donor(request.user, offer),
            "eligible_regions": [region_name(code) for code in offer.eligible_regions],
            "ranked": selectors.ranked_needs(offer, request.user),
        },
    )


@login_required
def offer_new(request: HttpRequest) -> HttpResponse:
    donors = permissions.donors_for(request.user)
    if not donors:
        raise deny(request, "cannot make offers")
    form = NewOfferForm(request.POST or None, donors=donors, initial={"currency": "USD"})
    if request.method == "POST" and form.is_valid():
        try:
            offer = services.save_offer(
                by=request.user, donor=form.chosen_donor(), data=form.cleaned_data
            )
        except WorkflowError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The offer was published."))
            return redirect("assistance:offer-detail", offer.pk)
    return render(request, "assistance/offer_form.html", {"form": form})


@login_required
def offer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    offer = get_offer_for_user(request, pk, action="edit")
    form = OfferForm(request.POST or None, instance=Offer.objects.get(pk=offer.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.save_offer(by=request.user, offer=offer, data=form.cleaned_data)
        except WorkflowError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The offer was saved."))
            return redirect("assistance:offer-detail", offer.pk)
    return render(request, "assistance/offer_form.html", {"form": form, "offer": offer})


@login_required
@require_POST
def offer_close(request: HttpRequest, pk: int) -> HttpResponse:
    offer = get_offer_for_user(request, pk, action="edit")
    try:
        services.close_offer(offer, by=request.user)
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The offer was closed."))
    return redirect("assistance:offer-detail", offer.pk)
