"""Reads of needs, offers and matches that depend on who is asking."""

from __future__ import annotations

from collections import Counter

from django.db.models import Count, Q, QuerySet

from assistance import matching, permissions
from assistance.models import Match, Need, Offer
from core.permissions import AnyUser, is_unoda_staff, states_for


def needs_visible_to(user: AnyUser) -> QuerySet[Need]:
    """Every need that is not withdrawn is on the board; a State's officials also see their
    own withdrawn needs, UNODA all. Restricted fields are hidden by `shows_restricted`."""
    needs = Need.objects.select_related("state")
    if is_unoda_staff(user):
        return needs
    own = states_for(user, *permissions.OFFICIAL_ROLES)
    return needs.filter(~Q(status=Need.Status.WITHDRAWN) | Q(state__in=own))


def shows_restricted(user: AnyUser, need: Need) -> bool:
    """Whether the user reads the need's description, cost and plan."""
    return not need.is_restricted or permissions.can_see_restricted_needs(user)


def offers_visible_to(user: AnyUser) -> QuerySet[Offer]:
    """Open offers are public; a donor also sees its closed ones, UNODA all."""
    offers = Offer.objects.select_related("donor_state", "donor_organisation")
    if is_unoda_staff(user):
        return offers
    mine = Q(pk__in=[])
    for state, organisation in permissions.donors_for(user):
        mine |= Q(donor_state=state, donor_organisation=organisation)
    return offers.filter(Q(status=Offer.Status.OPEN) | mine)


def matches_visible_to(user: AnyUser) -> QuerySet[Match]:
    """The donor's and the State's conversations; UNODA reads them all; nobody else."""
    matches = Match.objects.select_related(
        "need__state", "offer", "donor_state", "donor_organisation"
    )
    if is_unoda_staff(user):
        return matches
    visible = Q(need__state__in=states_for(user, *permissions.OFFICIAL_ROLES))
    for state, organisation in permissions.donors_for(user):
        visible |= Q(donor_state=state, donor_organisation=organisation)
    return matches.filter(visible)


def needs_by_region_and_theme(needs: QuerySet[Need]) -> Counter[tuple[str, str]]:
    """(M49 region, theme) → number of needs, for the board's chart."""
    rows = needs.order_by().values("state__region", "theme").annotate(n=Count("pk"))
    return Counter({(r["state__region"], r["theme"]): r["n"] for r in rows})


RANKED_NEEDS = 20


def candidate_offers(need: Need, user: AnyUser) -> list[dict]:
    """The best open offers for this need, each with the explanation of its score."""
    if need.status == Need.Status.WITHDRAWN:
        return []
    offers = offers_visible_to(user).filter(status=Offer.Status.OPEN)
    matrix = matching.load_offer_matrix(offers)
    ranked = matching.rank_offers(matching.need_data([need]), matrix, top=10)[need.pk]
    by_id = offers.prefetch_related("eligible_states").in_bulk([pk for pk, _score in ranked])
    return [
        {"offer": by_id[pk], "explanation": matching.explain(need, by_id[pk])} for pk, _s in ranked
    ]


def ranked_needs(offer: Offer, user: AnyUser) -> list[tuple[Need, int]]:
    """The needs this offer could help with, best first (open or in discussion)."""
    needs = needs_visible_to(user).filter(status__in=[Need.Status.OPEN, Need.Status.IN_DISCUSSION])
    [data] = matching.offer_data([offer])
    history = matching.donor_history([data.donor_key])
    ranked = matching.rank_needs(data, matching.load_needs(needs), history)[:RANKED_NEEDS]
    by_id = needs.in_bulk([pk for pk, _score in ranked])
    return [(by_id[pk], score) for pk, score in ranked]
