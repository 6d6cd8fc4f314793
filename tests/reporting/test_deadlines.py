"""Deadline reminders (each sent once, in each recipient's language) and extensions."""

import datetime

import pytest
from django.core import mail

from core.errors import WorkflowError
from core.models import AuditEntry, MemberState, Role
from reporting import services
from reporting.models import ReminderSent
from reporting.services.deadlines import grant_extension, reminder_step, send_deadline_reminders
from tests.factories import member

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("days_left", "step"),
    [
        (45, None),
        (30, 30),
        (8, 30),
        (7, 7),
        (2, 7),
        (1, 1),
        (0, None),
        (-3, None),
    ],
)
def test_reminder_steps(days_left, step):
    assert reminder_step(days_left) == step


def test_reminders_go_once_to_states_without_a_submitted_report(
    cycle, editor, approver, outsider, django_capture_on_commit_callbacks
):
    day = cycle.deadline - datetime.timedelta(days=7)
    member(Role.STATE_APPROVER, state="KEN", language="fr", email="approbateur@ken.example")
    with django_capture_on_commit_callbacks(execute=True):
        first = send_deadline_reminders(today=day)
    with django_capture_on_commit_callbacks(execute=True):
        again = send_deadline_reminders(today=day)  # the beat task runs again: nothing more
    assert first == 195 and again == 0
    assert ReminderSent.objects.filter(days_before=7).count() == 195
    to_kenya = [m for m in mail.outbox if m.to[0] == "approbateur@ken.example"]
    assert len(to_kenya) == 1 and "jour" in to_kenya[0].subject  # in French
    assert {m.to[0] for m in mail.outbox} >= {editor.email, approver.email, outsider.email}
    assert AuditEntry.objects.filter(action="reporting.reminder.sent").count() == 195


def test_no_reminder_after_submission(cycle, report, editor, approver):
    from tests.reporting.test_reports import fill

    fill(report, editor)
    services.submit_report(report, by=approver, visibility="public", mfa_verified=True)
    send_deadline_reminders(today=cycle.deadline - datetime.timedelta(days=1))
    assert not ReminderSent.objects.filter(state__iso3="FRA").exists()
    assert ReminderSent.objects.filter(state__iso3="KEN", days_before=1).exists()


def test_extension_moves_reminders_and_keeps_the_cycle_open_for_that_state(cycle, reviewer, editor):
    france = MemberState.objects.get(iso3="FRA")
    later = cycle.closes_on + datetime.timedelta(days=20)
    grant_extension(cycle=cycle, state=france, deadline=later, reason="Elections", by=reviewer)
    assert AuditEntry.objects.filter(action="reporting.extension.granted").exists()
    assert cycle.is_open(cycle.closes_on + datetime.timedelta(days=5), state=france)
    assert not cycle.is_open(
        cycle.closes_on + datetime.timedelta(days=5), state=MemberState.objects.get(iso3="KEN")
    )
    send_deadline_reminders(today=cycle.deadline - datetime.timedelta(days=1))
    assert not ReminderSent.objects.filter(state=france).exists()  # 20+ days left for France


def test_extension_rules(cycle, editor, reviewer):
    france = MemberState.objects.get(iso3="FRA")
    with pytest.raises(WorkflowError) as exc:
        grant_extension(cycle=cycle, state=france, deadline=cycle.deadline, reason="", by=reviewer)
    assert exc.value.code == "invalid"
    with pytest.raises(WorkflowError) as exc:
        grant_extension(
            cycle=cycle,
            state=france,
            by=editor,
            reason="",
            deadline=cycle.deadline + datetime.timedelta(days=3),
        )
    assert exc.value.code == "forbidden"


def test_late_submission_is_flagged(cycle, report, editor, approver):
    from django.utils import timezone

    from tests.reporting.test_reports import fill

    fill(report, editor)
    services.submit_report(report, by=approver, visibility="public", mfa_verified=True)
    report.refresh_from_db()
    assert report.is_late is False
    report.submitted_at = timezone.now().replace(year=cycle.deadline.year + 1)
    assert report.is_late is True


def test_staff_grant_an_extension_from_the_page(client_for, reviewer, editor, cycle):
    from django.urls import reverse

    url = reverse("reporting:cycle-extensions", args=[cycle.pk])
    france = MemberState.objects.get(iso3="FRA")
    deadline = (cycle.deadline + datetime.timedelta(days=10)).isoformat()
    assert (
        client_for(editor).post(url, {"state": france.pk, "deadline": deadline}).status_code == 403
    )
    response = client_for(reviewer).post(
        url, {"state": france.pk, "deadline": deadline, "reason": "Elections"}
    )
    assert response.status_code == 302
    assert cycle.extensions.get().state == france
    bad = client_for(reviewer).post(
        url, {"state": france.pk, "deadline": cycle.opens_on.isoformat()}
    )
    assert bad.status_code == 200 and "must be after" in bad.content.decode()
