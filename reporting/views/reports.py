"""National report pages: start, fill in (autosave), print, submit."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.api import workflow_error_body
from core.errors import WorkflowError
from core.files import private_download
from core.i18n import current_language
from core.mfa import has_recent_mfa
from core.models import MemberState, Role
from core.pdf import render_template_to_pdf
from core.permissions import states_for
from core.views import deny, get_visible_or_404, hide
from reporting import permissions, presence, selectors, services
from reporting.completion import Progress
from reporting.display import SectionView, build_report_view
from reporting.forms import ReportCreateForm, SubmitForm
from reporting.models import Attachment, Cycle, Report
from reporting.post_values import values_from_post
from reporting.questions import display_value

#: Seconds a rendered section stays in the cache (see `_section_page`).
SECTION_CACHE_SECONDS = 600


def get_report_for_user(request: HttpRequest, pk: int, *, action: str = "view") -> Report:
    """The report if the user may see it (else 404); 403 if they may not do `action`."""
    report = get_visible_or_404(
        request, selectors.reports_visible_to(request.user).select_related("questionnaire"), pk=pk
    )
    allowed = {
        "view": permissions.can_view_report,
        "edit": permissions.can_draft_report,
        "submit": permissions.can_submit_report,
    }[action](request.user, report)
    if not allowed:
        raise deny(request, f"cannot {action} report")
    return report


def workflow_error_response(exc: WorkflowError, report: Report | None = None) -> JsonResponse:
    """The same mapping as the API's, for the page's JSON endpoints. Conflicts also carry
    the other person's answer as readable text; questions about to be cleared, their names."""
    body, code = workflow_error_body(exc)
    if isinstance(exc, services.ConfirmClear):
        body["questions"] = [
            {"key": q.key, "number": q.number, "text": q.label()} for q in exc.questions
        ]
    if isinstance(exc, services.AnswerConflict) and report is not None:
        _sections, questions = selectors.questionnaire_structure(report.questionnaire)
        by_key = {q.key: q for q in questions}
        for key, conflict in body["conflicts"].items():
            conflict["display"] = display_value(by_key[key], conflict["value"], current_language())
    return JsonResponse(body, status=code)


@login_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    states = states_for(request.user, *permissions.DRAFTING_ROLES)
    reports = selectors.reports_visible_to(request.user).filter(state__in=states)
    return render(
        request,
        "reporting/report_list.html",
        {
            "reports": reports.order_by("state__name", "-cycle__deadline"),
            "can_create": bool(states_for(request.user, Role.STATE_EDITOR, Role.STATE_APPROVER)),
        },
    )


@login_required
def report_create(request: HttpRequest) -> HttpResponse:
    own = states_for(request.user, Role.STATE_EDITOR, Role.STATE_APPROVER)
    if not own:
        raise deny(request, "cannot create report")
    form = ReportCreateForm(
        request.POST or None,
        states=MemberState.objects.filter(pk__in=[s.pk for s in own]),
        cycles=Cycle.objects.open_on()
        .filter(questionnaire__isnull=False)
        .select_related("meeting"),
        initial={"language": request.LANGUAGE_CODE},
    )
    if request.method == "POST" and form.is_valid():
        try:
            report = services.create_report(by=request.user, **form.cleaned_data)
        except WorkflowError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The report was created."))
            return redirect("reporting:report-detail", report.pk)
    return render(request, "reporting/report_create.html", {"form": form})


def _page_view(request: HttpRequest, report: Report, *, only_section: str | None = None):
    """What this reader may see: live answers for the State and UNODA, otherwise the
    published revision."""
    values, revisions = selectors.answers_for_reader(request.user, report)
    return build_report_view(
        report,
        language=current_language(),
        values=values,
        revisions=revisions,
        attachments=list(report.attachments.all()),
        only_section=only_section,
    )


