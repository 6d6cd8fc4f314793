"""Tracing requests between two States (ITI paras 14–23): sending, acknowledging, asking for
more information, answering, closing, messages with attachments; statistics for UNODA.

Only the officials of the two States read a request. Audit entries carry ids and statuses,
never content: UNODA, which reads the audit log, sees counts and timings only.
"""

from __future__ import annotations

import datetime
import statistics
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit
from core.errors import WorkflowError
from core.i18n import format_list
from core.models import MemberState, Role, User
from core.permissions import AnyUser, states_for
from core.selectors import users_with_role
from core.services import tell
from core.text import clean_text
from reporting.models import Question
from reporting.questions import check_upload
from tracing.models import (
    REQUEST_TEXT_FIELDS,
    TracingAttachment,
    TracingMessage,
    TracingReminder,
    TracingRequest,
)

OFFICIAL_ROLES = (Role.STATE_EDITOR, Role.STATE_APPROVER)
#: Longest message or answer (the length of their columns).
TEXT_MAX_LENGTH = 10000
REQUIRED = ("weapon_type", "markings", "circumstances", "why_illicit", "intended_use")
#: Photos and documents: checked by their real content, like report attachments.
ATTACHMENT_RULES = Question(
    type=Question.Type.FILE, config={"accept": ["pdf", "png", "jpeg"], "max_size_mb": 10}
)
Status = TracingRequest.Status


def requests_visible_to(user: AnyUser) -> QuerySet[TracingRequest]:
    """Requests sent or received by a State the user serves as editor or approver. Nobody
    else (UNODA included) sees a request, or learns that it exists."""
    states = states_for(user, *OFFICIAL_ROLES)
    return TracingRequest.objects.filter(
        Q(requesting_state__in=states) | Q(requested_state__in=states)
    ).select_related("requesting_state", "requested_state")


def side_of(user: AnyUser, request: TracingRequest) -> str | None:
    """ "requesting", "requested" or None for the user's State in this request."""
    states = states_for(user, *OFFICIAL_ROLES)
    if request.requesting_state in states:
        return "requesting"
    if request.requested_state in states:
        return "requested"
    return None


def _store_files(
    request: TracingRequest,
    files: Sequence[UploadedFile],
    by: User,
    message: TracingMessage | None = None,
) -> None:
    for upload in files:
        try:
            extension, content_type = check_upload(ATTACHMENT_RULES, upload)
        except ValidationError as exc:
            raise WorkflowError(" ".join(str(m) for m in exc.messages), code="invalid") from None
        attachment = TracingAttachment(
            request=request,
            message=message,
            extension=extension,
            original_name=upload.name[-255:],
            size=upload.size,
            content_type=content_type,
            uploaded_by=by,
        )
        attachment.file.save(upload.name, upload, save=False)
        attachment.save()


def _tell(request: TracingRequest, state: MemberState, template: str) -> None:
    """Tell the officials of `state`, in their language (no content in the e-mail)."""
    path = reverse("tracing:request-detail", args=[request.pk])
    people = users_with_role(*OFFICIAL_ROLES, state=state)
    tell(people, template=template, path=path, context={"tracing_request": request})


@transaction.atomic
def send_request(
    *,
    by: User,
    from_state: MemberState,
    to_state: MemberState,
    data: dict[str, Any],
    files: Sequence[UploadedFile] = (),
) -> TracingRequest:
    """A State's official asks another State to trace a weapon. Markings and serial numbers
    are stored exactly as typed: they are evidence."""
    if from_state not in states_for(by, *OFFICIAL_ROLES):
        raise WorkflowError(_("You may only send requests for your own State."), code="forbidden")
    if to_state == from_state:
        raise WorkflowError(
            _("A tracing request goes to another State, not to your own."), code="invalid"
        )
    missing = [name for name in REQUIRED if not str(data.get(name) or "").strip()]
    if missing:
        raise WorkflowError(
            _("Fill in: %(fields)s.")
            % {
                "fields": format_list(
                    TracingRequest._meta.get_field(n).verbose_name for n in missing
                )
            },
            code="invalid",
        )
    due_on = data.get("due_on")
    if not isinstance(due_on, datetime.date) or due_on < timezone.localdate():
        raise WorkflowError(_("Give a date in the future for the answer."), code="invalid")
    request = TracingRequest.objects.create(
        requesting_state=from_state,
        requested_state=to_state,
        created_by=by,
        due_on=due_on,
        urgency=data.get("urgency") or TracingRequest.Urgency.NORMAL,
        **{name: str(data.get(name) or "") for name in REQUEST_TEXT_FIELDS},
    )
    TracingMessage.objects.create(request=request, author=by, state=from_state, status=Status.SENT)
    _store_files(request, files, by)
    audit.record(
        "tracing.request.sent", actor=by, obj=request, state=from_state, data={"to": to_state.iso3}
    )
    _tell(request, to_state, "tracing_request_received")
    return request


