"""Deadlines: reminders before them (each sent once) and extensions granted by UNODA."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit
from core.emails import render_subject, send_templated_mail
from core.errors import WorkflowError
from core.models import MemberState, Role, User
from core.permissions import is_unoda_staff
from core.selectors import users_with_role
from core.services import notify
from reporting.models import Cycle, DeadlineExtension, ReminderSent, Report

#: Days before the deadline at which States without a submitted report are reminded.
REMINDER_DAYS = (30, 7, 1)
#: Statuses that mean "not submitted yet".
NOT_SUBMITTED = (Report.Status.DRAFT,)


def reminder_step(days_left: int) -> int | None:
    """The reminder due with `days_left` days to go: 30 from 30 to 8 days, 7 from 7 to 2,
    1 on the last day; None before 30 days or after the deadline. A beat run that was missed
    one day still sends the step on the next."""
    due = [step for step in REMINDER_DAYS if 0 < days_left <= step]
    return min(due) if due else None


def send_deadline_reminders(*, today: datetime.date | None = None) -> int:
    """Remind every State without a submitted report in each open cycle. Returns how many
    reminders went out; running it again the same day sends nothing more."""
    today = today or timezone.localdate()
    sent = 0
    for cycle in Cycle.objects.open_on(today).select_related("meeting"):
        extensions = dict(cycle.extensions.values_list("state_id", "deadline"))
        done = set(
            Report.objects.filter(cycle=cycle)
            .exclude(status__in=NOT_SUBMITTED)
            .values_list("state_id", flat=True)
        )
        for state in MemberState.objects.exclude(pk__in=done):
            deadline = extensions.get(state.pk, cycle.deadline)
            step = reminder_step((deadline - today).days)
            if step is not None and _remind(cycle, state, step, deadline):
                sent += 1
    return sent


def _remind(cycle: Cycle, state: MemberState, step: int, deadline: datetime.date) -> bool:
    """Record the reminder first: the unique constraint makes a second run a no-op."""
    recipients = list(users_with_role(Role.STATE_EDITOR, Role.STATE_APPROVER, state=state))
    try:
        with transaction.atomic():
            ReminderSent.objects.create(
                cycle=cycle, state=state, days_before=step, recipients=len(recipients)
            )
            context = {"cycle": cycle, "state": state, "deadline": deadline, "days": step}
            for person in recipients:
                notify(
                    user=person,
                    url=reverse("dashboard"),
                    message=render_subject("deadline_reminder", person.language, context),
                )
                send_templated_mail(
                    template="deadline_reminder",
                    to=person.email,
                    language=person.language,
                    context={
                        "cycle": cycle,
                        "state": state,
                        "deadline": deadline,
                        "days": step,
                        "link": settings.SITE_URL + reverse("dashboard"),
                    },
                )
            audit.record(
                "reporting.reminder.sent",
                actor=None,
                obj=cycle,
                state=state,
                data={"days_before": step, "recipients": len(recipients)},
            )
    except IntegrityError:
        return False
    return True


@transaction.atomic
def grant_extension(
    *, cycle: Cycle, state: MemberState, deadline: datetime.date, reason: str, by: User
) -> DeadlineExtension:
    """Give a State until `deadline` (after the cycle's own) to submit on time."""
    if not is_unoda_staff(by):
        raise WorkflowError(_("Only UNODA may grant an extension."), code="forbidden")
    if deadline <= cycle.deadline:
        raise WorkflowError(
            _("The extended deadline must be after the cycle's deadline."), code="invalid"
        )
    extension, _created = DeadlineExtension.objects.update_or_create(
        cycle=cycle,
        state=state,
        defaults={"deadline": deadline, "reason": reason.strip()[:300], "granted_by": by},
    )
    audit.record(
        "reporting.extension.granted",
        actor=by,
        obj=cycle,
        state=state,
        data={"deadline": deadline.isoformat(), "reason": extension.reason},
    )
    return extension
