"""Offers, candidate rankings on pages, and the conversation from a donor's interest to a
completed outcome: each step audited, notified, and private to the two parties and UNODA."""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from assistance import services
from assistance.models import Match, MatchMessage, Need, Offer
from core.errors import WorkflowError
from core.models import AuditEntry, MemberState, Organisation
from tests.factories import member

pytestmark = pytest.mark.django_db

EU = (None, "EU")


def eu():
    return (None, Organisation.objects.get(acronym="EU"))


@pytest.fixture
def offer(donor):
    return services.save_offer(
        by=donor,
        donor=eu(),
        data={
            "title": "Marking and record keeping in Europe and Africa",
            "themes": ["marking", "record_keeping"],
            "kinds": ["equipment", "training"],
            "eligible_regions": ["150", "002"],
            "budget_min": Decimal("10000"),
            "budget_max": Decimal("200000"),
            "currency": "USD",
        },
    )


@pytest.fixture
def match(donor, need, offer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.express_interest(
            need, by=donor, donor=eu(), offer=offer, message="We can fund two machines."
        )


OFFER_FORM = {
    "title": "Stockpile help",
    "themes": ["stockpile_management"],
    "kinds": ["technical"],
    "budget_min": "1000",
    "budget_max": "50000",
    "currency": "usd",
}


def test_donor_makes_an_offer_from_the_page(client_for, donor):
    response = client_for(donor).post(reverse("assistance:offer-new"), OFFER_FORM)
    offer = Offer.objects.get()
    assert response.status_code == 302
    assert (offer.donor_organisation.acronym, offer.currency, offer.themes) == (
        "EU",
        "USD",
        ["stockpile_management"],
    )
    assert AuditEntry.objects.filter(action="assistance.offer.created", actor=donor).exists()


def test_offer_with_a_backwards_budget_is_refused(client_for, donor):
    response = client_for(donor).post(
        reverse("assistance:offer-new"), {**OFFER_FORM, "budget_min": "9000", "budget_max": "10"}
    )
    assert response.status_code == 200 and "budget_max" in response.context["form"].errors
    assert not Offer.objects.exists()


def test_only_donors_make_offers(client_for, editor, reviewer, offer):
    for user in (editor, reviewer):
        assert client_for(user).post(reverse("assistance:offer-new"), OFFER_FORM).status_code == 403
        close = client_for(user).post(reverse("assistance:offer-close", args=[offer.pk]))
        assert close.status_code == 403
    assert Offer.objects.count() == 1 and Offer.objects.get().status == Offer.Status.OPEN


def test_need_page_ranks_offers_with_reasons(anonymous, need, offer):
    page = anonymous.get(reverse("assistance:need-detail", args=[need.pk]))
    [candidate] = page.context["candidates"]
    assert candidate["offer"] == offer
    assert candidate["explanation"]["score"] == 90  # 40 + 20 + 15 + 15 + 0 history
    text = page.content.decode()
    assert "The offer covers the need&#x27;s theme (Marking)." in text
    assert "The estimated cost (120,000 USD) is within the offer&#x27;s budget range." in text


def test_offer_page_ranks_needs(anonymous, need, restricted_need, offer):
    ranked = anonymous.get(reverse("assistance:offer-detail", args=[offer.pk])).context["ranked"]
    assert [(n.pk, score) for n, score in ranked] == [(need.pk, 90), (restricted_need.pk, 23)]
    api = anonymous.get(f"/api/v1/offers/{offer.pk}/needs/").json()
    assert [(n["need"], n["state"], n["score"]) for n in api] == [
        (need.pk, "FRA", 90),
        (restricted_need.pk, "FRA", 23),
    ]


def test_interest_starts_a_conversation_and_tells_the_state(
    client_for, donor, editor, approver, need, offer, django_capture_on_commit_callbacks
):
    approver.language = "fr"
    approver.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(donor).post(
            reverse("assistance:need-interest", args=[need.pk]),
            {"offer": offer.pk, "message": "We can help."},
        )
    match = Match.objects.get()
    assert response.url == reverse("assistance:match-detail", args=[match.pk])
    assert (match.status, match.score, match.donor_key) == ("interested", 90, "org:EU")
    need.refresh_from_db()
    assert need.status == Need.Status.IN_DISCUSSION
    assert sorted(m.to[0] for m in mail.outbox) == sorted([editor.email, approver.email])
    assert editor.notifications.count() == 1
    audit = AuditEntry.objects.get(action="assistance.match.interest_expressed")
    assert audit.actor == donor and audit.state.iso3 == "FRA"


def test_second_interest_of_the_same_donor_is_refused(donor, need, match):
    with pytest.raises(WorkflowError, match="already in a conversation"):
        services.express_interest(need, by=donor, donor=eu(), message="Again")
    assert Match.objects.count() == 1


def test_the_whole_way_to_completion_with_audit(
    client_for, donor, editor, need, match, django_capture_on_commit_callbacks
):
    state, giver = client_for(editor), client_for(donor)
    url = lambda action: reverse("assistance:match-action", args=[match.pk, action])  # noqa: E731
    steps = [
        (
            state,
            "message",
            {"body": "Thank you, two machines would do."},
            "interested",
            "in_discussion",
        ),
        (
            state,
            "agree",
            {"agreement": "Two machines", "amount": "80000", "currency": "usd"},
            "agreed",
            "matched",
        ),
        (giver, "fund", {}, "funded", "funded"),
        (
            state,
            "complete",
            {"outcome": "Machines delivered and in use."},
            "completed",
            "completed",
        ),
    ]
    for client, action, data, match_status, need_status in steps:
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url(action), data)
        match.refresh_from_db()
        need.refresh_from_db()
        assert (action, match.status, need.status) == (action, match_status, need_status)
        assert mail.outbox, f"no one was told of {action}"
    assert (match.amount, match.currency) == (Decimal("80000"), "USD")
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "assistance.match.message_added",
        "assistance.match.agreed",
        "assistance.match.funded",
        "assistance.match.completed",
        "assistance.need.status_changed",
    } <= actions


