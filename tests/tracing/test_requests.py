"""Tracing requests: the full conversation between two States, nobody else reads it."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.errors import WorkflowError
from core.models import AuditEntry, MemberState, Role
from tests.conftest import enrol_totp
from tests.factories import member
from tracing import requests as tracing
from tracing.models import TracingMessage, TracingRequest

pytestmark = pytest.mark.django_db

DATA = {
    "weapon_type": "Assault rifle",
    "make": "Unknown",
    "model": "",
    "calibre": "7.62x39",
    "serial_number": " 0O-1l 234 ",
    "markings": "★ 12-345 / КБ  (partly ground off)",
    "circumstances": "Seized at a border crossing.",
    "why_illicit": "No licence; marks altered.",
    "intended_use": "Criminal investigation.",
    "urgency": "urgent",
    "confidentiality": "Not to be shared with third parties.",
}


def due() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=30)


@pytest.fixture
def sent(editor, outsider):
    return tracing.send_request(
        by=editor,
        from_state=MemberState.objects.get(iso3="FRA"),
        to_state=MemberState.objects.get(iso3="KEN"),
        data={**DATA, "due_on": due()},
    )


def test_full_conversation_between_two_states(
    client_for, editor, outsider, sent, django_capture_on_commit_callbacks
):
    kenya = client_for(outsider)  # an editor of Kenya, the requested State
    page = kenya.get(reverse("tracing:request-detail", args=[sent.pk])).content.decode()
    assert "0O-1l 234" in page and "★ 12-345 / КБ" in page
    kenya.post(reverse("tracing:request-action", args=[sent.pk, "acknowledge"]))
    kenya.post(
        reverse("tracing:request-action", args=[sent.pk, "request-information"]),
        {"message": "Please send a photo of the receiver."},
    )
    photo = SimpleUploadedFile("receiver.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    client_for(editor).post(
        reverse("tracing:request-action", args=[sent.pk, "message"]),
        {"body": "Photo attached.", "files": [photo]},
    )
    kenya.post(
        reverse("tracing:request-action", args=[sent.pk, "answer"]),
        {"outcome": "partially", "answer": "Exported in 2009 to a licensed dealer."},
    )
    client_for(editor).post(reverse("tracing:request-action", args=[sent.pk, "close"]))
    sent.refresh_from_db()
    assert sent.status == "closed" and sent.outcome == "partially"
    assert sent.serial_number == " 0O-1l 234 "  # evidence stored exactly as typed
    assert [m.status for m in TracingMessage.objects.filter(request=sent)] == [
        "sent",
        "acknowledged",
        "information_requested",
        "",
        "answered",
        "closed",
    ]
    assert sent.attachments.get().content_type == "image/png"
    actions = set(
        AuditEntry.objects.filter(object_type="tracing.tracingrequest").values_list(
            "action", flat=True
        )
    )
    assert {"tracing.request.sent", "tracing.request.answered"} <= actions
    assert all("markings" not in str(e.data) for e in AuditEntry.objects.all())


def test_third_state_and_unoda_cannot_learn_that_a_request_exists(client_for, reviewer, sent):
    third = member(Role.STATE_APPROVER, state="BRA")
    enrol_totp(third)
    for user in (third, reviewer):
        client = client_for(user)
        assert client.get(reverse("tracing:request-detail", args=[sent.pk])).status_code == 404
        assert (
            client.post(
                reverse("tracing:request-action", args=[sent.pk, "answer"]),
                {"outcome": "traced", "answer": "x"},
            ).status_code
            == 404
        )
        api = APIClient()
        api.force_authenticate(user)
        assert api.get(f"/api/v1/tracing-requests/{sent.pk}/").status_code == 404
        assert api.get("/api/v1/tracing-requests/").json()["count"] == 0
    sent.refresh_from_db()
    assert sent.status == "sent" and sent.answer == ""
    # UNODA sees counts only.
    page = client_for(reviewer).get(reverse("tracing:request-list")).content.decode()
    assert "Assault rifle" not in page and "TR-" not in page


def test_only_the_right_side_acts(editor, outsider, sent):
    with pytest.raises(WorkflowError, match="Only the other State"):
        tracing.answer_request(sent, by=editor, outcome="traced", answer="x")
    with pytest.raises(WorkflowError, match="Only the other State"):
        tracing.close_request(sent, by=outsider)


def test_request_to_ones_own_state_is_refused(editor):
    france = MemberState.objects.get(iso3="FRA")
    with pytest.raises(WorkflowError, match="another State, not to your own"):
        tracing.send_request(
            by=editor, from_state=france, to_state=france, data={**DATA, "due_on": due()}
        )
    assert not TracingRequest.objects.exists()


def test_attachment_must_be_what_it_claims(editor, outsider, sent):
    fake = SimpleUploadedFile("photo.png", b"MZ this is not an image")
    with pytest.raises(WorkflowError):
        tracing.add_message(sent, by=outsider, body="see", files=[fake])
    assert not sent.attachments.exists()


def test_api_conversation(editor, outsider):
    france, kenya = APIClient(), APIClient()
    france.force_authenticate(editor)
    kenya.force_authenticate(outsider)
    created = france.post(
        "/api/v1/tracing-requests/",
        {**DATA, "requested_state": "KEN", "due_on": due().isoformat()},
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert kenya.post(f"/api/v1/tracing-requests/{pk}/acknowledge/").status_code == 200
    assert (
        france.post(
            f"/api/v1/tracing-requests/{pk}/answer/",
            {"outcome": "traced", "answer": "x"},
            format="json",
        ).status_code
        == 403
    )
    answered = kenya.post(
        f"/api/v1/tracing-requests/{pk}/answer/",
        {"outcome": "traced", "answer": "Held by a police unit."},
        format="json",
    )
    assert answered.json()["status"] == "answered"
    assert france.post(f"/api/v1/tracing-requests/{pk}/close/").json()["status"] == "closed"


def test_statistics(editor, outsider):
    france, kenya = (MemberState.objects.get(iso3=c) for c in ("FRA", "KEN"))
    now = timezone.now()
    for days in (2, 4, 9):
        request = tracing.send_request(
            by=editor, from_state=france, to_state=kenya, data={**DATA, "due_on": due()}
        )
        TracingRequest.objects.filter(pk=request.pk).update(
            created_at=now - datetime.timedelta(days=days), answered_at=now
        )
    tracing.send_request(
        by=outsider, from_state=kenya, to_state=france, data={**DATA, "due_on": due()}
    )
    assert tracing.tracing_statistics(kenya) == {
        "sent": 1,
        "received": 3,
        "answered": 3,
        "median_days_to_answer": 4.0,
    }
    assert tracing.tracing_statistics()["sent"] == 4


def test_due_reminders_go_once(sent, outsider, django_capture_on_commit_callbacks):
    from django.core import mail

    soon = sent.due_on - datetime.timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert tracing.send_due_reminders(today=soon) == 1
        assert tracing.send_due_reminders(today=soon) == 0
        assert tracing.send_due_reminders(today=sent.due_on + datetime.timedelta(days=1)) == 1
    assert [m.to for m in mail.outbox] == [[outsider.email], [outsider.email]]
