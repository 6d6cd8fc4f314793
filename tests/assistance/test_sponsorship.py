"""Sponsorship of meeting delegates: applications, UNODA's decisions within the fund's
balance (also under two approvals at once), withdrawals, contributions, the fund statement."""

import datetime
import threading
import time
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from assistance import sponsorship
from assistance.models import FundContribution, SponsorshipApplication, SponsorshipFund
from core.errors import WorkflowError
from core.models import AuditEntry, MemberState, Notification, Organisation, User
from reporting.models import Meeting
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
API = "/api/v1/sponsorship-applications/"


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


@pytest.fixture
def meeting(db):
    return Meeting.objects.create(
        kind="regional", title="Regional meeting on tracing", start_date=days(60), end_date=days(62)
    )


@pytest.fixture
def past_meeting(db):
    return Meeting.objects.create(
        kind="regional", title="Last year's meeting", start_date=days(-30), end_date=days(-28)
    )


def state(iso3: str) -> MemberState:
    return MemberState.objects.get(iso3=iso3)


def fund_balance() -> Decimal:
    return sponsorship.sponsorship_fund().balance


def apply(by, meeting, iso3="FRA", travel="600.00", subsistence="150.00", name="Marie Dupont"):
    return sponsorship.apply_for_sponsorship(
        by=by,
        state=state(iso3),
        meeting=meeting,
        traveller_name=name,
        traveller_position="Head of the national commission",
        travel_cost=travel,
        subsistence_cost=subsistence,
        justification="Presents the national report.",
    )


@pytest.fixture
def funded(donor):
    """1 000.00 in the fund, from the EU."""
    return sponsorship.record_contribution(by=donor, amount="1000.00")


@pytest.fixture
def application(editor, meeting, funded):
    return apply(editor, meeting)


def actions(obj) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_id=str(obj.pk), object_type=obj._meta.label_lower)
        .order_by("pk")
        .values_list("action", flat=True)
    )


# --- applying -------------------------------------------------------------------------


def test_state_official_applies_for_an_upcoming_meeting(editor, meeting):
    application = apply(editor, meeting)
    assert application.status == "submitted"
    assert application.amount_requested == Decimal("750.00")
    assert application.fund == sponsorship.sponsorship_fund()
    assert actions(application) == ["assistance.sponsorship_application.submitted"]


def test_only_upcoming_meetings_are_offered(meeting, past_meeting):
    offered = list(sponsorship.meetings_open_for_sponsorship())
    assert meeting in offered and past_meeting not in offered


def test_cannot_apply_for_a_meeting_that_took_place(editor, past_meeting):
    with pytest.raises(WorkflowError) as error:
        apply(editor, past_meeting)
    assert error.value.code == "invalid"
    assert not SponsorshipApplication.objects.exists()


@pytest.mark.parametrize(
    ("travel", "subsistence", "message"),
    [
        ("-1", "100", "greater than zero"),
        ("10.123", "100", "two decimal places"),
        ("abc", "100", "as a number"),
        ("NaN", "100", "as a number"),
        ("1e13", "100", "too large"),
        ("0", "0", "greater than zero"),
    ],
)
def test_costs_are_validated(editor, meeting, travel, subsistence, message):
    with pytest.raises(WorkflowError) as error:
        apply(editor, meeting, travel=travel, subsistence=subsistence)
    assert error.value.code == "invalid" and message in error.value.message
    assert not SponsorshipApplication.objects.exists()


def test_only_a_states_own_officials_apply_for_it(outsider, donor, reviewer, meeting):
    for user in (outsider, donor, reviewer):
        with pytest.raises(WorkflowError) as error:
            apply(user, meeting, iso3="FRA")
        assert error.value.code == "forbidden"
    assert not SponsorshipApplication.objects.exists()


