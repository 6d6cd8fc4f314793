"""State changes on meetings and reporting cycles."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from core import audit
from core.errors import WorkflowError
from core.models import User
from reporting.models import Cycle, Meeting, QuestionnaireVersion
from reporting.permissions import can_manage_meetings


@transaction.atomic
def create_meeting(
    *,
    by: User,
    kind: str,
    number: int | None,
    start_date: datetime.date,
    end_date: datetime.date,
    venue: str,
    title: str = "",
    opens_on: datetime.date | None = None,
    deadline: datetime.date | None = None,
    closes_on: datetime.date | None = None,
    questionnaire: QuestionnaireVersion | None = None,
) -> Meeting:
    """Create a meeting and, when dates are given, the reporting cycle ahead of it."""
    if not can_manage_meetings(by):
        raise WorkflowError(_("You may not manage meetings."), code="forbidden")
    if end_date < start_date:
        raise WorkflowError(_("The last day cannot be before the first day."))
    if number and Meeting.objects.filter(kind=kind, number=number).exists():
        raise WorkflowError(_("A meeting of this kind with this number already exists."))
    meeting = Meeting.objects.create(
        kind=kind,
        number=number,
        start_date=start_date,
        end_date=end_date,
        venue=venue,
        title=title,
    )
    if opens_on or deadline:
        if not (opens_on and deadline):
            raise WorkflowError(_("Give both the opening date and the deadline of the cycle."))
        closes_on = closes_on or deadline
        if not opens_on <= deadline <= closes_on:
            raise WorkflowError(
                _("The cycle must open before its deadline, and close on or after it.")
            )
        if questionnaire and questionnaire.status != QuestionnaireVersion.Status.PUBLISHED:
            raise WorkflowError(_("Choose a published questionnaire version."))
        Cycle.objects.create(
            meeting=meeting,
            opens_on=opens_on,
            deadline=deadline,
            closes_on=closes_on,
            questionnaire=questionnaire,
        )
    audit.record(
        "reporting.meeting.created",
        actor=by,
        obj=meeting,
        data={
            "kind": kind,
            "number": number,
            "start_date": str(start_date),
            "deadline": str(deadline) if deadline else None,
        },
    )
    return meeting
