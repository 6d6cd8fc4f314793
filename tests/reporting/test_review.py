"""Review and publication: transitions, audit entries, comments, amendments, revisions,
and what readers outside the State see."""

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from core.errors import WorkflowError
from core.models import AuditEntry, Role
from reporting import services
from reporting.models import Comment, Report, ReportRevision
from reporting.signals import report_published
from tests.factories import member
from tests.reporting.test_reports import COMPLETE, fill, stored

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(report, editor, approver):
    fill(report, editor)
    return services.submit_report(report, by=approver, visibility="public", mfa_verified=True)


def status_of(report):
    return Report.objects.get(pk=report.pk).status


def test_reviewer_starts_review_returns_and_the_state_resubmits(
    client_for, reviewer, editor, approver, submitted, django_capture_on_commit_callbacks
):
    client = client_for(reviewer)
    client.post(reverse("reporting:report-start-review", args=[submitted.pk]))
    assert status_of(submitted) == "under_review"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("reporting:report-return", args=[submitted.pk]),
            {"message": "Please give the name of the law in 2.1."},
        )
    assert status_of(submitted) == "returned"
    assert Comment.objects.get(is_return_message=True).body.startswith("Please give")
    assert {m.to[0] for m in mail.outbox} == {editor.email, approver.email}
    assert [
        e.action
        for e in AuditEntry.objects.filter(action__startswith="reporting.report.").order_by("id")
    ] == [
        "reporting.report.created",
        "reporting.report.submitted",
        "reporting.report.review_started",
        "reporting.report.returned",
    ]
    # The State fixes and resubmits; the reviewer sees what changed since the last submission.
    report = Report.objects.get(pk=submitted.pk)
    services.save_answers(
        report, by=editor, changes=[services.AnswerChange("3.1", 210, stored(report, "3.1")[1])]
    )
    services.submit_report(report, by=approver, visibility="public", mfa_verified=True)
    page = client.get(reverse("reporting:report-detail", args=[report.pk])).content.decode()
    assert "What changed since the previous submission" in page
    first, last = (
        ReportRevision.objects.filter(report=report, status="submitted")
        .order_by("number")
        .values_list("number", flat=True)
    )
    diff = client.get(reverse("reporting:revision-diff", args=[report.pk]), {"a": first, "b": last})
    # 3.3 is calculated from 3.1: it changed too.
    assert [c.key for c in diff.context["changes"]] == ["3.1", "3.3"]