def test_applications_are_visible_to_the_state_and_unoda_only(
    editor, outsider, reviewer, donor, meeting
):
    france, kenya = apply(editor, meeting), apply(outsider, meeting, iso3="KEN")
    assert list(sponsorship.applications_visible_to(editor)) == [france]
    assert list(sponsorship.applications_visible_to(outsider)) == [kenya]
    assert set(sponsorship.applications_visible_to(reviewer)) == {france, kenya}
    assert not sponsorship.applications_visible_to(donor).exists()
    assert not sponsorship.applications_visible_to(UserFactory()).exists()


# --- deciding -------------------------------------------------------------------------


def test_approval_grants_the_amount_asked_for_and_tells_the_state(
    application, reviewer, editor, approver, django_capture_on_commit_callbacks
):
    approver.language = "fr"
    approver.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        sponsorship.approve_sponsorship(application, by=reviewer, note="Welcome.")
    application.refresh_from_db()
    assert application.status == "approved" and application.amount_granted == Decimal("750.00")
    assert application.decided_by == reviewer and application.decided_at is not None
    assert fund_balance() == Decimal("250.00")
    entry = AuditEntry.objects.get(action="assistance.sponsorship_application.approved")
    assert entry.data == {"amount_granted": "750.00", "balance": "250.00"}
    assert entry.actor == reviewer and entry.state == state("FRA")
    mails = {message.to[0]: message for message in mail.outbox}
    assert set(mails) == {editor.email, approver.email}
    assert "Regional meeting on tracing" in mails[editor.email].body
    assert "750.00 USD" in mails[editor.email].body
    assert "750,00 USD" in mails[approver.email].body  # rendered in French
    assert Notification.objects.filter(user__in=[editor, approver]).count() == 2


def test_approval_may_grant_less_than_asked_for(application, reviewer):
    sponsorship.approve_sponsorship(application, by=reviewer, amount="500.50")
    application.refresh_from_db()
    assert application.amount_granted == Decimal("500.50")
    assert fund_balance() == Decimal("499.50")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("750.01", "cannot be more than"),
        ("0", "greater than zero"),
        ("-5", "greater than zero"),
        ("10.005", "two decimal places"),
    ],
)
def test_amount_granted_is_validated(application, reviewer, amount, message):
    with pytest.raises(WorkflowError) as error:
        sponsorship.approve_sponsorship(application, by=reviewer, amount=amount)
    assert error.value.code == "invalid" and message in error.value.message
    application.refresh_from_db()
    assert application.status == "submitted" and fund_balance() == Decimal("1000.00")


def test_approval_beyond_the_balance_is_refused(editor, meeting, funded, reviewer):
    application = apply(editor, meeting, travel="900.00", subsistence="200.00")
    with pytest.raises(WorkflowError) as error:
        sponsorship.approve_sponsorship(application, by=reviewer)
    assert error.value.code == "insufficient_funds"
    assert "1,000.00 USD" in error.value.message and "1,100.00 USD" in error.value.message
    application.refresh_from_db()
    assert application.status == "submitted" and fund_balance() == Decimal("1000.00")
    assert actions(application) == ["assistance.sponsorship_application.submitted"]


def test_database_refuses_a_negative_balance(funded):
    with pytest.raises(IntegrityError), transaction.atomic():
        SponsorshipFund.objects.update(balance=Decimal("-0.01"))
    assert fund_balance() == Decimal("1000.00")


def test_rejection_needs_a_reason_and_tells_the_state(
    application, reviewer, editor, django_capture_on_commit_callbacks
):
    with pytest.raises(WorkflowError) as error:
        sponsorship.reject_sponsorship(application, by=reviewer, note="  ")
    assert error.value.code == "invalid"
    with django_capture_on_commit_callbacks(execute=True):
        sponsorship.reject_sponsorship(application, by=reviewer, note="Outside the criteria.")
    application.refresh_from_db()
    assert application.status == "rejected" and application.amount_granted is None
    assert fund_balance() == Decimal("1000.00")
    assert actions(application)[-1] == "assistance.sponsorship_application.rejected"
    assert [m.to for m in mail.outbox] == [[editor.email]]
    assert "Outside the criteria." in mail.outbox[0].body
    assert "rejected" in mail.outbox[0].subject