@require_GET
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_report_for_user(request, pk)
    editor = permissions.can_edit_report(request.user, report)
    others = presence.touch(report.pk, request.user) if editor else []
    return render(
        request,
        "reporting/report_detail.html",
        {
            "report": report,
            "view": _page_view(request, report, only_section="-"),
            "can_edit": editor,
            "can_submit": permissions.can_submit_report(request.user, report)
            and report.can_move_to(Report.Status.SUBMITTED),
            "submit_form": SubmitForm(),
            "recent_mfa": has_recent_mfa(request),
            "others": others,
            "live": selectors.reads_live_answers(request.user, report),
            "can_review": permissions.can_review_report(request.user, report),
            "can_amend": permissions.can_amend_report(request.user, report)
            and report.can_move_to(Report.Status.AMENDMENT),
            "can_comment": permissions.can_comment_on_report(request.user, report),
            "since_last_submission": _last_two_submissions(report),
        },
    )


def _last_two_submissions(report: Report) -> tuple[int, int] | None:
    """Revision numbers of the two latest submissions: what changed since the previous one."""
    numbers = list(
        report.revisions.filter(status=Report.Status.SUBMITTED)
        .order_by("-number")
        .values_list("number", flat=True)[:2]
    )
    return (numbers[1], numbers[0]) if len(numbers) == 2 else None


def section_edit(request: HttpRequest, pk: int, section_key: str) -> HttpResponse:
    report = get_report_for_user(request, pk)
    editable = permissions.can_edit_report(request.user, report)
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not editable:
            raise deny(request, "cannot edit report")
        errors = _save_section_form(request, report, section_key)
        if not errors:
            messages.success(request, _("The section was saved."))
            return redirect("reporting:section-edit", report.pk, section_key)
    sections, _questions = selectors.questionnaire_structure(report.questionnaire)
    if section_key not in {s.key for s in sections}:
        raise Http404(_("There is no such section in this questionnaire."))
    page = _section_page(request, report, section_key, editable=editable, errors=errors)
    others = presence.touch(report.pk, request.user) if editable else []
    return render(
        request,
        "reporting/section_edit.html",
        {
            "report": report,
            "page": page,
            "view": page,  # the report header shows `view.progress`
            "current": page.current,
            "editable": editable,
            "errors": errors,
            "form_error": errors.get(""),
            "others": others,
        },
        status=400 if errors else 200,
    )


@dataclass(frozen=True)
class SectionPage:
    """What a section page shows that depends on the answers: the section, the progress,
    and the navigation and questions as HTML (without the CSRF token, which is per person)."""

    current: SectionView  # without its questions when it came from the cache
    progress: Progress
    nav: str
    questions: str


def _section_page(
    request: HttpRequest, report: Report, section_key: str, *, editable: bool, errors: dict
) -> SectionPage:
    """The section's answer-dependent parts. Rendering the questions is most of a page's
    time, so they are cached twice over: the whole page by version of the report (its
    `updated_at`, which every save of answers and every change of status moves in the same
    transaction), so that viewing it again reads no answer; and the questions by what they
    show (`_questions_html`), so that a save in another section leaves them valid. Pages
    with errors, and readers of the published revision, are rendered every time. The
    timeout bounds memory, and how long a deployed template change takes to show."""
    cacheable = selectors.reads_live_answers(request.user, report) and not errors
    version = f"{report.pk}:{report.updated_at.isoformat()}:{current_language()}:{editable:d}"
    key = f"reporting:section-page:{version}:{section_key}"
    cached = cache.get(key) if cacheable else None
    if cached is not None:
        unchanged = section_key in report.unchanged_sections
        return replace(cached, current=replace(cached.current, unchanged=unchanged))
    view = _page_view(request, report, only_section=section_key)
    current = next(s for s in view.sections if s.section.key == section_key)
    for question in current.questions:
        question.error = errors.get(question.key, "")
    context = {"report": report, "view": view, "current": current, "editable": editable}
    page = SectionPage(
        current=current,
        progress=view.progress,
        nav=render_to_string("reporting/_section_nav.html", context),
        questions=_questions_html(context, cacheable=cacheable),
    )
    if cacheable:
        cache.set(key, replace(page, current=replace(current, questions=[])), SECTION_CACHE_SECONDS)
    return page


