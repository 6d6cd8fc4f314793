"""State changes on national reports: create, save answers, attach files, submit.

No answer the user saw as saved is ever lost: every answer carries a revision, a save based on
an older revision is refused (the person chooses), and a whole save is all-or-nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import audit
from core.errors import WorkflowError
from core.models import MemberState, Role, User
from core.selectors import users_with_role
from core.services import tell
from reporting import completion, permissions
from reporting.models import (
    Answer,
    Attachment,
    Cycle,
    Question,
    QuestionnaireVersion,
    Report,
    ReportRevision,
)
from reporting.questions import check_upload, clean_answer
from reporting.selectors import answers_of, answers_with_derived, questionnaire_structure


@dataclass(frozen=True)
class AnswerChange:
    """A new value for one question, based on the revision the person last saw
    (0 when the question had no answer yet)."""

    key: str
    value: Any
    revision: int


class AnswersInvalid(WorkflowError):
    """Some values are not valid answers; nothing was saved. `errors`: key → reason."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(_("Some answers are not valid. Nothing was saved."), code="invalid")
        self.errors = errors


class AnswerConflict(WorkflowError):
    """Someone saved these answers since the person loaded them; nothing was saved.
    `conflicts`: key → {"value", "revision", "updated_by", "updated_at"}."""

    def __init__(self, conflicts: dict[str, dict[str, Any]]):
        super().__init__(
            _("Someone else changed these answers in the meantime. Nothing was saved."),
            code="conflict",
        )
        self.conflicts = conflicts


class ConfirmClear(WorkflowError):
    """The change makes answered questions no longer apply; the page asks first."""

    def __init__(self, questions: Sequence[Question]):
        super().__init__(
            _("This change means that answered questions no longer apply."), code="confirm_clear"
        )
        self.questions = list(questions)


@dataclass
class SaveResult:
    revisions: dict[str, int]
    values: dict[str, Any]
    visible: set[str]
    cleared: list[str] = field(default_factory=list)


def _ensure_editable(report: Report, by: User) -> None:
    # Who asks comes first: someone who may never change the report is refused (403) as
    # such, not told about its status.
    if not permissions.can_draft_report(by, report):
        raise WorkflowError(_("You may not change this report."), code="forbidden")
    if not report.is_editable:
        raise WorkflowError(
            _("This report has been submitted and can no longer be changed."),
            code="not_editable",
        )
    if report.status == Report.Status.DRAFT and not report.cycle.is_open(state=report.state):
        raise WorkflowError(
            _("The reporting cycle closed on %(date)s. The report can no longer be changed.")
            % {"date": date_format(report.cycle.closes_on)},
            code="cycle_closed",
        )


def _clean_changes(
    report: Report, by_key: dict[str, Question], changes: Sequence[AnswerChange]
) -> dict[str, Any]:
    """Validate every change with the question's own validator; all errors at once."""
    errors: dict[str, str] = {}
    file_keys = [c.key for c in changes if getattr(by_key.get(c.key), "type", "") == "file"]
    tokens: dict[str, set[str]] = {}
    if file_keys:
        for key, token in Attachment.objects.filter(
            report=report, question__key__in=file_keys
        ).values_list("question__key", "token"):
            tokens.setdefault(key, set()).add(token)
    cleaned: dict[str, Any] = {}
    for change in changes:
        question = by_key.get(change.key)
        if question is None:
            errors[change.key] = _("There is no question with this key in this questionnaire.")
        elif change.key in cleaned:
            errors[change.key] = _("This question appears more than once in the same save.")
        else:
            try:
                cleaned[change.key] = clean_answer(
                    question, change.value, attachments=tokens.get(change.key, set())
                )
            except ValidationError as exc:
                errors[change.key] = " ".join(str(m) for m in exc.messages)
    if errors:
        raise AnswersInvalid(errors)
    return cleaned


