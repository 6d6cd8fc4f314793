"""Ranking offers against needs, with a plain-language reason for every point.

One scoring rule, vectorised with numpy: `OfferMatrix.score_components` computes each
factor's points for every (need, offer) pair at once; the ranked lists and the explanation
of a single pair both come from it, so what the page explains is what the ranking used.

Factors (out of 100): theme 40, type of assistance 20, eligibility 15, budget fit 15, the
donor's past support in the need's region 10. An offer that does not cover the need's
State is never a candidate. Each factor's points are rounded to a whole number (halves up)
and the score is their sum, so the points shown always add up to the score.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from django.db.models import Count, QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assistance.models import AssistanceType, Match, Need, Offer, Theme, donor_key
from core.i18n import region_name
from core.models import MemberState

WEIGHTS = {"theme": 40, "kind": 20, "eligibility": 15, "budget": 15, "history": 10}
#: Points for 0, 1, 2 and 3 or more needs the donor helped fund in the region.
HISTORY_POINTS = (0, 5, 8, 10)
THEMES = list(Theme.values)
KINDS = list(AssistanceType.values)
#: Needs scored at once: bounds memory to a few (CHUNK × offers) arrays.
CHUNK = 500
#: The (donor key, M49 region) → number of needs funded there, as `donor_history` returns.
History = dict[tuple[str, str], int]


@dataclass(frozen=True)
class NeedData:
    id: int
    theme: str
    kind: str
    state_id: int
    region: str
    cost: float | None
    currency: str


@dataclass(frozen=True)
class OfferData:
    id: int
    donor_key: str
    themes: frozenset[str]
    kinds: frozenset[str]
    regions: frozenset[str]
    state_ids: frozenset[int]
    budget_min: float | None
    budget_max: float | None
    currency: str


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def need_data(needs: Iterable[Need]) -> list[NeedData]:
    """Needs with their `state` loaded (select_related)."""
    return [
        NeedData(
            n.pk, n.theme, n.kind, n.state_id, n.state.region, _number(n.estimated_cost), n.currency
        )
        for n in needs
    ]


def offer_data(offers: Iterable[Offer]) -> list[OfferData]:
    """Offers with their donor loaded and `eligible_states` prefetched."""
    return [
        OfferData(
            o.pk,
            donor_key(o.donor_state, o.donor_organisation),
            frozenset(o.themes),
            frozenset(o.kinds),
            frozenset(o.eligible_regions),
            frozenset(s.pk for s in o.eligible_states.all()),
            _number(o.budget_min),
            _number(o.budget_max),
            o.currency,
        )
        for o in offers
    ]


def load_needs(needs: QuerySet[Need]) -> list[NeedData]:
    """The needs of a queryset, read with the few columns scoring uses (one query)."""
    return need_data(
        needs.select_related("state").only(
            "theme", "kind", "estimated_cost", "currency", "state__region"
        )
    )


def load_offer_matrix(offers: QuerySet[Offer]) -> OfferMatrix:
    """The offers of a queryset and their donors' history, ready to score (three queries)."""
    loaded = offer_data(
        offers.select_related("donor_state", "donor_organisation").prefetch_related(
            "eligible_states"
        )
    )
    return OfferMatrix(loaded, donor_history({o.donor_key for o in loaded}))


def donor_history(donor_keys: Iterable[str] | None = None) -> History:
    """(donor, M49 region) → how many needs the donor funded there (funded or completed)."""
    matches = Match.objects.filter(status__in=[Match.Status.FUNDED, Match.Status.COMPLETED])
    if donor_keys is not None:
        matches = matches.filter(donor_key__in=set(donor_keys))
    rows = (
        matches.order_by()
        .values("donor_key", "need__state__region")
        .annotate(n=Count("need", distinct=True))
    )
    return {(r["donor_key"], r["need__state__region"]): r["n"] for r in rows}


def _table(values: Sequence[Iterable], vocabulary: Sequence) -> np.ndarray:
    """One row per vocabulary entry, one column per offer: True where the offer lists it.
    A last row, all False, stands for any value outside the vocabulary."""
    index = {v: i for i, v in enumerate(vocabulary)}
    table = np.zeros((len(vocabulary) + 1, len(values)), dtype=bool)
    for column, chosen in enumerate(values):
        table[[index[v] for v in chosen if v in index], column] = True
    return table


def _rows(vocabulary: Sequence, values: Iterable) -> np.ndarray:
    """The table row of each value; the last row for a value outside the vocabulary."""
    index = {v: i for i, v in enumerate(vocabulary)}
    return np.array([index.get(v, len(vocabulary)) for v in values], dtype=np.intp)


