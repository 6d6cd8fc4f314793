"""Conversations between a donor and a State about a need, and their steps."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from assistance import permissions, selectors, services
from assistance.forms import AgreementForm
from assistance.models import Match
from core.errors import WorkflowError
from core.models import User
from core.views import deny, get_visible_or_404


def get_match_for_user(request: HttpRequest, pk: int) -> Match:
    """404 for anyone but the donor, the State and UNODA."""
    return get_visible_or_404(request, selectors.matches_visible_to(request.user), pk=pk)


@login_required
@require_GET
def match_list(request: HttpRequest) -> HttpResponse:
    matches = selectors.matches_visible_to(request.user)
    return render(
        request,
        "assistance/match_list.html",
        {"page": Paginator(matches, 50).get_page(request.GET.get("page"))},
    )


@login_required
@require_GET
def match_detail(request: HttpRequest, pk: int) -> HttpResponse:
    match = get_match_for_user(request, pk)
    side = permissions.side_in_match(request.user, match)
    return render(
        request,
        "assistance/match_detail.html",
        {
            "match": match,
            "side": side,
            "thread": match.messages.select_related("author"),
            "next_steps": Match.TRANSITIONS[match.status],
            "agreement_form": AgreementForm(),
        },
    )


def _agree(match: Match, by: User, post: QueryDict) -> Match:
    form = AgreementForm(post)
    if not form.is_valid():
        raise WorkflowError(" ".join(e for errors in form.errors.values() for e in errors))
    return services.record_agreement(
        match,
        by=by,
        agreement=form.cleaned_data["agreement"],
        amount=form.cleaned_data["amount"],
        currency=form.cleaned_data["currency"],
    )


ACTIONS: dict[str, Callable[[Match, User, QueryDict], object]] = {
    "message": lambda m, by, post: services.post_match_message(m, by=by, body=post.get("body", "")),
    "agree": _agree,
    "fund": lambda m, by, post: services.mark_match_funded(m, by=by),
    "complete": lambda m, by, post: services.complete_match(
        m, by=by, outcome=post.get("outcome", "")
    ),
    "decline": lambda m, by, post: services.decline_match(m, by=by),
    "withdraw": lambda m, by, post: services.withdraw_match(m, by=by),
}


@login_required
@require_POST
def match_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    match = get_match_for_user(request, pk)
    if action not in ACTIONS:
        raise Http404
    try:
        ACTIONS[action](match, request.user, request.POST)
    except WorkflowError as exc:
        if exc.code == "forbidden":
            raise deny(request, exc.message) from None
        messages.error(request, exc.message)
    return redirect("assistance:match-detail", match.pk)