def _write(report: Report, question: Question, value: Any, expected: int, by: User) -> int | None:
    """Store one answer if its revision is still `expected`; the new revision, or None."""
    now = timezone.now()
    if expected == 0:
        try:
            with transaction.atomic():
                Answer.objects.create(
                    report=report,
                    question=question,
                    value=value,
                    revision=1,
                    updated_by=by,
                    updated_at=now,
                )
            return 1
        except IntegrityError:
            return None
    updated = Answer.objects.filter(report=report, question=question, revision=expected).update(
        value=value, revision=F("revision") + 1, updated_by=by, updated_at=now
    )
    return expected + 1 if updated else None


def _conflicts(report: Report, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
    rows = Answer.objects.filter(report=report, question__key__in=list(keys)).select_related(
        "question", "updated_by"
    )
    found = {
        a.question.key: {
            "value": a.value,
            "revision": a.revision,
            "updated_by": str(a.updated_by) if a.updated_by else "",
            "updated_at": a.updated_at.isoformat(),
        }
        for a in rows
    }
    return {key: found.get(key, {"value": None, "revision": 0}) for key in keys}


@transaction.atomic
def save_answers(
    report: Report,
    *,
    by: User,
    changes: Sequence[AnswerChange],
    clear_hidden: bool = False,
) -> SaveResult:
    """Save answers all-or-nothing. Raises AnswersInvalid (bad values), AnswerConflict
    (stale revisions), ConfirmClear (answered questions would stop applying and
    `clear_hidden` is false) or WorkflowError (report not editable)."""
    _ensure_editable(report, by)
    _sections, questions = questionnaire_structure(report.questionnaire)
    by_key = {q.key: q for q in questions}
    cleaned = _clean_changes(report, by_key, changes)
    before = answers_of(report)
    revisions: dict[str, int] = {}
    stale: list[str] = []
    for change in changes:
        new = _write(report, by_key[change.key], cleaned[change.key], change.revision, by)
        if new is not None:
            revisions[change.key] = new
        elif before.get(change.key) == cleaned[change.key]:
            # A retried save whose first attempt did land: nothing to do, not a conflict.
            revisions[change.key] = _conflicts(report, [change.key])[change.key]["revision"]
        else:
            stale.append(change.key)
    if stale:
        raise AnswerConflict(_conflicts(report, stale))
    after = {**before, **cleaned}
    visible = completion.visible_keys(questions, after)
    not_applicable = {
        key: _("This question does not apply given your other answers.")
        for key, value in cleaned.items()
        if key not in visible and value is not None
    }
    if not_applicable:
        raise AnswersInvalid(not_applicable)
    hidden = [
        q for q in completion.dependents_hidden_by(questions, before, after) if q.key not in cleaned
    ]
    if hidden and not clear_hidden:
        raise ConfirmClear(hidden)
    for question in hidden:
        Answer.objects.filter(report=report, question=question).update(
            value=None, revision=F("revision") + 1, updated_by=by, updated_at=timezone.now()
        )
        after[question.key] = None
    _touch(report, changed_keys=set(cleaned) | {q.key for q in hidden}, by_key=by_key)
    audit.record(
        "reporting.answers.saved",
        actor=by,
        obj=report,
        state=report.state,
        data={"revisions": revisions, "cleared": [q.key for q in hidden]},
    )
    return SaveResult(
        revisions=revisions, values=after, visible=visible, cleared=[q.key for q in hidden]
    )


def _touch(report: Report, *, changed_keys: set[str], by_key: dict[str, Question]) -> None:
    """Bump updated_at; a section edited by hand is no longer 'unchanged since last time'."""
    touched_sections = {by_key[k].section.key for k in changed_keys if k in by_key}
    unchanged = [s for s in report.unchanged_sections if s not in touched_sections]
    fields = {"updated_at": timezone.now()}
    if unchanged != report.unchanged_sections:
        fields["unchanged_sections"] = report.unchanged_sections = unchanged
    Report.objects.filter(pk=report.pk).update(**fields)


def previous_report(report: Report) -> Report | None:
    """The State's report for the latest earlier cycle, if any."""
    return (
        Report.objects.filter(state=report.state, cycle__deadline__lt=report.cycle.deadline)
        .select_related("questionnaire")
        .order_by("-cycle__deadline")
        .first()
    )


def _carried_over(report: Report, source: Report, keys: set[str] | None = None) -> dict[str, Any]:
    """Answers of `source` that are valid answers to the same keys in `report`'s version."""
    _sections, questions = questionnaire_structure(report.questionnaire)
    old = answers_of(source)
    values: dict[str, Any] = {}
    for question in questions:
        if keys is not None and question.key not in keys:
            continue
        if question.type in ("file", "derived") or old.get(question.key) is None:
            continue
        try:
            values[question.key] = clean_answer(question, old[question.key])
        except ValidationError:
            continue  # the question changed meaning or limits: leave it to the person
    return values


@transaction.atomic
def create_report(
    *, state: MemberState, cycle: Cycle, by: User, language: str, prefill: bool = False
) -> Report:
    """Start a State's report for an open cycle, optionally pre-filled (by question key)
    from its previous report."""
    if not permissions.can_create_report(by, state):
        raise WorkflowError(_("You may not start a report for this State."), code="forbidden")
    if not cycle.is_open(state=state):
        raise WorkflowError(_("This reporting cycle is not open."), code="cycle_closed")
    version = cycle.questionnaire
    if version is None or version.status != QuestionnaireVersion.Status.PUBLISHED:
        raise WorkflowError(_("No questionnaire has been published for this cycle yet."))
    if Report.objects.filter(state=state, cycle=cycle).exists():
        raise WorkflowError(_("This State already has a report for this cycle."), code="exists")
    try:
        with transaction.atomic():
            report = Report.objects.create(
                state=state,
                cycle=cycle,
                questionnaire=version,
                language=language,
                created_by=by,
            )
    except IntegrityError:
        raise WorkflowError(
            _("This State already has a report for this cycle."), code="exists"
        ) from None
    source = previous_report(report) if prefill else None
    copied = _copy_answers(report, _carried_over(report, source), by) if source else 0
    audit.record(
        "reporting.report.created",
        actor=by,
        obj=report,
        state=state,
        data={
            "cycle": cycle.pk,
            "language": language,
            "prefilled_from": getattr(source, "pk", None),
            "prefilled_answers": copied,
        },
    )
    return report


def _copy_answers(report: Report, values: dict[str, Any], by: User) -> int:
    _sections, questions = questionnaire_structure(report.questionnaire)
    by_key = {q.key: q for q in questions}
    now = timezone.now()
    Answer.objects.bulk_create(
        Answer(report=report, question=by_key[key], value=value, updated_by=by, updated_at=now)
        for key, value in values.items()
    )
    return len(values)


@transaction.atomic
def mark_section_unchanged(report: Report, *, section_key: str, by: User) -> SaveResult:
    """'No change since the last report': take this section's answers from the previous
    report, and mark the section so."""
    _ensure_editable(report, by)
    sections, questions = questionnaire_structure(report.questionnaire)
    if section_key not in {s.key for s in sections}:
        raise WorkflowError(_("There is no such section in this questionnaire."))
    source = previous_report(report)
    if source is None:
        raise WorkflowError(_("There is no earlier report of this State to take answers from."))
    keys = {q.key for q in questions if q.section.key == section_key}
    current = dict(
        report.answers.filter(question__key__in=keys).values_list("question__key", "revision")
    )
    values = _carried_over(report, source, keys)
    changes = [
        AnswerChange(k, values.get(k), current.get(k, 0))
        for k in sorted(keys)
        if k in values or k in current
    ]
    result = save_answers(report, by=by, changes=changes, clear_hidden=True)
    report.refresh_from_db(fields=["unchanged_sections"])
    report.unchanged_sections = [*report.unchanged_sections, section_key]
    report.save(update_fields=["unchanged_sections"])
    audit.record(
        "reporting.section.marked_unchanged",
        actor=by,
        obj=report,
        state=report.state,
        data={"section": section_key, "from_report": source.pk},
    )
    return result


def snapshot_report(report: Report, by: User) -> ReportRevision:
    """Freeze all answers (and calculated values) as the next revision."""
    values = answers_with_derived(report)
    number = (report.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
    return ReportRevision.objects.create(
        report=report,
        number=number,
        status=report.status,
        visibility=report.visibility,
        answers=values,
        created_by=by,
    )


@transaction.atomic
def submit_report(report: Report, *, by: User, visibility: str, mfa_verified: bool) -> Report:
    """The approver submits: every required question that applies must be answered; the
    report becomes read-only to the State and a revision freezes its answers."""
    report = Report.objects.select_for_update().select_related("cycle", "state").get(pk=report.pk)
    if not permissions.can_submit_report(by, report):
        raise WorkflowError(_("Only the State's approver may submit the report."), code="forbidden")
    if not mfa_verified:
        raise WorkflowError(
            _("Confirm your identity with your second factor before submitting."),
            code="mfa_required",
        )
    if not report.can_move_to(Report.Status.SUBMITTED):
        raise WorkflowError(_("This report has already been submitted."), code="not_editable")
    if report.status == Report.Status.DRAFT and not report.cycle.is_open(state=report.state):
        raise WorkflowError(_("This reporting cycle is closed."), code="cycle_closed")
    if visibility not in Report.Visibility.values:
        raise WorkflowError(_("Choose whether the report is public or restricted."))
    _sections, questions = questionnaire_structure(report.questionnaire)
    missing = completion.missing_required(questions, answers_of(report))
    if missing:
        error = WorkflowError(
            ngettext(
                "%(count)d required question is not answered yet.",
                "%(count)d required questions are not answered yet.",
                len(missing),
            )
            % {"count": len(missing)},
            code="incomplete",
        )
        error.missing = [q.key for q in missing]
        raise error
    previous = report.status
    report.status = Report.Status.SUBMITTED
    report.visibility = visibility
    report.submitted_at = timezone.now()
    report.save(update_fields=["status", "visibility", "submitted_at", "updated_at"])
    revision = snapshot_report(report, by)
    audit.record(
        "reporting.report.submitted",
        actor=by,
        obj=report,
        state=report.state,
        data={"from": previous, "visibility": visibility, "revision": revision.number},
    )
    # UNODA's reviewers learn of it in the platform and by e-mail (sent by a task after the
    # commit: a mail server that is down delays the e-mail, never the submission).
    tell(
        users_with_role(Role.REVIEWER),
        template="report_submitted",
        path=reverse("reporting:report-detail", args=[report.pk]),
        context={"report": report},
    )
    return report


@transaction.atomic
def upload_attachment(
    report: Report, *, question_key: str, upload: UploadedFile, by: User
) -> tuple[Attachment, SaveResult]:
    """Store an uploaded file (checked against its declared type) and add it to the answer."""
    _ensure_editable(report, by)
    _sections, questions = questionnaire_structure(report.questionnaire)
    question = next((q for q in questions if q.key == question_key), None)
    if question is None or question.type != "file":
        raise AnswersInvalid({question_key: _("This question does not take files.")})
    try:
        extension, content_type = check_upload(question, upload)
    except ValidationError as exc:
        raise AnswersInvalid({question_key: " ".join(str(m) for m in exc.messages)}) from None
    answer = report.answers.filter(question=question).first()
    tokens = list(answer.value or []) if answer else []
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment(
        report=report,
        question=question,
        token=secrets.token_hex(16),
        original_name=upload.name[-255:],
        extension=extension,
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=by,
    )
    attachment.file.save(attachment.token + extension, upload, save=False)
    try:
        attachment.save()
        result = save_answers(
            report,
            by=by,
            clear_hidden=True,
            changes=[
                AnswerChange(
                    question_key, [*tokens, attachment.token], answer.revision if answer else 0
                )
            ],
        )
    except Exception:
        attachment.file.delete(save=False)  # never keep a file the answer does not point to
        raise
    audit.record(
        "reporting.attachment.uploaded",
        actor=by,
        obj=report,
        state=report.state,
        data={
            "question": question_key,
            "token": attachment.token,
            "name": attachment.original_name,
            "size": attachment.size,
        },
    )
    return attachment, result