def test_publish_freezes_a_revision_sends_the_signal_and_mails(
    reviewer, editor, submitted, django_capture_on_commit_callbacks
):
    received = []
    report_published.connect(
        lambda **kw: received.append(kw["report"].pk), weak=False, dispatch_uid="test-published"
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.publish_report(submitted, by=reviewer)
    finally:
        report_published.disconnect(dispatch_uid="test-published")
    report = Report.objects.get(pk=submitted.pk)
    assert report.status == "published" and report.published_at is not None
    assert report.published_visibility == "public"
    assert received == [report.pk]
    revision = report.revisions.get(status="published")
    assert revision.answers["3.1"] == COMPLETE["3.1"]
    assert any("Published" in m.subject for m in mail.outbox)
    with pytest.raises(PermissionError):
        revision.save()
    with pytest.raises(WorkflowError) as exc:
        services.save_answers(
            report, by=editor, changes=[services.AnswerChange("3.1", 1, stored(report, "3.1")[1])]
        )
    assert exc.value.code == "not_editable"


@pytest.mark.parametrize("change", ["start_review", "return_report", "publish_report"])
def test_state_officials_cannot_review_their_own_report(editor, approver, submitted, change):
    kwargs = {"message": "x"} if change == "return_report" else {}
    for user in (editor, approver):
        with pytest.raises(WorkflowError) as exc:
            getattr(services, change)(submitted, by=user, **kwargs)
        assert exc.value.code == "forbidden"
    assert status_of(submitted) == "submitted"


def test_a_draft_cannot_be_published(reviewer, report):
    with pytest.raises(WorkflowError) as exc:
        services.publish_report(report, by=reviewer)
    assert exc.value.code == "not_allowed_now"
    assert status_of(report) == "draft"


def test_amendment_keeps_the_published_version_visible(
    client_for, reviewer, editor, approver, anonymous, submitted
):
    services.publish_report(submitted, by=reviewer)
    services.amend_report(Report.objects.get(pk=submitted.pk), by=editor)
    report = Report.objects.get(pk=submitted.pk)
    assert report.status == "amendment" and report.is_editable
    services.save_answers(
        report,
        by=editor,
        changes=[services.AnswerChange("1.2", "Amended name", stored(report, "1.2")[1])],
    )
    public = anonymous.get(reverse("reporting:report-print", args=[report.pk])).content.decode()
    assert "National Commission on Small Arms" in public and "Amended name" not in public
    outsider_official = member(Role.STATE_EDITOR, state="KEN")
    page = client_for(outsider_official).get(reverse("reporting:report-print", args=[report.pk]))
    assert "National Commission on Small Arms" in page.content.decode()
    assert "Amended name" not in page.content.decode()
    own = client_for(editor).get(reverse("reporting:report-print", args=[report.pk]))
    assert "Amended name" in own.content.decode()
    services.submit_report(report, by=approver, visibility="public", mfa_verified=True)
    services.publish_report(Report.objects.get(pk=report.pk), by=reviewer)
    page = client_for(outsider_official).get(reverse("reporting:report-print", args=[report.pk]))
    assert "Amended name" in page.content.decode()


def test_restricted_report_is_hidden_from_the_public_and_shown_to_governments(
    client_for, reviewer, editor, approver, report
):
    fill(report, editor)
    services.submit_report(report, by=approver, visibility="restricted", mfa_verified=True)
    services.publish_report(Report.objects.get(pk=report.pk), by=reviewer)
    donor = member(Role.DONOR, organisation="EU")
    for user in (donor,):
        assert (
            client_for(user).get(reverse("reporting:report-detail", args=[report.pk])).status_code
            == 404
        )
        listing = client_for(user).get("/api/v1/reports/").json()
        assert listing["count"] == 0
    official = member(Role.STATE_EDITOR, state="KEN")
    assert (
        client_for(official).get(reverse("reporting:report-detail", args=[report.pk])).status_code
        == 200
    )
    assert APIClient().get("/api/v1/reports/").status_code == 401


def test_comments_are_threaded_and_private(
    client_for, reviewer, editor, outsider, submitted, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(reviewer).post(
            reverse("reporting:comment-add", args=[submitted.pk]),
            {"question_key": "3.1", "body": "Is this the number for 2024 or 2025?"},
        )
    assert response.status_code == 302
    thread = Comment.objects.get()
    assert thread.question_key == "3.1"
    assert editor.email in [m.to[0] for m in mail.outbox]
    client_for(editor).post(
        reverse("reporting:comment-add", args=[submitted.pk]),
        {"parent": thread.pk, "body": "For 2025."},
    )
    reply = Comment.objects.exclude(pk=thread.pk).get()
    assert reply.parent == thread and reply.question_key == "3.1"
    page = client_for(editor).get(reverse("reporting:report-comments", args=[submitted.pk]))
    assert "For 2025." in page.content.decode()
    assert (
        client_for(outsider)
        .get(reverse("reporting:report-comments", args=[submitted.pk]))
        .status_code
        == 404
    )
    assert (
        client_for(outsider)
        .post(reverse("reporting:comment-add", args=[submitted.pk]), {"body": "x"})
        .status_code
        == 404
    )
    assert Comment.objects.count() == 2
    assert AuditEntry.objects.filter(action="reporting.comment.added").count() == 2


def test_empty_comment_and_unknown_question_get_clear_errors(reviewer, submitted):
    with pytest.raises(WorkflowError, match="Write a comment"):
        services.add_comment(submitted, by=reviewer, body="  ")
    with pytest.raises(WorkflowError, match="no question"):
        services.add_comment(submitted, by=reviewer, body="x", question_key="99.9")
    assert not Comment.objects.exists()


def test_review_queue_filters(client_for, reviewer, submitted):
    client = client_for(reviewer)
    page = client.get(reverse("reporting:review-queue"))
    assert [r.pk for r in page.context["page"]] == [submitted.pk]
    assert (
        list(
            client.get(reverse("reporting:review-queue"), {"regional_group": "AFRICAN"}).context[
                "page"
            ]
        )
        == []
    )
    assert (
        list(client.get(reverse("reporting:review-queue"), {"waiting_days": 3}).context["page"])
        == []
    )
    assert (
        len(
            client.get(
                reverse("reporting:review-queue"), {"region": "150", "status": "submitted"}
            ).context["page"]
        )
        == 1
    )


def test_review_queue_is_staff_only(client_for, editor):
    assert client_for(editor).get(reverse("reporting:review-queue")).status_code == 403


def test_api_transitions(reviewer, editor, submitted):
    from core.services import create_api_token

    def api(user):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Bearer " + create_api_token(user=user, name="t")[1])
        return client

    assert api(editor).post(f"/api/v1/reports/{submitted.pk}/publish/").status_code == 403
    response = api(reviewer).post(
        f"/api/v1/reports/{submitted.pk}/return/", {"message": "Check 2.1"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "returned"
    assert api(reviewer).post(f"/api/v1/reports/{submitted.pk}/publish/").status_code == 409
    comments = api(editor).get(f"/api/v1/reports/{submitted.pk}/comments/").json()
    assert comments[0]["is_return_message"] is True
    diff = api(editor).get(f"/api/v1/reports/{submitted.pk}/diff/", {"a": 1, "b": "now"})
    assert diff.status_code == 200 and diff.json()["changes"] == []


def test_returned_report_notifies_in_the_app_in_each_language(
    client_for, reviewer, editor, approver, submitted
):
    from core.models import Notification

    approver.language = "es"
    approver.save()
    services.return_report(submitted, by=reviewer, message="Check 2.1")
    to_editor = Notification.objects.get(user=editor)
    assert to_editor.url == reverse("reporting:report-detail", args=[submitted.pk])
    assert "Returned for clarification" in to_editor.message
    assert Notification.objects.get(user=approver).message != to_editor.message  # Spanish
    client = client_for(editor)
    assert "1 new notification" in client.get("/").content.decode()
    client.post(reverse("core:notifications"))
    assert not Notification.objects.unread().filter(user=editor).exists()


def test_files_of_an_amendment_stay_private_until_published(
    client_for, anonymous, reviewer, editor, approver, submitted
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    services.publish_report(submitted, by=reviewer)
    report = Report.objects.get(pk=submitted.pk)
    services.amend_report(report, by=editor)
    pdf = SimpleUploadedFile("plan.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    attachment, _result = services.upload_attachment(
        Report.objects.get(pk=report.pk), question_key="2.5", upload=pdf, by=editor
    )
    url = reverse("reporting:attachment-download", args=[report.pk, attachment.token])
    assert client_for(editor).get(url).status_code == 200
    assert anonymous.get(url).status_code in (302, 404)
    outsider_official = member(Role.STATE_EDITOR, state="KEN")
    assert client_for(outsider_official).get(url).status_code == 404
