"""UNODA's review: the queue, transitions (POST only, one URL each), comments, revisions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import WorkflowError
from core.i18n import current_language
from core.views import deny
from reporting import permissions, selectors, services
from reporting.filters import ReviewQueueFilter
from reporting.forms import ExtensionForm
from reporting.models import Comment, Cycle, Report
from reporting.revisions import diff_answers
from reporting.services.deadlines import grant_extension
from reporting.views.reports import get_report_for_user


@login_required
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    if not permissions.is_unoda_staff(request.user):
        raise deny(request, "cannot review")
    queue = ReviewQueueFilter(request.GET or None, queryset=selectors.review_queue(request.user))
    page = Paginator(queue.qs, 50).get_page(request.GET.get("page"))
    return render(request, "reporting/review_queue.html", {"filter": queue, "page": page})


def _transition(request: HttpRequest, pk: int, change, success: str, **kwargs) -> HttpResponse:
    report = get_report_for_user(request, pk)
    try:
        change(report, by=request.user, **kwargs)
    except WorkflowError as exc:
        if exc.code == "forbidden":
            raise deny(request, exc.message) from None
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect("reporting:report-detail", report.pk)


@login_required
@require_POST
def report_start_review(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, services.start_review, _("You are reviewing this report."))


@login_required
@require_POST
def report_return(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(
        request,
        pk,
        services.return_report,
        _("The report was returned to the State for clarification."),
        message=request.POST.get("message", ""),
    )


@login_required
@require_POST
def report_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, services.publish_report, _("The report was published."))


@login_required
@require_POST
def report_amend(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(
        request,
        pk,
        services.amend_report,
        _(
            "An amendment is open. The published version stays visible until "
            "UNODA publishes the amendment."
        ),
    )


@login_required
@require_POST
def comment_add(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_report_for_user(request, pk)
    if not permissions.can_comment_on_report(request.user, report):
        raise deny(request, "cannot comment")
    parent = None
    if request.POST.get("parent"):
        if not request.POST["parent"].isdecimal():  # a hand-made post; ids are numbers
            raise Http404(_("There is no such comment on this report."))
        parent = get_object_or_404(Comment, report=report, pk=int(request.POST["parent"]))
    try:
        services.add_comment(
            report,
            by=request.user,
            body=request.POST.get("body", ""),
            question_key=request.POST.get("question_key", ""),
            parent=parent,
        )
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your comment was added."))
    return redirect(f"{report_comments_url(report)}#comments")


def report_comments_url(report: Report) -> str:
    return reverse("reporting:report-comments", args=[report.pk])


@login_required
@require_GET
def report_comments(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_report_for_user(request, pk)
    if not permissions.can_comment_on_report(request.user, report):
        raise deny(request, "cannot read comments")
    _sections, questions = selectors.questionnaire_structure(report.questionnaire)
    threads = list(
        report.comments.filter(parent__isnull=True)
        .select_related("author")
        .prefetch_related("replies__author")
    )
    return render(
        request,
        "reporting/report_comments.html",
        {
            "report": report,
            "threads": threads,
            "questions": questions,
        },
    )


@login_required
@require_GET
def report_revisions(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_report_for_user(request, pk)
    if not selectors.reads_live_answers(request.user, report):
        raise deny(request, "cannot read revision history")
    return render(
        request,
        "reporting/report_revisions.html",
        {
            "report": report,
            "revisions": report.revisions.select_related("created_by"),
        },
    )


@login_required
@require_GET
def revision_diff(request: HttpRequest, pk: int) -> HttpResponse:
    """Side by side: two revisions (?a=1&b=3), or a revision and the answers now (b=now)."""
    report = get_report_for_user(request, pk)
    if not selectors.reads_live_answers(request.user, report):
        raise deny(request, "cannot read revision history")
    old, old_label = _revision_answers(report, request.GET.get("a", ""))
    new, new_label = _revision_answers(report, request.GET.get("b", "now"))
    _sections, questions = selectors.questionnaire_structure(report.questionnaire)
    return render(
        request,
        "reporting/revision_diff.html",
        {
            "report": report,
            "old_label": old_label,
            "new_label": new_label,
            "changes": diff_answers(questions, old, new, language=current_language()),
        },
    )


def _revision_answers(report: Report, which: str) -> tuple[dict, str]:
    if which == "now":
        return selectors.answers_with_derived(report), _("Current answers")
    if not which.isdigit():
        raise Http404(_("Choose two revisions to compare."))
    revision = get_object_or_404(report.revisions, number=int(which))
    return revision.answers, _("Revision %(number)s (%(status)s)") % {
        "number": revision.number,
        "status": revision.get_status_display(),
    }


@login_required
def cycle_extensions(request: HttpRequest, pk: int) -> HttpResponse:
    """UNODA lists and grants deadline extensions for one cycle."""
    if not permissions.is_unoda_staff(request.user):
        raise deny(request, "cannot manage extensions")
    cycle = get_object_or_404(Cycle.objects.select_related("meeting"), pk=pk)
    form = ExtensionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            grant_extension(cycle=cycle, by=request.user, **form.cleaned_data)
        except WorkflowError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The extension was granted."))
            return redirect("reporting:cycle-extensions", cycle.pk)
    return render(
        request,
        "reporting/cycle_extensions.html",
        {
            "cycle": cycle,
            "form": form,
            "extensions": cycle.extensions.select_related("state", "granted_by").order_by(
                "state__name"
            ),
        },
    )
