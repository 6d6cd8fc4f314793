"""Help with reports: a State asks, an organisation accepts, the approver grants one of its
people time-limited access to the draft, which ends by itself or when revoked."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from assistance import help
from assistance.models import HelpRequest
from core.errors import WorkflowError
from core.models import AuditEntry, Membership, MemberState, Notification, Organisation, Role
from reporting import permissions as reporting_permissions
from reporting.models import Report
from tests.conftest import enrol_totp
from tests.factories import member

pytestmark = pytest.mark.django_db

SECTION = "coordination"


@pytest.fixture
def centre(db):
    """A person of a UN regional centre (UNREC) who takes requests on."""
    return member(Role.DONOR, organisation="UNREC", username="staff.unrec")


@pytest.fixture
def expert(db):
    """Another person of UNREC: the one who will help with the draft."""
    return member(Role.DONOR, organisation="UNREC", username="expert.unrec", language="fr")


@pytest.fixture
def asked(report, editor):
    return help.ask_for_help(report, by=editor, description="Help with section 3, please.")


@pytest.fixture
def accepted(asked, centre):
    return help.accept_help_request(
        asked, by=centre, organisation=Organisation.objects.get(acronym="UNREC")
    )


def in_days(days: int) -> datetime.datetime:
    return help.access_ends_at(timezone.localdate() + datetime.timedelta(days=days))


@pytest.fixture
def granted(accepted, approver, expert):
    return help.grant_delegated_access(accepted, by=approver, user=expert, until=in_days(30))


def section_url(report) -> str:
    return reverse("reporting:section-edit", args=[report.pk, SECTION])


def actions() -> list[str]:
    return list(
        AuditEntry.objects.filter(action__startswith="assistance.help_request.")
        .order_by("at", "id")
        .values_list("action", flat=True)
    )


# --- the whole flow ----------------------------------------------------------------------


def test_full_flow_from_asking_to_the_assistant_editing_the_draft(
    client_for, editor, approver, centre, expert, report, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(editor).post(
            reverse("assistance:help-ask", args=[report.pk]),
            {"description": "We need help with the stockpile section."},
        )
    help_request = HelpRequest.objects.get()
    assert response.url == reverse("assistance:help-detail", args=[help_request.pk])
    assert help_request.state.iso3 == "FRA" and help_request.status == "open"
    # The organisations' people hear of it; the draft stays closed to them.
    assert {m.to[0] for m in mail.outbox} == {centre.email, expert.email}
    assert client_for(expert).get(section_url(report)).status_code == 404

    detail = reverse("assistance:help-detail", args=[help_request.pk])
    page = client_for(centre).get(detail).content.decode()
    assert "We need help with the stockpile section." in page and "Accept the request" in page
    mail.outbox.clear()
    unrec = Organisation.objects.get(acronym="UNREC")
    with django_capture_on_commit_callbacks(execute=True):
        client_for(centre).post(
            reverse("assistance:help-accept", args=[help_request.pk]), {"organisation": unrec.pk}
        )
    help_request.refresh_from_db()
    assert help_request.status == "accepted" and help_request.organisation == unrec
    assert help_request.accepted_by == centre
    # The State's officials and the centre's colleague are told.
    assert {m.to[0] for m in mail.outbox} == {editor.email, approver.email, expert.email}
    assert Notification.objects.filter(user=approver, url=detail).exists()

    mail.outbox.clear()
    until = timezone.localdate() + datetime.timedelta(days=30)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(approver).post(
            reverse("assistance:help-grant", args=[help_request.pk]),
            {"user": expert.pk, "until": until.isoformat()},
        )
    assert response.status_code == 302
    grant = help_request.grants.get()
    assert grant.user == expert and grant.role == Role.ASSISTANT
    assert grant.state.iso3 == "FRA" and grant.organisation == unrec
    assert timezone.localdate(grant.expires_at) == until
    assert [m.to[0] for m in mail.outbox] == [expert.email]
    assert str(report.pk) in mail.outbox[0].body

    page = client_for(expert).get(section_url(report))
    assert page.status_code == 200 and page.context["editable"] is True
    assert "expert.unrec" in client_for(approver).get(detail).content.decode()
    assert actions() == [
        "assistance.help_request.asked",
        "assistance.help_request.accepted",
        "assistance.help_request.access_granted",
    ]
    assert AuditEntry.objects.filter(action="core.membership.granted", actor=approver).exists()


# --- access ends -------------------------------------------------------------------------


def test_delegated_access_expiring_closes_the_draft(client_for, report, granted, expert):
    client = client_for(expert)
    assert client.get(section_url(report)).status_code == 200
    Membership.objects.filter(pk=granted.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert client.get(section_url(report)).status_code == 404
    assert client.get(reverse("reporting:report-detail", args=[report.pk])).status_code == 404
    response = client.post(reverse("reporting:answer-save", args=[report.pk]), {})
    assert response.status_code == 404
    assert not reporting_permissions.can_edit_report(expert, report)


def test_delegated_access_ends_by_itself_when_time_passes(monkeypatch, report, granted, expert):
    """No job needs to run: the same membership stops counting once its time has passed."""
    assert reporting_permissions.can_edit_report(expert, report)
    later = timezone.now() + datetime.timedelta(days=31)
    monkeypatch.setattr(timezone, "now", lambda: later)
    expert.refresh_from_db()
    expert.__dict__.pop("_active_memberships", None)
    assert not reporting_permissions.can_edit_report(expert, report)
    assert not reporting_permissions.can_view_report(expert, report)


def test_expired_access_is_shown_as_ended_and_cannot_be_revoked(
    client_for, approver, accepted, granted
):
    Membership.objects.filter(pk=granted.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    page = client_for(approver).get(reverse("assistance:help-detail", args=[accepted.pk]))
    assert "Ended on" in page.content.decode()
    with pytest.raises(WorkflowError, match="already ended"):
        help.revoke_delegated_access(accepted, by=approver, membership=granted)


def test_revocation_ends_access_on_the_next_request(
    client_for, approver, report, accepted, granted, expert, django_capture_on_commit_callbacks
):
    client = client_for(expert)
    assert client.get(section_url(report)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(approver).post(
            reverse("assistance:help-revoke", args=[accepted.pk, granted.pk])
        )
    assert response.status_code == 302
    granted.refresh_from_db()
    assert granted.revoked_by == approver and not granted.is_active
    assert client.get(section_url(report)).status_code == 404
    assert [m.to[0] for m in mail.outbox] == [expert.email]
    assert actions()[-1] == "assistance.help_request.access_revoked"
    assert AuditEntry.objects.filter(action="core.membership.revoked").exists()


def test_closing_revokes_live_access_and_only_the_approver_may_then(
    client_for, editor, approver, report, accepted, granted, expert
):
    response = client_for(editor).post(reverse("assistance:help-close", args=[accepted.pk]))
    assert response.status_code == 302
    accepted.refresh_from_db()
    granted.refresh_from_db()
    assert accepted.status == "accepted" and granted.is_active
    client_for(approver).post(reverse("assistance:help-close", args=[accepted.pk]))
    accepted.refresh_from_db()
    granted.refresh_from_db()
    assert accepted.status == "closed" and not granted.is_active
    assert client_for(expert).get(section_url(report)).status_code == 404
    assert actions()[-1] == "assistance.help_request.closed"


def test_editor_closes_a_request_nobody_has_access_under(client_for, editor, asked):
    client_for(editor).post(reverse("assistance:help-close", args=[asked.pk]))
    asked.refresh_from_db()
    assert asked.status == "closed"
    with pytest.raises(WorkflowError, match="already closed"):
        help.close_help_request(asked, by=editor)


# --- who may grant -----------------------------------------------------------------------


def test_only_the_approver_grants_access(
    client_for, editor, outsider, donor, centre, expert, accepted
):
    url = reverse("assistance:help-grant", args=[accepted.pk])
    data = {"user": expert.pk, "until": (timezone.localdate() + datetime.timedelta(days=5))}
    before = Membership.objects.count()
    expected = {editor: 403, centre: 403, outsider: 404, donor: 404}
    for user, status in expected.items():
        assert client_for(user).post(url, data).status_code == status
        with pytest.raises(WorkflowError, match="approver") as exc:
            help.grant_delegated_access(accepted, by=user, user=expert, until=in_days(5))
        assert exc.value.code == "forbidden"
    assert Membership.objects.count() == before and not accepted.grants.exists()
    assert "access_granted" not in " ".join(actions())
    # Two refusals (403) and two requests for a request hidden from its asker (404).
    assert AuditEntry.objects.filter(action="core.permission.denied").count() == 4


def test_approver_of_another_state_cannot_see_or_grant(client_for, expert, accepted):
    kenya = member(Role.STATE_APPROVER, state="KEN")
    enrol_totp(kenya)
    client = client_for(kenya)
    assert client.get(reverse("assistance:help-detail", args=[accepted.pk])).status_code == 404
    response = client.post(
        reverse("assistance:help-grant", args=[accepted.pk]),
        {"user": expert.pk, "until": timezone.localdate().isoformat()},
    )
    assert response.status_code == 404 and not accepted.grants.exists()


def test_a_person_outside_the_accepting_organisation_cannot_be_granted(
    client_for, approver, donor, outsider, accepted
):
    until = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    response = client_for(approver).post(
        reverse("assistance:help-grant", args=[accepted.pk]), {"user": donor.pk, "until": until}
    )
    assert response.status_code == 200 and response.context["form"].errors["user"]
    for person in (donor, outsider):  # an EU donor, a Kenyan editor
        with pytest.raises(WorkflowError, match="organisation that accepted") as exc:
            help.grant_delegated_access(accepted, by=approver, user=person, until=in_days(5))
        assert exc.value.code == "invalid"
    assert not accepted.grants.exists()
    assert not Membership.objects.filter(role=Role.ASSISTANT).exists()


@pytest.mark.parametrize("days", [-1, 181])
def test_access_is_limited_to_180_days_ahead(client_for, approver, expert, accepted, days):
    until = timezone.localdate() + datetime.timedelta(days=days)
    response = client_for(approver).post(
        reverse("assistance:help-grant", args=[accepted.pk]),
        {"user": expert.pk, "until": until.isoformat()},
    )
    assert response.status_code == 200 and response.context["form"].errors["until"]
    with pytest.raises(WorkflowError, match="at most 180 days") as exc:
        help.grant_delegated_access(accepted, by=approver, user=expert, until=in_days(days))
    assert exc.value.code == "invalid"
    assert not accepted.grants.exists()


def test_access_until_the_180th_day_is_allowed(approver, expert, accepted):
    membership = help.grant_delegated_access(
        accepted, by=approver, user=expert, until=in_days(help.MAX_ACCESS_DAYS)
    )
    assert membership.is_active


def test_no_grant_before_acceptance_or_twice(approver, expert, asked, centre):
    with pytest.raises(WorkflowError, match="accepted") as exc:
        help.grant_delegated_access(asked, by=approver, user=expert, until=in_days(5))
    assert exc.value.code == "not_allowed_now"
    unrec = Organisation.objects.get(acronym="UNREC")
    help.accept_help_request(asked, by=centre, organisation=unrec)
    help.grant_delegated_access(asked, by=approver, user=expert, until=in_days(5))
    with pytest.raises(WorkflowError, match="already has access"):
        help.grant_delegated_access(asked, by=approver, user=expert, until=in_days(9))
    assert asked.grants.count() == 1


def test_only_the_approver_revokes(client_for, editor, centre, accepted, granted):
    url = reverse("assistance:help-revoke", args=[accepted.pk, granted.pk])
    assert client_for(editor).post(url).status_code == 403
    assert client_for(centre).post(url).status_code == 403
    granted.refresh_from_db()
    assert granted.is_active
    assert "access_revoked" not in " ".join(actions())


# --- asking and accepting ----------------------------------------------------------------


def test_one_live_request_per_report(editor, approver, report, asked):
    with pytest.raises(WorkflowError, match="already been asked"):
        help.ask_for_help(report, by=approver, description="Again")
    help.close_help_request(asked, by=editor)
    again = help.ask_for_help(report, by=approver, description="Again")
    assert again.status == "open"
    assert HelpRequest.objects.count() == 2


def test_help_is_asked_only_for_an_editable_report(editor, report):
    Report.objects.filter(pk=report.pk).update(status=Report.Status.SUBMITTED)
    report.refresh_from_db()
    with pytest.raises(WorkflowError, match="can still be edited"):
        help.ask_for_help(report, by=editor, description="Help")
    assert not HelpRequest.objects.exists()


def test_ask_needs_a_description(client_for, editor, report):
    response = client_for(editor).post(
        reverse("assistance:help-ask", args=[report.pk]), {"description": "   "}
    )
    assert response.status_code == 200 and response.context["form"].errors
    with pytest.raises(WorkflowError) as exc:
        help.ask_for_help(report, by=editor, description="  ")
    assert exc.value.code == "invalid"
    assert not HelpRequest.objects.exists()


def test_only_the_states_officials_ask(client_for, outsider, donor, reviewer, report):
    url = reverse("assistance:help-ask", args=[report.pk])
    assert client_for(outsider).post(url, {"description": "x"}).status_code == 404
    assert client_for(donor).post(url, {"description": "x"}).status_code == 404
    assert client_for(reviewer).post(url, {"description": "x"}).status_code == 403
    with pytest.raises(WorkflowError) as exc:
        help.ask_for_help(report, by=outsider, description="x")
    assert exc.value.code == "forbidden"
    assert not HelpRequest.objects.exists()


def test_accepting_needs_an_organisation_of_ones_own(client_for, editor, centre, donor, asked):
    eu = Organisation.objects.get(acronym="EU")
    with pytest.raises(WorkflowError, match="organisation you belong to"):
        help.accept_help_request(asked, by=centre, organisation=eu)
    url = reverse("assistance:help-accept", args=[asked.pk])
    assert client_for(editor).post(url, {"organisation": eu.pk}).status_code == 403
    client_for(centre).post(url, {"organisation": eu.pk})  # not one of the centre's
    asked.refresh_from_db()
    assert asked.status == "open" and asked.organisation is None
    assert actions() == ["assistance.help_request.asked"]
    help.accept_help_request(asked, by=donor, organisation=eu)
    with pytest.raises(WorkflowError, match="no longer open"):
        help.accept_help_request(
            asked, by=centre, organisation=Organisation.objects.get(acronym="UNREC")
        )


# --- who sees what -----------------------------------------------------------------------


def test_other_states_officials_cannot_see_a_request(client_for, outsider, asked):
    client = client_for(outsider)
    assert client.get(reverse("assistance:help-detail", args=[asked.pk])).status_code == 404
    assert client.post(reverse("assistance:help-close", args=[asked.pk])).status_code == 404
    assert asked not in help.help_requests_visible_to(outsider)
    asked.refresh_from_db()
    assert asked.status == "open"


def test_organisations_see_open_requests_and_those_they_accepted(
    client_for, donor, centre, reviewer, asked
):
    page = client_for(donor).get(reverse("assistance:help-list")).content.decode()
    assert "France" in page and "BMS10" in page
    detail = client_for(donor).get(reverse("assistance:help-detail", args=[asked.pk]))
    assert "Help with section 3, please." in detail.content.decode()
    assert detail.context["grants"] is None  # who has access is not for other organisations
    help.accept_help_request(
        asked, by=centre, organisation=Organisation.objects.get(acronym="UNREC")
    )
    assert (
        client_for(donor).get(reverse("assistance:help-detail", args=[asked.pk])).status_code == 404
    )
    assert asked in help.help_requests_visible_to(centre)
    assert asked in help.help_requests_visible_to(reviewer)


def test_people_without_a_part_in_help_requests_are_refused_the_list(client_for, anonymous):
    nobody = member(Role.STATE_EDITOR, state="FRA")
    Membership.objects.filter(user=nobody).update(revoked_at=timezone.now())
    assert client_for(nobody).get(reverse("assistance:help-list")).status_code == 403
    assert anonymous.get(reverse("assistance:help-list")).status_code == 302


def test_list_query_count_does_not_grow(
    client_for, reviewer, cycle, editor, django_assert_max_num_queries
):
    def add_requests(count: int) -> None:
        for iso3 in list(MemberState.objects.exclude(iso3="FRA").values_list("iso3", flat=True))[
            HelpRequest.objects.count() : HelpRequest.objects.count() + count
        ]:
            state = MemberState.objects.get(iso3=iso3)
            report = Report.objects.create(
                state=state,
                cycle=cycle,
                questionnaire=cycle.questionnaire,
                language="en",
                created_by=editor,
            )
            HelpRequest.objects.create(
                state=state, report=report, description="x", created_by=editor
            )

    client = client_for(reviewer)
    counts = []
    for count in (5, 5):
        add_requests(count)
        with django_assert_max_num_queries(20) as ctx:
            assert client.get(reverse("assistance:help-list")).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
