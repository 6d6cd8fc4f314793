"""Public statistics pages: the figures of the analysis of national reports per cycle, with
charts, accessible tables and a CSV file of each table. Everyone sees the public edition:
restricted reports' answers are never used here, whoever asks."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from core.i18n import current_language
from reporting.analysis.sections import AnalysisSection, Table, registered
from reporting.exports import csv_cell
from reporting.models import Cycle

#: Seconds a cycle's computed page stays cached: new reports show up after this at most.
CACHE_SECONDS = 300
#: Sub-headings inside a section on the web page: the page's h1, then one h2 per section.
SECTION_HEADING_LEVEL = 3


def cycles_with_reports() -> QuerySet[Cycle]:
    """Cycles in which at least one report was received, newest first."""
    return (
        Cycle.objects.select_related("meeting")
        .annotate(received=Count("reports", filter=Q(reports__submitted_at__isnull=False)))
        .filter(received__gt=0)
        .order_by("-deadline")
    )


def web_sections() -> list[AnalysisSection]:
    """Registered sections shown on the web: not the annexes, nor per-State chunks."""
    return [s for s in registered() if not s.annex and not s.per_state]


def _plain_table(table: Table) -> dict[str, Any]:
    """A table as plain strings, for the cache and the CSV file."""
    return {
        "caption": str(table.caption),
        "columns": [str(c) for c in table.columns],
        "rows": [["" if cell is None else str(cell) for cell in row] for row in table.rows],
    }


def _render_section(section: AnalysisSection, cycle: Cycle, tables: dict) -> dict[str, str]:
    context = section.context(cycle, False)
    for table in context.get("tables", []):
        tables.setdefault(table.slug, _plain_table(table))
    context = {**context, "cycle": cycle, "pdf": False, "heading": SECTION_HEADING_LEVEL}
    html = render_to_string(section.template, context)
    return {"key": section.key, "title": str(section.title), "html": html}


def statistics_page(cycle: Cycle) -> dict[str, Any]:
    """Every web section of `cycle`, rendered for the public, and its tables; cached per
    cycle and language for CACHE_SECONDS."""
    key = f"reporting:statistics:{cycle.pk}:{current_language()}"
    page = cache.get(key)
    if page is None:
        tables: dict[str, dict[str, Any]] = {}
        sections = [_render_section(s, cycle, tables) for s in web_sections()]
        page = {"sections": sections, "tables": tables}
        cache.set(key, page, CACHE_SECONDS)
    return page


def _cycle(cycle_pk: int) -> Cycle:
    """Cycles are public, like the meetings they prepare."""
    return get_object_or_404(Cycle.objects.select_related("meeting"), pk=cycle_pk)


@require_GET
def statistics(request: HttpRequest) -> HttpResponse:
    return render(request, "reporting/statistics.html", {"cycles": cycles_with_reports()})


@require_GET
def statistics_cycle(request: HttpRequest, cycle_pk: int) -> HttpResponse:
    cycle = _cycle(cycle_pk)
    context = {
        "cycle": cycle,
        "page": statistics_page(cycle),
        "cycles": cycles_with_reports(),
    }
    return render(request, "reporting/statistics_cycle.html", context)


def _csv_text(table: dict[str, Any]) -> str:
    """UTF-8 text with a byte-order mark (spreadsheets then read it right), every cell
    neutralised so that none runs as a formula."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow([csv_cell(c) for c in table["columns"]])
    writer.writerows([csv_cell(cell) for cell in row] for row in table["rows"])
    return buffer.getvalue()


@require_GET
def statistics_csv(request: HttpRequest, cycle_pk: int, table: str) -> HttpResponse:
    cycle = _cycle(cycle_pk)
    found = statistics_page(cycle)["tables"].get(table)
    if found is None:
        raise Http404
    response = HttpResponse(_csv_text(found), content_type="text/csv; charset=utf-8")
    name = f"{table}-cycle-{cycle.pk}-{current_language()}.csv"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