def _amounts(values: Iterable[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _weight(factor: str) -> np.float32:
    """A factor's full points, typed so that True × weight stays a small float array."""
    return np.float32(WEIGHTS[factor])


def _round(points: np.ndarray) -> np.ndarray:
    """Whole points, halves rounded up (7.5 → 8), as the explanation shows them."""
    return np.floor(points + 0.5)


class OfferMatrix:
    """The offers side, prepared once and scored against any number of needs. Columns are
    in offer id order, so the lower id comes first between equal scores."""

    def __init__(self, offers: Sequence[OfferData], history: History):
        self.offers = offers = sorted(offers, key=lambda o: o.id)
        self.ids = np.array([o.id for o in offers], dtype=np.int64)
        self.regions = sorted({r for o in offers for r in o.regions} | {r for _k, r in history})
        self.named_ids = sorted({i for o in offers for i in o.state_ids})
        self.themes = _table([o.themes for o in offers], THEMES)
        self.kinds = _table([o.kinds for o in offers], KINDS)
        self.in_region = _table([o.regions for o in offers], self.regions)
        self.names_state = _table([o.state_ids for o in offers], self.named_ids)
        self.open_to_all = np.array([not o.regions and not o.state_ids for o in offers], bool)
        self.low = _amounts(o.budget_min for o in offers)
        self.high = _amounts(o.budget_max for o in offers)
        self.currencies = sorted({o.currency for o in offers})
        self.currency = _rows(self.currencies, (o.currency for o in offers))
        counts = [
            [history.get((o.donor_key, region), 0) for o in offers] for region in self.regions
        ]
        counts.append([0] * len(offers))  # needs in a region nobody funded or limited to
        capped = np.minimum(np.array(counts, dtype=np.intp), 3)
        self.history = np.array(HISTORY_POINTS, dtype=np.float64)[capped]

    def score_components(self, needs: Sequence[NeedData]) -> dict[str, np.ndarray]:
        """Whole points per factor, each an array of shape (needs, offers), and `eligible`."""
        regions = _rows(self.regions, (n.region for n in needs))
        eligible = (
            self.open_to_all[None, :]
            | self.in_region[regions]
            | self.names_state[_rows(self.named_ids, (n.state_id for n in needs))]
        )
        return {
            "theme": self.themes[_rows(THEMES, (n.theme for n in needs))] * _weight("theme"),
            "kind": self.kinds[_rows(KINDS, (n.kind for n in needs))] * _weight("kind"),
            "eligibility": eligible * _weight("eligibility"),
            "budget": self._budget_points(needs),
            "history": self.history[regions],
            "eligible": eligible,
        }

    def _budget_points(self, needs: Sequence[NeedData]) -> np.ndarray:
        """Full points within the offer's range; outside it, the share the offer covers
        (max / cost above the range, cost / min below it); half when the amounts cannot be
        compared (no cost, no range, or different currencies)."""
        weight = float(WEIGHTS["budget"])
        cost = _amounts(n.cost for n in needs)[:, None]
        currency = _rows(self.currencies, (n.currency for n in needs))
        # weight × amount first, then one division: 15 × 5,000 / 10,000 is exactly 7.5.
        with np.errstate(divide="ignore", invalid="ignore"):
            points = np.where(cost > self.high, weight * self.high / cost, weight)
            points = np.where(cost < self.low, weight * cost / self.low, points)
        unknown = (
            np.isnan(cost)
            | (np.isnan(self.low) & np.isnan(self.high))
            | (currency[:, None] != self.currency)
        )
        return _round(np.where(unknown, weight / 2, points))

    def totals(self, needs: Sequence[NeedData]) -> np.ndarray:
        """Scores 0–100, the sum of the factors' points, or -1 where the offer does not
        cover the need's State."""
        return _total(self.score_components(needs))


def _total(parts: dict[str, np.ndarray]) -> np.ndarray:
    """The sum of the factors' points, or -1 where the pair is not eligible."""
    total = sum(parts[name] for name in WEIGHTS)
    return np.where(parts["eligible"], total, -1).astype(np.int64)


def rank_offers(
    needs: Sequence[NeedData], matrix: OfferMatrix, *, top: int = 10
) -> dict[int, list[tuple[int, int]]]:
    """For each need, the best `top` eligible offers as (offer id, score), best first; equal
    scores in offer id order."""
    width = len(matrix.offers)
    keep = min(top, width)
    if keep <= 0:
        return {n.id: [] for n in needs}
    # One integer per pair orders by score, then by column (= offer id): ties are settled
    # the same way whichever offers argpartition happens to look at first.
    tie_break = np.arange(width, dtype=np.int64)
    ranked: dict[int, list[tuple[int, int]]] = {}
    for start in range(0, len(needs), CHUNK):
        chunk = needs[start : start + CHUNK]
        scores = matrix.totals(chunk)
        keys = tie_break - scores * width  # smaller is better
        best = np.argpartition(keys, keep - 1, axis=1)[:, :keep]
        best = np.take_along_axis(best, np.argsort(np.take_along_axis(keys, best, 1), 1), 1)
        best_scores = np.take_along_axis(scores, best, 1).tolist()
        best_ids = matrix.ids[best].tolist()
        for need, ids, points in zip(chunk, best_ids, best_scores, strict=True):
            ranked[need.id] = [(i, p) for i, p in zip(ids, points, strict=True) if p >= 0]
    return ranked


def rank_needs(
    offer: OfferData, needs: Sequence[NeedData], history: History
) -> list[tuple[int, int]]:
    """For one offer, every need it covers as (need id, score), best first; equal scores in
    need id order."""
    if not needs:
        return []
    scores = OfferMatrix([offer], history).totals(needs)[:, 0]
    ids = np.array([n.id for n in needs], dtype=np.int64)
    order = np.lexsort((ids, -scores))
    return [(int(ids[i]), int(scores[i])) for i in order if scores[i] >= 0]


def explain(need: Need, offer: Offer) -> dict[str, Any]:
    """The score of one pair and one sentence per factor, in the active language."""
    [nd], [od] = need_data([need]), offer_data([offer])
    history = donor_history([od.donor_key])
    parts = OfferMatrix([od], history).score_components([nd])
    count = history.get((od.donor_key, need.state.region), 0)
    reasons = {
        "theme": (_("Theme"), _theme_reason(need, offer)),
        "kind": (_("Type of assistance"), _kind_reason(need, offer)),
        "eligibility": (_("Eligibility"), _eligibility_reason(need, offer)),
        "budget": (_("Budget"), _budget_reason(need, offer)),
        "history": (_("Past support"), _history_reason(need, count)),
    }
    return {
        "score": int(_total(parts)[0, 0]),
        "eligible": bool(parts["eligible"][0, 0]),
        "factors": [
            {
                "factor": key,
                "label": label,
                "points": int(parts[key][0, 0]),
                "max": WEIGHTS[key],
                "reason": reason,
            }
            for key, (label, reason) in reasons.items()
        ],
    }


def _money(amount: Decimal | None, currency: str) -> str:
    return f"{number_format(amount, decimal_pos=0, use_l10n=True, force_grouping=True)} {currency}"


def _theme_reason(need: Need, offer: Offer) -> str:
    theme = need.get_theme_display()
    if need.theme in offer.themes:
        return _("The offer covers the need's theme (%(theme)s).") % {"theme": theme}
    return _("The offer does not cover the need's theme (%(theme)s).") % {"theme": theme}


def _kind_reason(need: Need, offer: Offer) -> str:
    kind = need.get_kind_display()
    if need.kind in offer.kinds:
        return _("The offer includes the type of assistance asked for (%(type)s).") % {"type": kind}
    return _("The offer does not include the type of assistance asked for (%(type)s).") % {
        "type": kind
    }


def _eligibility_reason(need: Need, offer: Offer) -> str:
    state: MemberState = need.state
    named = {s.pk for s in offer.eligible_states.all()}
    if not offer.eligible_regions and not named:
        return _("The offer is open to every State.")
    if state.pk in named:
        return _("%(state)s: the offer names this State among the eligible States.") % {
            "state": state
        }
    if state.region in offer.eligible_regions:
        return _("%(state)s: the offer covers this State's region (%(region)s).") % {
            "state": state,
            "region": state.region_name,
        }
    return _("Not eligible: the offer is limited to other regions or States.")


def _budget_reason(need: Need, offer: Offer) -> str:
    cost, low, high = need.estimated_cost, offer.budget_min, offer.budget_max
    if cost is None:
        return _("The need gives no estimated cost, so the budget could not be compared.")
    if low is None and high is None:
        return _("The offer gives no budget range, so the budget could not be compared.")
    if need.currency != offer.currency:
        return _(
            "The need's cost is in %(need)s and the offer in %(offer)s: amounts in different "
            "currencies are not compared."
        ) % {"need": need.currency or "—", "offer": offer.currency}
    values = {"cost": _money(cost, need.currency)}
    if high is not None and cost > high:
        values["max"] = _money(high, offer.currency)
        return (
            _(
                "The estimated cost (%(cost)s) is above the offer's largest amount (%(max)s): the "
                "offer could fund part of it."
            )
            % values
        )
    if low is not None and cost < low:
        values["min"] = _money(low, offer.currency)
        return (
            _("The estimated cost (%(cost)s) is below the offer's smallest amount (%(min)s).")
            % values
        )
    return _("The estimated cost (%(cost)s) is within the offer's budget range.") % values


def _history_reason(need: Need, count: int) -> str:
    region = region_name(need.state.region)
    if not count:
        return _("The donor has not yet funded a need in %(region)s on this platform.") % {
            "region": region
        }
    return ngettext(
        "The donor has funded %(count)d need in %(region)s before.",
        "The donor has funded %(count)d needs in %(region)s before.",
        count,
    ) % {"count": count, "region": region}
