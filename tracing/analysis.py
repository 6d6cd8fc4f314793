"""Tracing's parts of the analysis of national reports: ITI marking practices and tracing
cooperation (a section), and the directory of national points of contact (an annex).
Registered with reporting's registry in TracingConfig.ready()."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from reporting.analysis.charts import bar_chart
from reporting.analysis.figures import Share
from reporting.analysis.sections import AnalysisSection, Table, register
from reporting.models import Cycle
from tracing.forms import FIELD_LABELS
from tracing.models import CONTACT_FIELDS, ContactPoint, MarkingPractice
from tracing.requests import tracing_statistics
from tracing.selectors import visible_field_names

MARKING_MEASURES = (
    ("manufacture_required", gettext_lazy("Marking at manufacture required")),
    ("import_required", gettext_lazy("Marking at import required")),
    ("state_held_marked", pgettext_lazy("marking measure", "State-held weapons marked")),
)


def iti_context(cycle: Cycle, staff: bool) -> dict[str, Any]:
    """Marking practices as recorded now (public ones only in the public edition) and the
    tracing requests exchanged on the platform (counts and timings only)."""
    practices = MarkingPractice.objects.all()
    if not staff:
        practices = practices.filter(is_public=True)
    rows = list(practices.values_list(*(name for name, _label in MARKING_MEASURES)))
    shares = [
        Share(str(label), sum(1 for row in rows if row[i] == "yes"), len(rows))
        for i, (_name, label) in enumerate(MARKING_MEASURES)
    ]
    figures = tracing_statistics()
    tables = [
        Table(
            "iti-marking",
            _(
                "States with each marking measure in place, among those that described their "
                "practice"
            ),
            [_("Measure"), _("States"), _("Out of"), _("Percent")],
            [[s.label, s.count, s.total, s.percent] for s in shares],
        ),
        Table(
            "iti-tracing",
            _("Tracing requests exchanged between States on the platform"),
            [_("Sent"), _("Answered"), _("Median days to answer")],
            [[figures["sent"], figures["answered"], figures["median_days_to_answer"]]],
        ),
    ]
    chart = bar_chart(shares, title=_("Marking measures in place"))
    return {"tables": tables, "chart": chart, "practices": len(rows)}


def directory_context(cycle: Cycle, staff: bool) -> dict[str, Any]:
    """Every contact; the public edition shows only the fields each State made public."""
    contacts = ContactPoint.objects.select_related("state").order_by("state__name", "kind")
    public = AnonymousUser()
    rows = []
    for contact in contacts:
        names = CONTACT_FIELDS if staff else visible_field_names(public, contact)
        rows.append({"contact": contact, "fields": {n: getattr(contact, n) for n in names}})
    return {"rows": rows, "labels": FIELD_LABELS}


def register_sections() -> None:
    register(
        AnalysisSection(
            key="iti",
            order=40,
            title=gettext_lazy("Marking, record keeping and tracing (ITI)"),
            context=iti_context,
            template="tracing/analysis_iti.html",
        )
    )
    register(
        AnalysisSection(
            key="directory",
            order=90,
            title=gettext_lazy("Directory of national points of contact"),
            context=directory_context,
            template="tracing/analysis_directory.html",
            annex=True,
        )
    )
