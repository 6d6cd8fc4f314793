"""Matching: hand-computed scores, their explanation, ranking order and chunking."""

from decimal import Decimal

import pytest
from django.utils import translation

from assistance import matching
from assistance.matching import (
    donor_history,
    explain,
    load_needs,
    load_offer_matrix,
    offer_data,
    rank_needs,
    rank_offers,
)
from assistance.models import Match, Need, Offer, donor_key
from core.models import MemberState, Organisation
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FACTORS = ["theme", "kind", "eligibility", "budget", "history"]


@pytest.fixture
def author():
    return UserFactory()


def make_need(state="FRA", *, theme="marking", kind="training", cost="50000", currency="USD"):
    return Need.objects.create(
        state=MemberState.objects.get(iso3=state),
        theme=theme,
        kind=kind,
        description="A need.",
        estimated_cost=None if cost is None else Decimal(cost),
        currency=currency,
    )


def make_offer(
    author,
    *,
    themes=("marking",),
    kinds=("training",),
    regions=(),
    states=(),
    low="10000",
    high="100000",
    currency="USD",
    donor_state=None,
    donor="EU",
):
    offer = Offer.objects.create(
        donor_state=MemberState.objects.get(iso3=donor_state) if donor_state else None,
        donor_organisation=None if donor_state else Organisation.objects.get(acronym=donor),
        title="An offer",
        themes=list(themes),
        kinds=list(kinds),
        eligible_regions=list(regions),
        budget_min=None if low is None else Decimal(low),
        budget_max=None if high is None else Decimal(high),
        currency=currency,
        created_by=author,
    )
    offer.eligible_states.set(MemberState.objects.filter(iso3__in=states))
    return offer


def fund(need, author, *, status=Match.Status.FUNDED, donor="EU", donor_state=None):
    """A match of the donor on `need` (counted as past support when funded or completed)."""
    state = MemberState.objects.get(iso3=donor_state) if donor_state else None
    organisation = None if state else Organisation.objects.get(acronym=donor)
    return Match.objects.create(
        need=need,
        donor_state=state,
        donor_organisation=organisation,
        donor_key=donor_key(state, organisation),
        status=status,
        created_by=author,
    )


def points(explanation):
    return [f["points"] for f in explanation["factors"]]


def ranking(**filters):
    """Every need's ranked offers, loaded from the database as the pages do."""
    needs = load_needs(Need.objects.filter(**filters))
    return rank_offers(needs, load_offer_matrix(Offer.objects.all()))


# --- scores and explanations ---------------------------------------------------------------


def test_need_fully_covered_without_history_scores_90(author):
    need, offer = make_need(), make_offer(author)

    result = explain(need, offer)

    assert result["score"] == 90
    assert result["eligible"] is True
    assert [f["factor"] for f in result["factors"]] == FACTORS
    assert points(result) == [40, 20, 15, 15, 0]
    assert [f["max"] for f in result["factors"]] == [40, 20, 15, 15, 10]
    assert ranking() == {need.pk: [(offer.pk, 90)]}


def test_theme_and_type_not_covered_score_nothing(author):
    need = make_need(theme="tracing", kind="equipment")
    offer = make_offer(author, themes=["marking", "ddr"], kinds=["training"])

    result = explain(need, offer)

    assert points(result) == [0, 0, 15, 15, 0]
    assert result["score"] == 30
    assert "Tracing" in result["factors"][0]["reason"]
    assert "Equipment" in result["factors"][1]["reason"]


