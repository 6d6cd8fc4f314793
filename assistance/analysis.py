"""Assistance's section of the analysis of national reports: needs by theme and region,
offers, and what the conversations between donors and States led to. Registered with
reporting's registry in AssistanceConfig.ready()."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assistance.models import Match, Need, Offer, Theme
from assistance.selectors import needs_by_region_and_theme
from reporting.analysis.charts import bar_chart
from reporting.analysis.figures import Share
from reporting.analysis.sections import AnalysisSection, Table, register
from reporting.filters import REGIONS
from reporting.models import Cycle


def _needs(staff: bool):
    needs = Need.objects.active()
    return needs if staff else needs.filter(visibility=Need.Visibility.PUBLIC)


def assistance_context(cycle: Cycle, staff: bool) -> dict[str, Any]:
    """Needs as recorded now (public ones only in the public edition), open offers by
    theme, and the conversations by status with the outcomes of completed ones."""
    needs = _needs(staff)
    counts = needs_by_region_and_theme(needs)
    total = sum(counts.values())
    by_theme = [
        Share(str(label), sum(counts.get((code, value), 0) for code, _r in REGIONS), total)
        for value, label in Theme.choices
    ]
    offers = Counter(
        theme
        for themes in Offer.objects.filter(status=Offer.Status.OPEN).values_list(
            "themes", flat=True
        )
        for theme in themes
    )
    matches = Match.objects.filter(need__in=needs)
    statuses = dict(matches.values_list("status").annotate(n=Count("pk")))
    tables = [
        Table(
            "assistance-needs",
            _("Needs by theme and region"),
            [_("Theme"), *(str(label) for _code, label in REGIONS), _("Total")],
            [
                [
                    str(label),
                    *(counts.get((code, value), 0) for code, _r in REGIONS),
                    sum(counts.get((code, value), 0) for code, _r in REGIONS),
                ]
                for value, label in Theme.choices
            ],
        ),
        Table(
            "assistance-offers",
            _("Open offers by theme"),
            [_("Theme"), _("Offers")],
            [[str(label), offers.get(value, 0)] for value, label in Theme.choices],
        ),
        Table(
            "assistance-matches",
            _("Conversations between donors and States, by status"),
            [_("Status"), _("Conversations")],
            [[str(label), statuses.get(value, 0)] for value, label in Match.Status.choices],
        ),
    ]
    completed = matches.filter(status=Match.Status.COMPLETED).select_related("need__state")
    return {
        "tables": tables,
        "chart": bar_chart(by_theme, title=_("Needs by theme"), percent=False),
        "needs_total": total,
        "completed": completed.select_related("donor_state", "donor_organisation"),
    }


def register_sections() -> None:
    register(
        AnalysisSection(
            key="assistance",
            order=50,
            title=gettext_lazy("International cooperation and assistance"),
            context=assistance_context,
            template="assistance/analysis_section.html",
        )
    )