def _questions_html(context: dict[str, Any], *, cacheable: bool) -> str:
    """The section's questions, cached by what they show: each answer's revision (which
    grows with every change of its value, files included), whether the question applies,
    and the calculated values."""
    if not cacheable:
        return render_to_string("reporting/_section_questions.html", context)
    shown = [
        (q.key, q.revision, q.visible, q.value if q.question.type == "derived" else None)
        for q in context["current"].questions
    ]
    digest = hashlib.blake2b(repr(shown).encode(), digest_size=16).hexdigest()
    report, section = context["report"], context["current"].section
    key = (
        f"reporting:section-questions:{report.pk}:{section.key}:{current_language()}:"
        f"{context['editable']:d}:{digest}"
    )
    html = cache.get(key)
    if html is None:
        html = render_to_string("reporting/_section_questions.html", context)
        cache.set(key, html, SECTION_CACHE_SECONDS)
    return html


def _save_section_form(request: HttpRequest, report: Report, section_key: str) -> dict[str, str]:
    """The no-JavaScript path: the whole section posted as one form."""
    _sections, questions = selectors.questionnaire_structure(report.questionnaire)
    changes = [
        services.AnswerChange(
            q.key, values_from_post(q, request.POST), _int(request.POST.get(f"rev:{q.key}"))
        )
        for q in questions
        if q.section.key == section_key
        and q.type not in ("derived", "file")
        and f"rev:{q.key}" in request.POST
    ]
    try:
        services.save_answers(
            report,
            by=request.user,
            changes=changes,
            clear_hidden=bool(request.POST.get("clear_hidden")),
        )
    except services.AnswersInvalid as exc:
        return exc.errors
    except services.AnswerConflict as exc:
        return {
            key: _("Someone else changed this answer in the meantime. Check it and save again.")
            for key in exc.conflicts
        }
    except services.ConfirmClear as exc:
        return {
            q.key: _(
                "Your change means this question no longer applies; its answer "
                "will be cleared. Save again to confirm."
            )
            for q in exc.questions
        }
    except WorkflowError as exc:
        return {"": exc.message}
    return {}


def _int(raw: str | None) -> int:
    try:
        return max(0, int(raw or 0))
    except ValueError:
        return 0


def _save_payload(report: Report, result: services.SaveResult) -> dict[str, Any]:
    view = build_report_view(
        report, language=current_language(), values=result.values, only_section="-"
    )
    derived = {s.section.key: s.progress for s in view.sections}
    return {
        "revisions": result.revisions,
        "cleared": result.cleared,
        "visible": sorted(result.visible),
        "derived": {
            q.key: display_value(q, v, current_language())
            for q, v in _derived_values(report, result.values)
        },
        "progress": {
            "percent": view.progress.percent,
            "answered": view.progress.answered,
            "required": view.progress.required,
        },
        "sections": {key: p.percent for key, p in derived.items()},
        # The instant; the page writes it as the person's language and clock do.
        "saved_at": timezone.now().isoformat(),
    }


def _derived_values(report: Report, values: dict[str, Any]):
    from reporting.questions import compute_derived

    _sections, questions = selectors.questionnaire_structure(report.questionnaire)
    return [(q, compute_derived(q, values)) for q in questions if q.type == "derived"]


@login_required
@require_POST
def answer_save(request: HttpRequest, pk: int) -> JsonResponse:
    """Autosave: `{"answers": [{"key", "value", "revision"}], "clear_hidden": bool}`."""
    report = get_report_for_user(request, pk, action="edit")
    try:
        payload = json.loads(request.body)
        changes = [
            services.AnswerChange(str(a["key"]), a.get("value"), int(a["revision"]))
            for a in payload["answers"]
        ]
    except (ValueError, KeyError, TypeError):
        return JsonResponse(
            {
                "detail": _("The request is not valid JSON of the expected form."),
                "code": "malformed",
            },
            status=400,
        )
    try:
        result = services.save_answers(
            report, by=request.user, changes=changes, clear_hidden=bool(payload.get("clear_hidden"))
        )
    except WorkflowError as exc:
        return workflow_error_response(exc, report)
    presence.refresh(report.pk, request.user)
    return JsonResponse(_save_payload(report, result))