def test_decline_reopens_the_need(client_for, editor, need, match):
    client_for(editor).post(reverse("assistance:match-action", args=[match.pk, "decline"]))
    match.refresh_from_db()
    need.refresh_from_db()
    assert (match.status, need.status) == ("declined", "open")
    assert AuditEntry.objects.filter(action="assistance.match.declined", actor=editor).exists()


def test_each_party_does_only_its_own_steps(client_for, editor, donor, reviewer, match):
    for client, action in (
        (client_for(editor), "fund"),
        (client_for(editor), "withdraw"),
        (client_for(donor), "decline"),
        (client_for(reviewer), "message"),
    ):
        response = client.post(
            reverse("assistance:match-action", args=[match.pk, action]), {"body": "x"}
        )
        assert response.status_code == 403, action
    match.refresh_from_db()
    assert match.status == "interested" and match.messages.count() == 1


def test_other_states_and_donors_cannot_see_a_conversation(client_for, outsider, match):
    other_donor = member("donor", state="DEU", username="donor.deu")
    for user in (outsider, other_donor):
        client = client_for(user)
        assert client.get(reverse("assistance:match-detail", args=[match.pk])).status_code == 404
        post = client.post(
            reverse("assistance:match-action", args=[match.pk, "message"]), {"body": "hi"}
        )
        assert post.status_code == 404
        assert client.get(f"/api/v1/matches/{match.pk}/").status_code == 404
        assert client.get("/api/v1/matches/").json()["results"] == []
    assert MatchMessage.objects.count() == 1


def test_unoda_reads_every_conversation(client_for, reviewer, match):
    page = client_for(reviewer).get(reverse("assistance:match-detail", args=[match.pk]))
    assert page.status_code == 200 and "We can fund two machines." in page.content.decode()


def test_withdrawing_a_need_ends_its_conversations(editor, need, match):
    services.withdraw_need(need, by=editor)
    match.refresh_from_db()
    assert match.status == Match.Status.DECLINED


# --- API ------------------------------------------------------------------------------------


def test_api_needs_offers_and_matches(client_for, editor, donor, approver):
    state, giver = client_for(editor), client_for(donor)
    created = state.post(
        "/api/v1/needs/",
        {"theme": "tracing", "kind": "training", "description": "Course", "visibility": "public"},
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["state"] == "FRA"
    bad = state.post(
        "/api/v1/needs/",
        {"theme": "nuclear", "kind": "training", "description": "x"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "theme" in bad.json()
    need_id = created.json()["id"]

    offer = giver.post(
        "/api/v1/offers/",
        {"title": "Training", "themes": ["tracing"], "kinds": ["training"], "currency": "USD"},
        content_type="application/json",
    )
    assert offer.status_code == 201, offer.json()
    candidates = giver.get(f"/api/v1/needs/{need_id}/candidates/").json()
    assert candidates[0]["offer"] == offer.json()["id"]
    assert [f["factor"] for f in candidates[0]["explanation"]["factors"]] == [
        "theme",
        "kind",
        "eligibility",
        "budget",
        "history",
    ]
    interest = giver.post(
        f"/api/v1/needs/{need_id}/interest/",
        {"offer": offer.json()["id"], "message": "Let us talk"},
        content_type="application/json",
    )
    assert interest.status_code == 201
    match_id = interest.json()["id"]
    assert state.post(f"/api/v1/matches/{match_id}/fund/").status_code == 403
    agreed = state.post(
        f"/api/v1/matches/{match_id}/agree/",
        {"agreement": "Course in May"},
        content_type="application/json",
    )
    assert agreed.status_code == 200 and agreed.json()["status"] == "agreed"
    assert giver.post(f"/api/v1/matches/{match_id}/decline/").status_code == 403
    again = giver.post(f"/api/v1/matches/{match_id}/agree/", {"agreement": "x"})
    assert again.status_code == 409  # already agreed
    assert (
        state.patch(
            f"/api/v1/offers/{offer.json()['id']}/",
            {"title": "Mine now"},
            content_type="application/json",
        ).status_code
        == 403
    )
    assert Offer.objects.get().title == "Training"


def test_api_schema_has_no_warnings():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    SchemaGenerator().get_schema(request=None, public=True)
    assert not GENERATOR_STATS._warn_cache and not GENERATOR_STATS._error_cache


def test_state_of_a_donor_membership_is_a_donor():
    germany = MemberState.objects.get(iso3="DEU")
    user = member("donor", state="DEU", username="donor.deu.2")
    from assistance.permissions import donors_for

    assert donors_for(user) == [(germany, None)]