@pytest.mark.parametrize(
    ("cost", "low", "high", "budget"),
    [
        ("150000", "10000", "100000", 10),  # above the maximum: 15 × 100,000 / 150,000
        ("400000", None, "100000", 4),  # 15 × 1/4 = 3.75, rounded
        ("200000", "10000", "100000", 8),  # 15 × 1/2 = 7.5, halves rounded up
        ("2000", "10000", "100000", 3),  # below the minimum: 15 × 2,000 / 10,000
        ("100000", "10000", "100000", 15),  # the bounds are within the range
        ("10000", "10000", None, 15),
        ("0", "10000", "100000", 0),
    ],
)
def test_budget_fit_is_the_share_the_offer_covers(author, cost, low, high, budget):
    need, offer = make_need(cost=cost), make_offer(author, low=low, high=high)

    result = explain(need, offer)

    assert result["factors"][3]["points"] == budget
    assert result["score"] == 75 + budget
    assert ranking() == {need.pk: [(offer.pk, 75 + budget)]}


def test_cost_above_the_offer_is_explained_with_both_amounts(author):
    need, offer = make_need(cost="150000"), make_offer(author)

    reason = explain(need, offer)["factors"][3]["reason"]

    assert "150,000 USD" in reason
    assert "100,000 USD" in reason


@pytest.mark.parametrize(
    ("need_fields", "offer_fields"),
    [
        ({"currency": "EUR"}, {}),  # different currencies are not compared
        ({"currency": ""}, {}),
        ({"cost": None, "currency": ""}, {}),  # no estimated cost
        ({}, {"low": None, "high": None}),  # no budget range
    ],
)
def test_budget_that_cannot_be_compared_gets_half_the_points_rounded_up(
    author, need_fields, offer_fields
):
    need, offer = make_need(**need_fields), make_offer(author, **offer_fields)

    result = explain(need, offer)

    assert result["factors"][3]["points"] == 8  # 7.5, rounded up
    assert result["score"] == sum(points(result)) == 83
    assert ranking() == {need.pk: [(offer.pk, 83)]}


def test_different_currencies_are_named_in_the_reason(author):
    need, offer = make_need(currency="EUR"), make_offer(author, currency="USD")

    reason = explain(need, offer)["factors"][3]["reason"]

    assert "EUR" in reason
    assert "USD" in reason


def test_offer_for_another_region_is_not_ranked(author):
    need = make_need("FRA")
    offer = make_offer(author, regions=["002"])  # Africa; France is in Europe (150)

    result = explain(need, offer)

    assert result["score"] == -1
    assert result["eligible"] is False
    assert result["factors"][2]["points"] == 0
    assert result["factors"][2]["reason"].startswith("Not eligible")
    assert ranking() == {need.pk: []}


def test_offer_for_the_need_region_is_eligible(author):
    need, offer = make_need("FRA"), make_offer(author, regions=["150"])

    result = explain(need, offer)

    assert result["factors"][2]["points"] == 15
    assert "Europe" in result["factors"][2]["reason"]
    assert ranking() == {need.pk: [(offer.pk, 90)]}


def test_offer_naming_the_state_is_eligible_outside_its_regions(author):
    need = make_need("FRA")
    named = make_offer(author, regions=["002"], states=["FRA", "DEU"])
    other = make_offer(author, states=["DEU"])

    result = explain(need, named)

    assert result["score"] == 90
    assert "France" in result["factors"][2]["reason"]
    assert explain(need, other)["score"] == -1
    assert ranking() == {need.pk: [(named.pk, 90)]}


# --- the donor's past support in the region -------------------------------------------------


@pytest.mark.parametrize(("funded", "history"), [(0, 0), (1, 5), (2, 8), (3, 10), (4, 10)])
def test_past_support_counts_needs_funded_by_the_donor_in_the_region(author, funded, history):
    europe = ["DEU", "ITA", "ESP", "FRA"]
    for i in range(funded):
        status = Match.Status.FUNDED if i % 2 else Match.Status.COMPLETED
        fund(make_need(europe[i]), author, status=status)
    need, offer = make_need("FRA", theme="tracing"), make_offer(author, themes=["tracing"])

    result = explain(need, offer)

    assert result["factors"][4]["points"] == history
    assert result["score"] == 90 + history
    if funded:
        assert str(funded) in result["factors"][4]["reason"]
    assert ranking(theme="tracing") == {need.pk: [(offer.pk, 90 + history)]}


