"""UNODA's review of submitted reports: start, return for clarification, publish; the State's
amendments; comments between the State and UNODA. One function per change, audited."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit
from core.emails import render_subject, send_templated_mail
from core.errors import WorkflowError
from core.models import Role, User
from core.selectors import users_with_role
from core.services import notify
from core.text import clean_text
from reporting import permissions
from reporting.models import Comment, Report
from reporting.selectors import questionnaire_structure
from reporting.services.reports import snapshot_report
from reporting.signals import report_published

#: Longest comment or return message (the length of the comments' column).
COMMENT_MAX_LENGTH = 5000


def _locked(report: Report) -> Report:
    return (
        Report.objects.select_for_update()
        .select_related("state", "cycle__meeting")
        .get(pk=report.pk)
    )


def _move(
    report: Report, status: str, *, by: User, allowed: bool, action: str, data: dict | None = None
) -> Report:
    """The common part of every transition: permission, transition table, audit entry."""
    if not allowed:
        raise WorkflowError(_("You may not do this with this report."), code="forbidden")
    if not report.can_move_to(status):
        raise WorkflowError(
            _("This report cannot go from “%(from)s” to “%(to)s”.")
            % {"from": report.get_status_display(), "to": Report.Status(status).label},
            code="not_allowed_now",
        )
    previous = report.status
    report.status = status
    report.save(update_fields=["status", "updated_at"])
    audit.record(
        action, actor=by, obj=report, state=report.state, data={"from": previous, **(data or {})}
    )
    return report


def _notify(report: Report, template: str, recipients, **context) -> None:
    """Tell each recipient in their own language: in the platform and by e-mail (sent once
    the transaction commits)."""
    path = reverse("reporting:report-detail", args=[report.pk])
    link = settings.SITE_URL + path
    for person in recipients:
        notify(
            user=person,
            url=path,
            message=render_subject(template, person.language, {"report": report, **context}),
        )
        if person.email:
            send_templated_mail(
                template=template,
                to=person.email,
                language=person.language,
                context={"report": report, "person": person, "path": link, **context},
            )


def state_officials(report: Report) -> QuerySet[User]:
    return users_with_role(Role.STATE_EDITOR, Role.STATE_APPROVER, state=report.state)


@transaction.atomic
def start_review(report: Report, *, by: User) -> Report:
    """A reviewer takes a submitted report (it leaves the 'waiting' part of the queue)."""
    report = _locked(report)
    return _move(
        report,
        Report.Status.UNDER_REVIEW,
        by=by,
        allowed=permissions.can_review_report(by, report),
        action="reporting.report.review_started",
    )


@transaction.atomic
def return_report(report: Report, *, by: User, message: str) -> Report:
    """Send the report back to the State with a message; it becomes editable again."""
    message = clean_text(message, max_length=COMMENT_MAX_LENGTH)
    if not message:
        raise WorkflowError(_("Say what needs clarification."), code="invalid")
    report = _locked(report)
    _move(
        report,
        Report.Status.RETURNED,
        by=by,
        allowed=permissions.can_review_report(by, report),
        action="reporting.report.returned",
    )
    Comment.objects.create(report=report, author=by, body=message.strip(), is_return_message=True)
    revision = snapshot_report(report, by)
    _notify(
        report,
        "report_returned",
        state_officials(report),
        message=message.strip(),
        revision=revision.number,
    )
    return report


@transaction.atomic
def publish_report(report: Report, *, by: User) -> Report:
    """UNODA accepts and publishes: the answers are frozen as the published revision, which
    everyone allowed by the visibility reads from now on."""
    report = _locked(report)
    _move(
        report,
        Report.Status.PUBLISHED,
        by=by,
        allowed=permissions.can_review_report(by, report),
        action="reporting.report.published",
    )
    report.published_at = timezone.now()
    report.published_visibility = report.visibility or Report.Visibility.PUBLIC
    report.save(update_fields=["published_at", "published_visibility"])
    revision = snapshot_report(report, by)
    _notify(report, "report_published", state_officials(report))
    # robust: a listener that cannot queue its work (broker down) is logged; the publication
    # stands.
    transaction.on_commit(
        lambda: report_published.send(sender=Report, report=report, revision=revision),
        robust=True,
    )
    return report


@transaction.atomic
def amend_report(report: Report, *, by: User) -> Report:
    """The State opens an amendment: it edits a working copy while the published revision
    stays what others read, until UNODA publishes the amendment."""
    report = _locked(report)
    return _move(
        report,
        Report.Status.AMENDMENT,
        by=by,
        allowed=permissions.can_amend_report(by, report),
        action="reporting.report.amendment_opened",
    )


@transaction.atomic
def add_comment(
    report: Report, *, by: User, body: str, question_key: str = "", parent: Comment | None = None
) -> Comment:
    """A comment between the State and UNODA, on the report or one question, possibly a
    reply. The other side is told by e-mail."""
    if not permissions.can_comment_on_report(by, report):
        raise WorkflowError(_("You may not comment on this report."), code="forbidden")
    body = clean_text(body, max_length=COMMENT_MAX_LENGTH)
    if not body:
        raise WorkflowError(_("Write a comment first."), code="invalid")
    if parent is not None:
        if parent.report_id != report.pk:
            raise WorkflowError(
                _("You can only reply to a comment on the same report."), code="invalid"
            )
        question_key = parent.question_key
    _sections, questions = questionnaire_structure(report.questionnaire)
    if question_key and question_key not in {q.key for q in questions}:
        raise WorkflowError(
            _("There is no question with this key in this questionnaire."), code="invalid"
        )
    comment = Comment.objects.create(
        report=report, author=by, body=body, question_key=question_key, parent=parent
    )
    audit.record(
        "reporting.comment.added",
        actor=by,
        obj=report,
        state=report.state,
        data={"comment": comment.pk, "question": question_key},
    )
    from_unoda = permissions.can_review_report(by, report)
    recipients = state_officials(report) if from_unoda else users_with_role(Role.REVIEWER)
    _notify(report, "comment_added", [p for p in recipients if p.pk != by.pk], comment=comment)
    return comment
