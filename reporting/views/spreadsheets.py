"""The offline spreadsheet route: download a report as a workbook, upload it filled in, see
what it changes, then apply it (see `reporting.spreadsheets`).

Between the preview and the confirmation the upload is kept in the default storage
(`spreadsheets.keep_upload`); the confirmation form carries its signed name, and the file is
deleted when the confirmation reads it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.dateparse import parse_datetime
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from core.errors import WorkflowError
from core.i18n import current_language
from core.views import hide
from reporting import permissions, selectors, services, spreadsheets
from reporting.models import Report
from reporting.questions import display_value
from reporting.views.reports import get_report_for_user

TEMPLATE = "reporting/spreadsheet_upload.html"


@login_required
@require_GET
def workbook_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The report as a pre-filled workbook, in `?language=` or the page's language. It holds
    the live answers: only for the State's officials and UNODA."""
    report = get_report_for_user(request, pk)
    if not selectors.reads_live_answers(request.user, report):
        raise hide(request, "cannot read the working copy")
    language = request.GET.get("language", "")
    if language not in settings.LANGUAGE_CODES:
        language = current_language()
    content = spreadsheets.build_workbook(report, language=language)
    response = HttpResponse(content, content_type=spreadsheets.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(
        True, spreadsheets.workbook_filename(report)
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def workbook_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """The upload form; on POST, the problems found or a preview of the changes."""
    report = get_report_for_user(request, pk, action="edit")
    context: dict[str, Any] = {"report": report, "editable": report.is_editable}
    if request.method == "POST":
        context.update(_preview(request, report))
    failed = context.get("form_error") or context.get("errors")
    return render(request, TEMPLATE, context, status=400 if failed else 200)


def _preview(request: HttpRequest, report: Report) -> dict[str, Any]:
    upload = request.FILES.get("workbook")
    if upload is None:
        return {"form_error": _("Choose a workbook to upload.")}
    try:
        _ensure_editable(request, report)
        spreadsheets.check_workbook_size(upload.size)
        data = b"".join(upload.chunks())
        reading = spreadsheets.read_workbook(report, data)
    except WorkflowError as exc:
        return {"form_error": exc.message}
    context = {"reading": reading, "errors": _error_rows(report, reading.errors)}
    if reading.changes and not reading.errors:
        context["token"] = spreadsheets.keep_upload(report, request.user, data)
    return context


def _ensure_editable(request: HttpRequest, report: Report) -> None:
    if not permissions.can_edit_report(request.user, report):
        raise WorkflowError(_("This report has been submitted and can no longer be changed."))


@login_required
@require_POST
def workbook_apply(request: HttpRequest, pk: int) -> HttpResponse:
    """Apply a previewed workbook: read again, then one all-or-nothing save."""
    report = get_report_for_user(request, pk, action="edit")
    context: dict[str, Any] = {"report": report, "editable": report.is_editable}
    try:
        data = spreadsheets.take_upload(report, request.user, request.POST.get("token", ""))
        reading = spreadsheets.read_workbook(report, data)
        if reading.errors:
            context["errors"] = _error_rows(report, reading.errors)
            return render(request, TEMPLATE, context, status=400)
        if reading.changes:
            services.save_answers(
                report, by=request.user, changes=reading.changes, clear_hidden=True
            )
    except services.AnswerConflict as exc:
        context["conflicts"] = _conflict_rows(report, exc.conflicts)
        return render(request, TEMPLATE, context, status=409)
    except services.AnswersInvalid as exc:
        rows = [_located(reading, key, message) for key, message in exc.errors.items()]
        context["errors"] = _error_rows(report, rows)
        return render(request, TEMPLATE, context, status=400)
    except WorkflowError as exc:
        context["form_error"] = exc.message
        return render(request, TEMPLATE, context, status=400)
    count = len(reading.changes)
    messages.success(
        request,
        ngettext(
            "%(count)d answer was updated from the workbook.",
            "%(count)d answers were updated from the workbook.",
            count,
        )
        % {"count": count},
    )
    return redirect("reporting:report-detail", report.pk)


def _located(
    reading: spreadsheets.WorkbookReading, key: str, message: str
) -> spreadsheets.CellError:
    sheet, cell = reading.locations.get(key, ("", ""))
    return spreadsheets.CellError(sheet, cell, key, message)


def _questions_by_key(report: Report) -> dict[str, Any]:
    _sections, questions = selectors.questionnaire_structure(report.questionnaire)
    return {q.key: q for q in questions}


def _error_rows(report: Report, errors: list[spreadsheets.CellError]) -> list[dict[str, str]]:
    """Errors with the printed question number, for the table on the page."""
    by_key = _questions_by_key(report)
    return [
        {**error._asdict(), "number": by_key[error.key].number if error.key in by_key else ""}
        for error in errors
    ]


def _conflict_rows(report: Report, conflicts: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Answers changed on the website since the download, as they now read."""
    by_key = _questions_by_key(report)
    return [
        {
            "key": key,
            "number": by_key[key].number,
            "value": display_value(by_key[key], conflict.get("value"), current_language()),
            "updated_by": conflict.get("updated_by", ""),
            "updated_at": parse_datetime(conflict.get("updated_at") or ""),
        }
        for key, conflict in conflicts.items()
    ]


urlpatterns: list = [
    path("reports/<int:pk>/workbook.xlsx", workbook_download, name="workbook-download"),
    path("reports/<int:pk>/workbook/upload/", workbook_upload, name="workbook-upload"),
    path("reports/<int:pk>/workbook/apply/", workbook_apply, name="workbook-apply"),
]
