"""National points of contact: field visibility, history, yearly confirmation, updates from
published reports, exports."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.errors import WorkflowError
from core.models import AuditEntry, MemberState, Role
from reporting import services as reporting
from reporting.models import Report
from tests.factories import member
from tracing import services
from tracing.models import ConfirmationRequest, ContactPoint, ContactUpdateProposal

pytestmark = pytest.mark.django_db

CONTACT = {
    "title": "Ms.",
    "name": "Claire Dubois",
    "position": "Head of unit",
    "organisation": "Ministry of the Interior",
    "address": "1 rue de l'Exemple, Paris",
    "phone": "+33 1 00 00 00 00",
    "email": "claire.dubois@example.gouv.fr",
    "working_languages": ["fr", "en"],
}


@pytest.fixture
def contact(approver):
    return services.save_contact_point(
        state=MemberState.objects.get(iso3="FRA"), kind="poa", data=CONTACT, by=approver
    )


def test_phone_and_email_hidden_from_the_public_by_default(
    anonymous, client_for, contact, outsider, reviewer
):
    public = anonymous.get(reverse("tracing:directory")).content.decode()
    assert "Claire Dubois" in public
    assert "claire.dubois@example.gouv.fr" not in public and "+33 1" not in public
    for user in (outsider, reviewer):  # another State's official, UNODA
        page = client_for(user).get(reverse("tracing:directory")).content.decode()
        assert "claire.dubois@example.gouv.fr" in page and "+33 1" in page
    api = anonymous.get("/api/v1/contact-points/").json()["results"]
    assert "email" not in api[0]["contact"] and api[0]["contact"]["name"] == "Claire Dubois"
    assert (
        anonymous.get(reverse("tracing:directory"), {"q": "claire.dubois@"}).context["rows"] == []
    )  # a hidden field is not a search handle


def test_state_chooses_public_fields(anonymous, approver, contact):
    services.save_contact_point(
        state=contact.state,
        kind="poa",
        by=approver,
        data={**CONTACT, "public_fields": ["name", "email"]},
    )
    page = anonymous.get(reverse("tracing:directory")).content.decode()
    assert "claire.dubois@example.gouv.fr" in page
    assert "Ministry of the Interior" not in page


def test_every_change_is_kept_and_audited(approver, contact):
    services.save_contact_point(
        state=contact.state, kind="poa", by=approver, data={**CONTACT, "name": "Paul Martin"}
    )
    assert [v.data["name"] for v in contact.versions.all()] == ["Paul Martin", "Claire Dubois"]
    assert AuditEntry.objects.filter(action="tracing.contact.updated").exists()


def test_outsider_cannot_change_another_states_contacts(client_for, outsider, contact):
    response = client_for(outsider).post(
        reverse("tracing:contact-edit", args=["FRA", "poa"]), {**CONTACT, "name": "Intruder"}
    )
    assert response.status_code == 403
    contact.refresh_from_db()
    assert contact.name == "Claire Dubois"
    with pytest.raises(WorkflowError):
        services.save_contact_point(state=contact.state, kind="poa", data=CONTACT, by=outsider)


def test_bad_contact_input_gets_a_clear_error(approver):
    france = MemberState.objects.get(iso3="FRA")
    with pytest.raises(WorkflowError, match="valid e-mail"):
        services.save_contact_point(state=france, kind="poa", data={"email": "nope"}, by=approver)
    with pytest.raises(WorkflowError, match="Unknown fields"):
        services.save_contact_point(state=france, kind="poa", data={"fax": "1"}, by=approver)
    assert not ContactPoint.objects.exists()


def test_yearly_confirmation_is_asked_once(contact, approver, django_capture_on_commit_callbacks):
    ContactPoint.objects.filter(pk=contact.pk).update(
        last_confirmed_at=timezone.now() - datetime.timedelta(days=400)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.request_yearly_confirmations() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert services.request_yearly_confirmations() == 0
    assert ConfirmationRequest.objects.count() == 1
    assert [m.to for m in mail.outbox] == [[approver.email]]
    contact.refresh_from_db()
    assert contact.possibly_outdated
    services.confirm_contacts(state=contact.state, by=approver)
    contact.refresh_from_db()
    assert not contact.possibly_outdated


def test_published_report_offers_its_contacts(
    report, editor, approver, reviewer, django_capture_on_commit_callbacks
):
    from tests.reporting.test_reports import fill

    fill(report, editor)
    reporting.submit_report(report, by=approver, visibility="public", mfa_verified=True)
    # The sample questionnaire has no contact keys of the directory: give the revision one.
    with django_capture_on_commit_callbacks(execute=True):
        published = reporting.publish_report(Report.objects.get(pk=report.pk), by=reviewer)
    revision = published.revisions.get(status="published")
    proposals = services.propose_updates_from_report(
        published, {**revision.answers, "coordination.poc": {"name": "New Person"}}
    )
    assert [p.kind for p in proposals] == ["poa"]
    services.decide_proposal(proposal=proposals[0], accept=True, by=approver)
    assert ContactPoint.objects.get(state=report.state, kind="poa").name == "New Person"
    assert ContactUpdateProposal.objects.get().accepted is True
    with pytest.raises(WorkflowError, match="already been decided"):
        services.decide_proposal(proposal=proposals[0], accept=False, by=approver)


def test_exports_show_only_visible_fields(anonymous, client_for, contact, reviewer):
    csv_text = b"".join(anonymous.get(reverse("tracing:directory-csv")).streaming_content)
    assert b"Claire Dubois" in csv_text and b"claire.dubois" not in csv_text
    vcard = anonymous.get(reverse("tracing:directory-vcard")).content.decode()
    assert "BEGIN:VCARD" in vcard and "FN:Claire Dubois" in vcard and "EMAIL" not in vcard
    staff = client_for(reviewer).get(reverse("tracing:directory-vcard")).content.decode()
    assert "EMAIL:claire.dubois@example.gouv.fr" in staff
    pdf = anonymous.get(reverse("tracing:directory-pdf"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_directory_filters(anonymous, contact, approver):
    kenya = MemberState.objects.get(iso3="KEN")
    services.save_contact_point(
        state=kenya,
        kind="iti",
        by=member(Role.STATE_APPROVER, state="KEN"),
        data={"name": "Wanjiru Kamau"},
    )
    url = reverse("tracing:directory")
    assert [
        r["contact"].state.iso3 for r in anonymous.get(url, {"group": "AFRICAN"}).context["rows"]
    ] == ["KEN"]
    assert [r["contact"].kind for r in anonymous.get(url, {"kind": "poa"}).context["rows"]] == [
        "poa"
    ]
    assert len(anonymous.get(url, {"region": "150"}).context["rows"]) == 1


def test_demo_contacts_include_possibly_outdated_ones(db):
    from io import StringIO

    from django.core.management import call_command

    call_command("demo_contacts", stdout=StringIO())
    call_command("demo_contacts", stdout=StringIO())
    assert ContactPoint.objects.count() == 20
    outdated = [c for c in ContactPoint.objects.all() if c.possibly_outdated]
    assert 0 < len(outdated) < 20