def _move(
    request: TracingRequest, status: str, *, by: User, side: str, body: str = "", **fields: Any
) -> TracingRequest:
    request = TracingRequest.objects.select_for_update().get(pk=request.pk)
    if side_of(by, request) != side:
        raise WorkflowError(_("Only the other State can do this."), code="forbidden")
    if status not in TracingRequest.TRANSITIONS.get(request.status, set()):
        raise WorkflowError(
            _("This request cannot change to this status now."), code="not_allowed_now"
        )
    request.status = status
    for name, value in fields.items():
        setattr(request, name, value)
    request.save()
    state = request.requested_state if side == "requested" else request.requesting_state
    TracingMessage.objects.create(request=request, author=by, state=state, status=status, body=body)
    audit.record(f"tracing.request.{status}", actor=by, obj=request, state=state)
    other = request.requesting_state if side == "requested" else request.requested_state
    _tell(request, other, "tracing_request_updated")
    return request


@transaction.atomic
def acknowledge_request(request: TracingRequest, *, by: User) -> TracingRequest:
    return _move(request, Status.ACKNOWLEDGED, by=by, side="requested")


@transaction.atomic
def request_information(request: TracingRequest, *, by: User, message: str) -> TracingRequest:
    message = clean_text(message, max_length=TEXT_MAX_LENGTH)
    if not message:
        raise WorkflowError(_("Say what information is needed."), code="invalid")
    return _move(
        request, Status.INFORMATION_REQUESTED, by=by, side="requested", body=message.strip()
    )


@transaction.atomic
def answer_request(
    request: TracingRequest, *, by: User, outcome: str, answer: str
) -> TracingRequest:
    """Traced, partially traced or not traced, with the last known legal holder and the
    transfer details in `answer`."""
    if outcome not in TracingRequest.Outcome.values:
        raise WorkflowError(_("Choose the outcome of the trace."), code="invalid")
    answer = clean_text(answer, max_length=TEXT_MAX_LENGTH)
    if not answer:
        raise WorkflowError(_("Write the answer."), code="invalid")
    return _move(
        request,
        Status.ANSWERED,
        by=by,
        side="requested",
        outcome=outcome,
        answer=answer.strip(),
        answered_at=timezone.now(),
    )


@transaction.atomic
def close_request(request: TracingRequest, *, by: User) -> TracingRequest:
    return _move(request, Status.CLOSED, by=by, side="requesting")


@transaction.atomic
def add_message(
    request: TracingRequest, *, by: User, body: str, files: Sequence[UploadedFile] = ()
) -> TracingMessage:
    side = side_of(by, request)
    if side is None:
        raise WorkflowError(_("Only the two States exchange messages."), code="forbidden")
    body = clean_text(body, max_length=TEXT_MAX_LENGTH)
    if not body and not files:
        raise WorkflowError(_("Write a message or attach a file."), code="invalid")
    state = request.requested_state if side == "requested" else request.requesting_state
    message = TracingMessage.objects.create(
        request=request, author=by, state=state, body=body.strip()
    )
    _store_files(request, files, by, message)
    audit.record("tracing.request.message_added", actor=by, obj=request, state=state)
    other = request.requesting_state if side == "requested" else request.requested_state
    _tell(request, other, "tracing_request_updated")
    return message


def tracing_statistics(state: MemberState | None = None) -> dict[str, Any]:
    """Counts and timings only: sent, received, answered, median days to answer."""
    requests = TracingRequest.objects.all()
    if state is not None:
        sent = requests.filter(requesting_state=state)
        received = requests.filter(requested_state=state)
    else:
        sent = received = requests
    answered = list(
        received.filter(answered_at__isnull=False).values_list("created_at", "answered_at")
    )
    days = [(answer - created).total_seconds() / 86400 for created, answer in answered]
    return {
        "sent": sent.count(),
        "received": received.count(),
        "answered": len(answered),
        "median_days_to_answer": round(statistics.median(days), 1) if days else None,
    }


OPEN_STATUSES = (Status.SENT, Status.ACKNOWLEDGED, Status.INFORMATION_REQUESTED)
REMIND_DAYS_BEFORE = 3


def send_due_reminders(*, today: datetime.date | None = None) -> int:
    """Remind the requested State 3 days before the due date and once when it has passed
    (each reminder once, whatever re-runs)."""
    today = today or timezone.localdate()
    sent = 0
    for request in TracingRequest.objects.filter(status__in=OPEN_STATUSES).select_related(
        "requested_state"
    ):
        days_left = (request.due_on - today).days
        kind = "overdue" if days_left < 0 else "soon" if days_left <= REMIND_DAYS_BEFORE else ""
        if kind and _remind_once(request, kind):
            sent += 1
    return sent


def _remind_once(request: TracingRequest, kind: str) -> bool:
    try:
        with transaction.atomic():
            TracingReminder.objects.create(request=request, kind=kind)
            _tell(request, request.requested_state, "tracing_request_due")
            audit.record(
                "tracing.request.reminded",
                actor=None,
                obj=request,
                state=request.requested_state,
                data={"kind": kind},
            )
    except IntegrityError:
        return False
    return True