@login_required
@require_GET
def question_fragment(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    """One question's block, as now stored (after choosing the other person's answer)."""
    report = get_report_for_user(request, pk)
    view = _page_view(request, report)
    for section in view.sections:
        for question in section.questions:
            if question.key == key:
                return HttpResponse(
                    render_to_string(
                        "reporting/question.html",
                        {
                            "q": question,
                            "report": report,
                            "editable": permissions.can_edit_report(request.user, report),
                        },
                        request=request,
                    )
                )
    raise Http404(_("There is no question with this key in this questionnaire."))


@login_required
@require_POST
def attachment_upload(request: HttpRequest, pk: int) -> JsonResponse:
    report = get_report_for_user(request, pk, action="edit")
    upload = request.FILES.get("file")
    key = request.POST.get("key", "")
    if upload is None:
        return JsonResponse(
            {
                "detail": _("Choose a file to upload."),
                "code": "invalid",
                "errors": {key: _("Choose a file to upload.")},
            },
            status=400,
        )
    try:
        attachment, result = services.upload_attachment(
            report, question_key=key, upload=upload, by=request.user
        )
    except WorkflowError as exc:
        return workflow_error_response(exc)
    return JsonResponse(
        {
            **_save_payload(report, result),
            "attachment": {
                "token": attachment.token,
                "name": attachment.original_name,
                "size": attachment.size,
                "url": reverse("reporting:attachment-download", args=[report.pk, attachment.token]),
            },
        }
    )


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int, token: str) -> FileResponse:
    report = get_report_for_user(request, pk)
    attachment = get_object_or_404(Attachment, report=report, token=token)
    if not selectors.reads_live_answers(request.user, report):
        # Outside the State and UNODA, only files of the published revision.
        values, _revisions = selectors.answers_for_reader(request.user, report)
        if not any(token in (v if isinstance(v, list) else []) for v in values.values()):
            raise hide(request, "file not in the published revision")
    return private_download(
        attachment.file, name=attachment.original_name, content_type=attachment.content_type
    )


@login_required
@require_POST
def section_unchanged(request: HttpRequest, pk: int, section_key: str) -> HttpResponse:
    report = get_report_for_user(request, pk, action="edit")
    try:
        services.mark_section_unchanged(report, section_key=section_key, by=request.user)
    except WorkflowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("The answers of your previous report were copied into this section.")
        )
    return redirect("reporting:section-edit", report.pk, section_key)


@login_required
@require_POST
def presence_ping(request: HttpRequest, pk: int) -> JsonResponse:
    report = get_report_for_user(request, pk, action="edit")
    return JsonResponse({"others": presence.touch(report.pk, request.user)})


@login_required
@require_POST
def report_submit(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_report_for_user(request, pk, action="submit")
    form = SubmitForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose who may read the report and confirm its clearance."))
        return redirect("reporting:report-detail", report.pk)
    try:
        services.submit_report(
            report,
            by=request.user,
            visibility=form.cleaned_data["visibility"],
            mfa_verified=has_recent_mfa(request),
        )
    except WorkflowError as exc:
        messages.error(request, exc.message)
        if exc.code == "mfa_required":
            return redirect(reverse("mfa_reauthenticate") + "?next=" + report_url(report))
    else:
        messages.success(request, _("The report was submitted to UNODA. Thank you."))
    return redirect("reporting:report-detail", report.pk)


def report_url(report: Report) -> str:
    return reverse("reporting:report-detail", args=[report.pk])


def _print_context(request: HttpRequest, report: Report) -> dict[str, Any]:
    return {
        "report": report,
        "view": _page_view(request, report),
        "draft": selectors.reads_live_answers(request.user, report)
        and report.status != Report.Status.PUBLISHED,
        "generated_at": timezone.now(),
    }


@require_GET
def report_print(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_report_for_user(request, pk)
    return render(request, "reporting/report_print.html", _print_context(request, report))


@require_GET
def report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_report_for_user(request, pk)
    pdf = render_template_to_pdf(
        "reporting/report_pdf.html", _print_context(request, report), language=current_language()
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"report-{report.state.iso3}-{report.cycle.meeting.short_name}-draft.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