@pytest.mark.parametrize(
    "status",
    [
        Match.Status.INTERESTED,
        Match.Status.AGREED,
        Match.Status.DECLINED,
        Match.Status.WITHDRAWN,
    ],
)
def test_matches_not_funded_are_not_past_support(author, status):
    fund(make_need("DEU"), author, status=status)
    need, offer = make_need("FRA"), make_offer(author)

    assert explain(need, offer)["factors"][4]["points"] == 0


def test_past_support_counts_only_this_donor_in_this_region(author):
    fund(make_need("KEN"), author)  # the same donor, in Africa
    fund(make_need("KEN"), author)
    fund(make_need("DEU"), author, donor_state="JPN")  # another donor, in Europe
    need, offer = make_need("FRA"), make_offer(author)

    assert explain(need, offer)["factors"][4]["points"] == 0
    assert donor_history() == {("org:EU", "002"): 2, ("state:JPN", "150"): 1}


def test_past_support_counts_each_need_once(author):
    funded_twice = make_need("DEU")
    fund(funded_twice, author, status=Match.Status.COMPLETED)
    fund(funded_twice, author, status=Match.Status.FUNDED)
    need, offer = make_need("FRA"), make_offer(author)

    assert donor_history(["org:EU"]) == {("org:EU", "150"): 1}
    assert explain(need, offer)["factors"][4]["points"] == 5


def test_state_donor_history_is_keyed_by_the_state(author):
    for iso3 in ["DEU", "ITA"]:
        fund(make_need(iso3), author, donor_state="JPN")
    need, offer = make_need("FRA"), make_offer(author, donor_state="JPN")

    assert explain(need, offer)["factors"][4]["points"] == 8


# --- ranking ---------------------------------------------------------------------------------


def test_offers_are_ranked_by_score_then_by_offer_id(author):
    need = make_need("FRA")
    full = make_offer(author)
    other_kind = make_offer(author, kinds=["equipment"])  # 70
    other_theme = make_offer(author, themes=["tracing"], regions=["150"])  # 50
    make_offer(author, regions=["002"])  # not eligible
    also_full = make_offer(author)

    assert ranking() == {
        need.pk: [(full.pk, 90), (also_full.pk, 90), (other_kind.pk, 70), (other_theme.pk, 50)]
    }


def test_top_keeps_the_best_offers_and_breaks_ties_by_lowest_id(author):
    need = make_need()
    weaker = make_offer(author, kinds=["equipment"])
    equal = [make_offer(author).pk for _ in range(14)]
    needs = load_needs(Need.objects.all())
    matrix = load_offer_matrix(Offer.objects.all())  # newest first, as the model orders them

    assert rank_offers(needs, matrix, top=10) == {need.pk: [(pk, 90) for pk in equal[:10]]}
    assert rank_offers(needs, matrix, top=20)[need.pk][-1] == (weaker.pk, 70)
    assert rank_offers(needs, matrix, top=0) == {need.pk: []}


def test_need_without_offers_has_an_empty_ranking(author):
    need = make_need()

    assert ranking() == {need.pk: []}


def test_needs_are_ranked_for_an_offer(author):
    offer = make_offer(author, regions=["150"])
    first = make_need("FRA")
    other_kind = make_need("DEU", kind="financial")
    make_need("KEN")  # outside the offer's region
    no_cost = make_need("ITA", cost=None, currency="")
    second = make_need("ESP")
    fund(make_need("KEN"), author)  # support in Africa does not help European needs

    ranked = rank_needs(offer_data([offer])[0], load_needs(Need.objects.all()), donor_history())

    assert ranked == [(first.pk, 90), (second.pk, 90), (no_cost.pk, 83), (other_kind.pk, 70)]


