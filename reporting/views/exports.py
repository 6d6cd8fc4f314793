"""Downloads: one report as a final PDF or JSON, a cycle's published answers as CSV or XLSX,
and a State's own data. Every download reads through `reports_visible_to`: an anonymous
visitor gets public published reports only, and another State's restricted or unpublished
report is a 404."""

from __future__ import annotations

import copy
import tempfile
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from core.i18n import current_language
from core.models import MemberState
from core.pdf import render_template_to_pdf
from core.views import hide
from reporting import exports
from reporting.display import build_report_view
from reporting.models import Cycle, Report
from reporting.tasks import build_cycle_export
from reporting.views.reports import get_report_for_user

#: Below this many published reports a workbook is built while the reader waits.
SYNC_XLSX_LIMIT = 50
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JSON_OPTIONS = {"ensure_ascii": False}
# Responses depend on who asks: shared caches must not keep them.
private = cache_control(private=True)


def _language(request: HttpRequest) -> str:
    """`?lang=` when it is one of the six languages, else the page's language."""
    language = request.GET.get("lang", "")
    return language if language in settings.LANGUAGE_CODES else current_language()


def _cycle(pk: int) -> Cycle:
    """Cycles are public, like the meetings they prepare."""
    return get_object_or_404(Cycle.objects.select_related("meeting", "questionnaire"), pk=pk)


def _download_name(cycle: Cycle, language: str, fmt: str) -> str:
    return f"national-reports-cycle-{cycle.pk}-{language}.{fmt}"


def _final_context(report: Report, language: str) -> dict[str, Any]:
    """The print context of `reporting.views.reports`, for the published revision: the same
    document for every reader, without the "Draft" watermark."""
    view = build_report_view(
        report,
        language=language,
        values=exports.published_answers(report),
        attachments=list(report.attachments.all()),
    )
    shown = copy.copy(report)  # not saved: the status printed is the published revision's
    shown.status = Report.Status.PUBLISHED
    return {"report": shown, "view": view, "draft": False, "generated_at": timezone.now()}


@private
@require_GET
def report_final_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The published report as a PDF without the "Draft" watermark (during an amendment, still
    the published text)."""
    report = get_report_for_user(request, pk)
    if report.published_at is None:
        message = _("Only a published report has a final PDF. Download the draft PDF instead.")
        return HttpResponse(message, status=409, content_type="text/plain; charset=utf-8")
    language = _language(request)
    pdf = render_template_to_pdf(
        "reporting/report_pdf.html", _final_context(report, language), language=language
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"report-{report.state.iso3}-cycle-{report.cycle_id}-{language}.pdf"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


@private
@require_GET
def report_json(request: HttpRequest, pk: int) -> JsonResponse:
    """One report's metadata and answers, texts in `?lang=`: the working copy for the State
    and UNODA, the published revision for everyone else."""
    report = get_report_for_user(request, pk)
    data = exports.report_json(report, language=_language(request), user=request.user)
    return JsonResponse(data, json_dumps_params=JSON_OPTIONS)


@private
@require_GET
def cycle_export_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """The cycle's published answers the reader may see, streamed line by line."""
    cycle = _cycle(pk)
    language = _language(request)
    lines = exports.cycle_csv_lines(cycle, user=request.user, language=language)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        True, _download_name(cycle, language, "csv")
    )
    return response


def _xlsx_now(request: HttpRequest, cycle: Cycle, language: str) -> FileResponse:
    """A small workbook (under SYNC_XLSX_LIMIT reports), built into a temporary file that is
    streamed and deleted when the response closes; large ones are built by the Celery task."""
    workbook = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it)
    try:
        exports.write_cycle_xlsx(
            cycle, user=request.user, language=language, path_or_stream=workbook
        )
    except BaseException:
        workbook.close()
        raise
    workbook.seek(0)
    return FileResponse(
        workbook,
        as_attachment=True,
        filename=_download_name(cycle, language, "xlsx"),
        content_type=XLSX_TYPE,
    )


@private
@require_GET
def cycle_export_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    """Small cycles at once; large ones from the stored file of the reader's audience,
    queued for building (and a page asking to reload) while it is missing or out of date."""
    cycle = _cycle(pk)
    language = _language(request)
    if exports.published_in_cycle(cycle, request.user).count() < SYNC_XLSX_LIMIT:
        return _xlsx_now(request, cycle, language)
    name = exports.stored_export(cycle, user=request.user, language=language, fmt="xlsx")
    if name:
        return FileResponse(
            default_storage.open(name, "rb"),
            as_attachment=True,
            filename=_download_name(cycle, language, "xlsx"),
            content_type=XLSX_TYPE,
        )
    wanted = exports.export_name(cycle.pk, language, "xlsx", exports.audience_of(request.user))
    if exports.claim_build(wanted):
        args = (cycle.pk, "xlsx", language, request.user.pk)
        transaction.on_commit(lambda: build_cycle_export.delay(*args))
    context = {"cycle": cycle, "language": language}
    return render(request, "reporting/export_pending.html", context, status=202)


@private
@require_GET
def state_data(request: HttpRequest, iso3: str) -> JsonResponse:
    """A State's own data for its officials and UNODA; anyone else gets a 404."""
    state = get_object_or_404(MemberState, iso3=iso3.upper())
    if not exports.can_export_state_data(request.user, state):
        raise hide(request, "cannot export this State's data")  # as if it did not exist
    data = exports.state_data(state, user=request.user, language=_language(request))
    return JsonResponse(data, json_dumps_params=JSON_OPTIONS)


urlpatterns: list = [
    path("reports/<int:pk>/report.pdf", report_final_pdf, name="report-final-pdf"),
    path("reports/<int:pk>/report.json", report_json, name="report-json"),
    path("cycles/<int:pk>/export.csv", cycle_export_csv, name="cycle-export-csv"),
    path("cycles/<int:pk>/export.xlsx", cycle_export_xlsx, name="cycle-export-xlsx"),
    path("states/<str:iso3>/data.json", state_data, name="state-data"),
]