def test_only_unoda_decides(application, editor, approver, donor, administrator):
    for user in (editor, approver, donor):
        for decide in (sponsorship.approve_sponsorship, sponsorship.reject_sponsorship):
            with pytest.raises(WorkflowError) as error:
                decide(application, by=user, note="x")
            assert error.value.code == "forbidden"
    application.refresh_from_db()
    assert application.status == "submitted" and fund_balance() == Decimal("1000.00")
    sponsorship.approve_sponsorship(application, by=administrator)  # UNODA staff too
    assert SponsorshipApplication.objects.get().status == "approved"


def test_a_decided_application_stays_decided(application, reviewer):
    sponsorship.approve_sponsorship(application, by=reviewer)
    for decide in (sponsorship.approve_sponsorship, sponsorship.reject_sponsorship):
        with pytest.raises(WorkflowError) as error:
            decide(application, by=reviewer, note="Again.")
        assert error.value.code == "not_allowed_now"
    assert fund_balance() == Decimal("250.00")


# --- withdrawing ----------------------------------------------------------------------


def test_state_withdraws_its_application_while_submitted(application, approver):
    sponsorship.withdraw_sponsorship_application(application, by=approver)
    application.refresh_from_db()
    assert application.status == "withdrawn"
    assert actions(application)[-1] == "assistance.sponsorship_application.withdrawn"


def test_others_cannot_withdraw_and_a_decision_is_final(application, outsider, reviewer, editor):
    for user in (outsider, reviewer):
        with pytest.raises(WorkflowError) as error:
            sponsorship.withdraw_sponsorship_application(application, by=user)
        assert error.value.code == "forbidden"
    sponsorship.approve_sponsorship(application, by=reviewer)
    with pytest.raises(WorkflowError):
        sponsorship.withdraw_sponsorship_application(application, by=editor)
    assert SponsorshipApplication.objects.get().status == "approved"


# --- the fund -------------------------------------------------------------------------


def test_donor_records_a_contribution(donor):
    contribution = sponsorship.record_contribution(by=donor, amount="250.5", note="2026 grant")
    assert contribution.donor == Organisation.objects.get(acronym="EU")
    assert contribution.amount == Decimal("250.50") and fund_balance() == Decimal("250.50")
    entry = AuditEntry.objects.get(action="assistance.fund_contribution.recorded")
    assert entry.data == {"amount": "250.50", "donor": "org:EU"} and entry.actor == donor


def test_contributions_only_for_a_donor_one_acts_for(donor, editor, reviewer):
    for user, kwargs in (
        (donor, {"donor_state": state("FRA")}),
        (editor, {}),
        (reviewer, {"donor_organisation": Organisation.objects.get(acronym="EU")}),
    ):
        with pytest.raises(WorkflowError):
            sponsorship.record_contribution(by=user, amount="10", **kwargs)
    assert not FundContribution.objects.exists() and fund_balance() == 0


def test_administrator_records_on_behalf_of_a_donor(administrator):
    sponsorship.record_contribution(by=administrator, amount="40", donor_state=state("NOR"))
    assert FundContribution.objects.get().donor == state("NOR")
    assert fund_balance() == Decimal("40.00")


@pytest.mark.parametrize("amount", ["0", "-3", "1.001", "twelve"])
def test_contribution_amount_is_validated(donor, amount):
    with pytest.raises(WorkflowError) as error:
        sponsorship.record_contribution(by=donor, amount=amount)
    assert error.value.code == "invalid"
    assert not FundContribution.objects.exists()