def test_rank_needs_uses_the_donor_history(author):
    offer = make_offer(author)
    europe, africa = make_need("FRA"), make_need("KEN")

    ranked = rank_needs(
        offer_data([offer])[0], load_needs(Need.objects.all()), {("org:EU", "002"): 3}
    )

    assert ranked == [(africa.pk, 100), (europe.pk, 90)]
    assert rank_needs(offer_data([offer])[0], [], {}) == []


def test_explanation_gives_the_score_the_ranking_used(author):
    for iso3 in ["KEN", "DEU"]:
        fund(make_need(iso3, theme="ddr"), author)
    needs = [
        make_need("FRA", cost="120000"),
        make_need("KEN", theme="tracing", currency="EUR"),
        make_need("BRA", kind="equipment", cost="3000"),
        make_need("JPN", cost=None, currency=""),
    ]
    offers = [
        make_offer(author, themes=["marking", "tracing"], regions=["150", "002"]),
        make_offer(author, kinds=["equipment", "training"], low="5000", high=None),
        make_offer(author, donor_state="DEU", states=["BRA", "JPN"], currency="EUR"),
    ]

    ranked = ranking(theme__in=["marking", "tracing"])

    for need in needs:
        explained = {o.pk: explain(need, o) for o in offers}
        expected = sorted(
            ((pk, e["score"]) for pk, e in explained.items() if e["score"] >= 0),
            key=lambda pair: (-pair[1], pair[0]),
        )
        assert ranked[need.pk] == expected
        assert all(e["score"] in (-1, sum(points(e))) for e in explained.values())


# --- translation, chunking, queries ---------------------------------------------------------


def test_explanation_in_french_keeps_structure_and_numbers(author):
    fund(make_need("DEU"), author)
    need, offer = make_need("FRA", cost="150000"), make_offer(author, regions=["150"])

    with translation.override("fr"):
        result = explain(need, offer)

    assert result["score"] == 90  # 40 + 20 + 15 + 10 + 5
    assert [f["factor"] for f in result["factors"]] == FACTORS
    assert points(result) == [40, 20, 15, 10, 5]
    assert all(f["label"] and f["reason"] for f in result["factors"])
    budget = result["factors"][3]["reason"]
    assert "150\xa0000 USD" in budget  # French grouping
    assert "100\xa0000 USD" in budget
    assert "1" in result["factors"][4]["reason"]
    assert "France" in result["factors"][2]["reason"]
    assert "Europe" in result["factors"][2]["reason"]


def test_chunked_ranking_equals_unchunked(author, monkeypatch):
    states = ["FRA", "KEN", "BRA", "JPN", "DEU", "AUS", "EGY"]
    themes = ["marking", "tracing", "ddr"]
    for i in range(11):
        make_need(states[i % 7], theme=themes[i % 3], cost=str(20000 * (i + 1)))
    for i in range(6):
        make_offer(
            author,
            themes=themes[: i % 3 + 1],
            regions=[["150"], ["002", "019"], []][i % 3],
            states=["JPN"] if i == 4 else [],
            high=str(40000 * (i + 1)),
        )
    fund(Need.objects.filter(state__iso3="KEN").first(), author)
    monkeypatch.setattr(matching, "CHUNK", 10_000)
    whole = ranking()

    monkeypatch.setattr(matching, "CHUNK", 3)
    chunked = ranking()

    assert chunked == whole
    assert len(whole) == 11
    assert sum(len(offers) for offers in whole.values()) > 11


def test_loading_takes_a_fixed_number_of_queries(author, django_assert_num_queries):
    for i in range(5):
        make_need(["FRA", "KEN"][i % 2])
        make_offer(author, states=["FRA"], donor_state="DEU" if i % 2 else None)

    with django_assert_num_queries(1):
        assert len(load_needs(Need.objects.all())) == 5
    with django_assert_num_queries(3):  # offers with their donors, eligible States, history
        assert len(load_offer_matrix(Offer.objects.all()).offers) == 5