def test_fund_statement_adds_up_for_unoda_and_donors(
    application, reviewer, donor, editor, outsider
):
    sponsorship.approve_sponsorship(application, by=reviewer, amount="300")
    statement = sponsorship.fund_statement(donor)
    assert statement.total_contributed == Decimal("1000.00")
    assert statement.total_granted == Decimal("300.00")
    assert statement.balance == statement.total_contributed - statement.total_granted
    assert len(statement.contributions) == 1
    assert sponsorship.fund_statement(reviewer).balance == Decimal("700.00")
    assert sponsorship.fund_statement(editor) is None
    assert sponsorship.fund_statement(outsider) is None


def test_the_single_fund_is_the_lowest_pk():
    first = sponsorship.sponsorship_fund()
    SponsorshipFund.objects.create(name="Another")
    assert sponsorship.sponsorship_fund() == first
    assert first.currency == "USD" and first.balance == 0


# --- two approvals at once (real PostgreSQL) -------------------------------------------


def wait_for_lock_waiters(count: int, timeout: float = 15) -> None:
    """Until `count` other sessions of this database wait for a lock."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0] >= count:
                return
            time.sleep(0.05)
    raise AssertionError(f"{count} sessions never waited for the fund's lock")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_fund_balance_under_two_concurrent_approvals(editor, reviewer, donor, meeting):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks (DATABASE_URL)")
    sponsorship.record_contribution(by=donor, amount="1000.00")
    first = apply(editor, meeting, travel="500.00", subsistence="100.00", name="A")
    second = apply(editor, meeting, travel="550.00", subsistence="150.00", name="B")
    outcomes: dict[int, object] = {}

    def approve(application: SponsorshipApplication) -> None:
        try:
            unoda = User.objects.get(pk=reviewer.pk)  # its own membership cache
            sponsorship.approve_sponsorship(application, by=unoda)
            outcomes[application.pk] = "approved"
        except Exception as exc:  # the assertions below tell which
            outcomes[application.pk] = exc
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=approve, args=(a,)) for a in (first, second)]
    # Hold the fund's row lock until both approvals wait for it: they then truly race.
    with transaction.atomic():
        SponsorshipFund.objects.select_for_update().get()
        for thread in threads:
            thread.start()
        wait_for_lock_waiters(2)
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)

    approved = [pk for pk, outcome in outcomes.items() if outcome == "approved"]
    refused = [o for o in outcomes.values() if isinstance(o, WorkflowError)]
    assert len(approved) == 1 and len(refused) == 1, outcomes
    assert refused[0].code == "insufficient_funds" and "less than" in refused[0].message
    winner = SponsorshipApplication.objects.get(pk=approved[0])
    loser = SponsorshipApplication.objects.exclude(pk=winner.pk).get()
    assert winner.status == "approved" and loser.status == "submitted"
    balance = fund_balance()
    assert balance >= 0 and balance == Decimal("1000.00") - winner.amount_requested
    assert (
        AuditEntry.objects.filter(action="assistance.sponsorship_application.approved").count() == 1
    )


# --- pages ----------------------------------------------------------------------------


def test_list_shows_each_state_its_own_and_unoda_all_with_the_balance(
    client_for, editor, outsider, reviewer, donor, meeting, funded
):
    apply(editor, meeting, name="Marie Dupont")
    apply(outsider, meeting, iso3="KEN", name="Jomo Otieno")
    url = reverse("assistance:sponsorship-list")
    france = client_for(editor).get(url).content.decode()
    assert "Marie Dupont" in france and "Jomo Otieno" not in france
    assert "1,000.00 USD" not in france  # the balance is for UNODA and donors
    unoda = client_for(reviewer).get(url).content.decode()
    assert "Marie Dupont" in unoda and "Jomo Otieno" in unoda and "1,000.00 USD" in unoda
    donors = client_for(donor).get(url).content.decode()
    assert "1,000.00 USD" in donors and "Marie Dupont" not in donors


def test_list_is_refused_to_people_without_a_part(client_for):
    nobody = UserFactory()
    response = client_for(nobody).get(reverse("assistance:sponsorship-list"))
    assert response.status_code == 403
    assert AuditEntry.objects.filter(action="core.permission.denied", actor=nobody).exists()


def test_list_query_count_does_not_grow_with_applications(client_for, editor, reviewer, meeting):
    def queries_for_page() -> int:
        client = client_for(reviewer)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("assistance:sponsorship-list")).status_code == 200
        return len(captured)

    for n in range(3):
        apply(editor, meeting, name=f"Delegate {n}")
    at_n = queries_for_page()
    for n in range(3):
        apply(editor, meeting, name=f"Delegate {n + 3}")
    assert queries_for_page() == at_n


def test_apply_page_offers_upcoming_meetings_and_sends(client_for, editor, meeting, past_meeting):
    client = client_for(editor)
    page = client.get(reverse("assistance:sponsorship-apply")).content.decode()
    assert "Regional meeting on tracing" in page and "Last year&#x27;s meeting" not in page
    response = client.post(
        reverse("assistance:sponsorship-apply"),
        {
            "meeting": meeting.pk,
            "traveller_name": "Marie Dupont",
            "travel_cost": "700",
            "subsistence_cost": "120.50",
        },
    )
    application = SponsorshipApplication.objects.get()
    assert response.url == reverse("assistance:sponsorship-detail", args=[application.pk])
    assert application.state == state("FRA") and application.amount_requested == Decimal("820.50")


def test_apply_page_shows_clear_errors(client_for, editor, meeting, past_meeting):
    response = client_for(editor).post(
        reverse("assistance:sponsorship-apply"),
        {
            "meeting": past_meeting.pk,
            "traveller_name": "Marie Dupont",
            "travel_cost": "700.123",
            "subsistence_cost": "-1",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "no more than 2 decimal places" in page
    assert "greater than or equal to 0" in page
    assert "Select a valid choice" in page  # the past meeting is not offered
    assert not SponsorshipApplication.objects.exists()


def test_apply_page_is_for_state_officials(client_for, reviewer, donor, meeting):
    for user in (reviewer, donor):
        response = client_for(user).post(
            reverse("assistance:sponsorship-apply"),
            {
                "meeting": meeting.pk,
                "traveller_name": "X",
                "travel_cost": "1",
                "subsistence_cost": "1",
            },
        )
        assert response.status_code == 403
    assert not SponsorshipApplication.objects.exists()


def test_another_states_application_is_not_found(client_for, application, outsider, donor):
    for user in (outsider, donor):
        client = client_for(user)
        detail = reverse("assistance:sponsorship-detail", args=[application.pk])
        assert client.get(detail).status_code == 404
        for name in ("sponsorship-decide", "sponsorship-withdraw"):
            url = reverse(f"assistance:{name}", args=[application.pk])
            assert client.post(url, {"decision": "approve"}).status_code == 404
    application.refresh_from_db()
    assert application.status == "submitted"


def test_unoda_decides_on_the_detail_page(client_for, application, reviewer):
    client = client_for(reviewer)
    page = client.get(reverse("assistance:sponsorship-detail", args=[application.pk]))
    assert 'name="decision"' in page.content.decode()
    assert "1,000.00 USD" in page.content.decode()
    decide = reverse("assistance:sponsorship-decide", args=[application.pk])
    assert client.get(decide).status_code == 405
    response = client.post(decide, {"decision": "approve", "amount_granted": "700"})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == "approved" and application.amount_granted == Decimal("700.00")
    assert actions(application)[-1] == "assistance.sponsorship_application.approved"


def test_decision_form_shows_errors_and_changes_nothing(
    client_for, editor, meeting, funded, reviewer
):
    application = apply(editor, meeting, travel="1500", subsistence="0")
    client = client_for(reviewer)
    decide = reverse("assistance:sponsorship-decide", args=[application.pk])
    page = client.post(decide, {"decision": "reject", "note": ""}).content.decode()
    assert "Say why the application is rejected." in page
    page = client.post(decide, {"decision": "approve"}).content.decode()
    assert "The fund holds 1,000.00 USD, less than the 1,500.00 USD to be granted." in page
    page = client.post(decide, {"decision": "approve", "amount_granted": "1.001"}).content.decode()
    assert "no more than 2 decimal places" in page
    application.refresh_from_db()
    assert application.status == "submitted" and fund_balance() == Decimal("1000.00")


def test_state_cannot_decide_but_can_withdraw(client_for, application, editor):
    client = client_for(editor)
    page = client.get(reverse("assistance:sponsorship-detail", args=[application.pk]))
    assert 'name="decision"' not in page.content.decode()
    decide = reverse("assistance:sponsorship-decide", args=[application.pk])
    assert client.post(decide, {"decision": "approve"}).status_code == 403
    application.refresh_from_db()
    assert application.status == "submitted"
    client.post(reverse("assistance:sponsorship-withdraw", args=[application.pk]))
    application.refresh_from_db()
    assert application.status == "withdrawn"
    assert actions(application)[-1] == "assistance.sponsorship_application.withdrawn"


def test_unoda_cannot_withdraw_a_states_application(client_for, application, reviewer):
    url = reverse("assistance:sponsorship-withdraw", args=[application.pk])
    assert client_for(reviewer).post(url).status_code == 403
    assert SponsorshipApplication.objects.get().status == "submitted"


def test_donor_records_a_contribution_and_sees_the_statement(client_for, donor, funded):
    client = client_for(donor)
    page = client.get(reverse("assistance:fund")).content.decode()
    assert "1,000.00 USD" in page and 'name="amount"' in page
    response = client.post(
        reverse("assistance:fund-contribute"), {"donor": "org:EU", "amount": "99.99"}
    )
    assert response.status_code == 302 and fund_balance() == Decimal("1099.99")
    page = client.get(reverse("assistance:fund")).content.decode()
    assert "1,099.99 USD" in page and "99.99 USD" in page


def test_contribution_form_shows_errors(client_for, donor):
    response = client_for(donor).post(
        reverse("assistance:fund-contribute"), {"donor": "state:FRA", "amount": "0"}
    )
    page = response.content.decode()
    assert "Select a valid choice" in page and "greater than or equal to 0.01" in page
    assert not FundContribution.objects.exists()


def test_administrator_contributes_on_behalf_of_a_state(client_for, administrator):
    client_for(administrator).post(
        reverse("assistance:fund-contribute"), {"donor": "state:NOR", "amount": "10"}
    )
    assert FundContribution.objects.get().donor == state("NOR")


def test_fund_pages_are_for_unoda_and_donors(client_for, reviewer, editor, outsider, funded):
    page = client_for(reviewer).get(reverse("assistance:fund")).content.decode()
    assert "1,000.00 USD" in page and 'name="amount"' not in page  # reviewers only read
    for user in (editor, outsider):
        client = client_for(user)
        assert client.get(reverse("assistance:fund")).status_code == 403
        response = client.post(
            reverse("assistance:fund-contribute"), {"donor": "state:FRA", "amount": "5"}
        )
        assert response.status_code == 403
    assert (
        client_for(reviewer)
        .post(reverse("assistance:fund-contribute"), {"donor": "org:EU", "amount": "5"})
        .status_code
        == 403
    )
    assert fund_balance() == Decimal("1000.00") and FundContribution.objects.count() == 1


# --- API ------------------------------------------------------------------------------


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_state_applies_and_sees_its_own(editor, outsider, reviewer, meeting):
    created = api_for(editor).post(
        API,
        {
            "meeting": meeting.pk,
            "traveller_name": "Marie Dupont",
            "travel_cost": "600.00",
            "subsistence_cost": "150.00",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["state"] == "FRA" and body["status"] == "submitted"
    assert body["amount_requested"] == "750.00" and body["currency"] == "USD"
    apply(outsider, meeting, iso3="KEN")
    assert api_for(editor).get(API).json()["count"] == 1
    assert api_for(outsider).get(API).json()["count"] == 1
    assert api_for(reviewer).get(API).json()["count"] == 2
    assert actions(SponsorshipApplication.objects.get(pk=body["id"])) == [
        "assistance.sponsorship_application.submitted"
    ]


def test_api_create_validates_and_refuses(editor, outsider, reviewer, donor, meeting, past_meeting):
    data = {"meeting": meeting.pk, "traveller_name": "X", "subsistence_cost": "1"}
    answer = api_for(editor).post(API, {**data, "travel_cost": "1.234"}, format="json")
    assert answer.status_code == 400 and "travel_cost" in answer.json()
    answer = api_for(editor).post(
        API, {**data, "travel_cost": "1", "meeting": past_meeting.pk}, format="json"
    )
    assert answer.status_code == 400 and "taken place" in answer.json()["detail"]
    answer = api_for(outsider).post(API, {**data, "travel_cost": "1", "state": "FRA"})
    assert answer.status_code == 403
    for user in (reviewer, donor):
        assert api_for(user).post(API, {**data, "travel_cost": "1"}).status_code == 403
    assert not SponsorshipApplication.objects.exists()


def test_api_transitions(application, editor, reviewer, outsider, meeting):
    url = f"{API}{application.pk}/"
    assert api_for(outsider).post(f"{url}approve/").status_code == 404
    assert api_for(editor).post(f"{url}approve/").status_code == 403
    answer = api_for(reviewer).post(f"{url}approve/", {"amount_granted": "1.234"}, format="json")
    assert answer.status_code == 400
    answer = api_for(reviewer).post(f"{url}approve/", {"amount_granted": "800"}, format="json")
    assert answer.status_code == 400 and "cannot be more than" in answer.json()["detail"]
    assert SponsorshipApplication.objects.get().status == "submitted"
    answer = api_for(reviewer).post(f"{url}approve/", {"amount_granted": "700"}, format="json")
    assert answer.status_code == 200 and answer.json()["amount_granted"] == "700.00"
    assert actions(application)[-1] == "assistance.sponsorship_application.approved"
    assert api_for(reviewer).post(f"{url}reject/", {"note": "No."}).status_code == 409

    other = apply(editor, meeting, name="Second")
    other_url = f"{API}{other.pk}/"
    assert api_for(reviewer).post(f"{other_url}reject/", {"note": ""}).status_code == 400
    answer = api_for(reviewer).post(f"{other_url}reject/", {"note": "Too late."})
    assert answer.status_code == 200 and answer.json()["decision_note"] == "Too late."
    assert actions(other)[-1] == "assistance.sponsorship_application.rejected"


def test_api_withdraw_and_the_balance_conflict(editor, reviewer, meeting, funded):
    big = apply(editor, meeting, travel="2000", subsistence="0")
    answer = api_for(reviewer).post(f"{API}{big.pk}/approve/")
    assert answer.status_code == 409 and answer.json()["code"] == "insufficient_funds"
    assert api_for(reviewer).post(f"{API}{big.pk}/withdraw/").status_code == 403
    answer = api_for(editor).post(f"{API}{big.pk}/withdraw/")
    assert answer.status_code == 200 and answer.json()["status"] == "withdrawn"
    assert actions(big)[-1] == "assistance.sponsorship_application.withdrawn"
    assert fund_balance() == Decimal("1000.00")


def test_api_list_query_count_does_not_grow(editor, reviewer, meeting):
    def queries_for_list() -> int:
        client = api_for(User.objects.get(pk=reviewer.pk))  # memberships not yet loaded
        with CaptureQueriesContext(connection) as captured:
            assert client.get(API).status_code == 200
        return len(captured)

    for n in range(3):
        apply(editor, meeting, name=f"Delegate {n}")
    at_n = queries_for_list()
    for n in range(3):
        apply(editor, meeting, name=f"Delegate {n + 3}")
    assert queries_for_list() == at_n


def test_api_is_refused_to_anonymous_callers():
    assert APIClient().get(API).status_code in (401, 403)
