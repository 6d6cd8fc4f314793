"""Reporting's own sections of the analysis: who reported, the measures in place per
questionnaire section, and the gender, youth and SDG 16.4.2 highlights."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from core.models import MemberState
from reporting.analysis import figures
from reporting.analysis.charts import bar_chart
from reporting.analysis.figures import QuestionShares, Share
from reporting.analysis.sections import AnalysisSection, Table, register
from reporting.filters import REGIONS
from reporting.models import Cycle


@dataclass(frozen=True)
class Block:
    """One sub-heading of a section: an optional chart, then its table."""

    heading: str
    table: Table
    chart: SafeString | str = ""


def _blocks_context(cycle: Cycle, blocks: Sequence[Block], **extra: Any) -> dict[str, Any]:
    return {"cycle": cycle, "blocks": list(blocks), "tables": [b.table for b in blocks], **extra}


# --- reporting -------------------------------------------------------------------------------


def _received_table(
    slug: str, caption: str, first_column: str, shares: Sequence[Share], total: Share | None
) -> Table:
    columns = [first_column, _("Reports received"), pgettext("country", "States"), _("Share (%)")]
    rows = [[s.label, s.count, s.total, s.percent] for s in shares]
    if total is not None:
        rows.append([_("All States"), total.count, total.total, total.percent])
    return Table(slug=slug, caption=caption, columns=columns, rows=rows)


def _states_table(slug: str, caption: str, states: Sequence[MemberState]) -> Table:
    columns = [pgettext("country", "State"), _("Region")]
    return Table(slug, caption, columns, [[s.localized_name(), s.region_name] for s in states])


def _timeliness_shares(result: figures.ReportingFigures) -> list[Share]:
    received = result.on_time + result.late
    return [Share(_("On time"), result.on_time, received), Share(_("Late"), result.late, received)]


def _timeliness_block(result: figures.ReportingFigures) -> Block:
    caption = _("Reports received on time and late")
    shares = _timeliness_shares(result)
    table = Table(
        slug="timeliness",
        caption=caption,
        columns=[_("Submission"), _("Reports"), _("Share of the reports received (%)")],
        rows=[[s.label, s.count, s.percent] for s in shares],
    )
    return Block(
        _("Timeliness"), table, bar_chart(shares, title=_("Share of the reports received (%)"))
    )


def _received_blocks(result: figures.ReportingFigures) -> list[Block]:
    by_group = _("Reports received by UN regional group")
    by_region = _("Reports received by region")
    trend = _("Reports received in this and previous cycles")
    group_column = _("UN regional group")
    reported = _("Share of the States that submitted a report (%)")
    return [
        Block(
            by_group,
            _received_table(
                "received-by-group", by_group, group_column, result.by_group, result.received
            ),
            bar_chart(result.by_group, title=reported),
        ),
        Block(
            by_region,
            _received_table(
                "received-by-region", by_region, _("Region"), result.by_region, result.received
            ),
            bar_chart(result.by_region, title=reported),
        ),
        Block(
            trend,
            _received_table("received-trend", trend, _("Meeting"), result.trend, None),
            bar_chart(result.trend, title=reported),
        ),
    ]


def reporting_context(cycle: Cycle, staff: bool) -> dict[str, Any]:
    """Reports received overall, by group, by region and over time; timeliness; States
    that never reported or reported once. The same in both editions."""
    result = figures.reporting_figures(cycle)
    never = _("States that never submitted a national report")
    once = _("States that submitted one national report")
    blocks = [
        *_received_blocks(result),
        _timeliness_block(result),
        Block(never, _states_table("never-reported", never, result.never_reported)),
        Block(once, _states_table("reported-once", once, result.reported_once)),
    ]
    return _blocks_context(cycle, blocks, figures=result)


# --- measures and highlights -----------------------------------------------------------------


def _questions_table(slug: str, caption: str, questions: Sequence[QuestionShares]) -> Table:
    columns = [
        _("Question"),
        _("Text"),
        _("States answering"),
        _("In place (%)"),
        *[_("%(region)s (%%)") % {"region": label} for _code, label in REGIONS],
    ]
    rows = [
        [q.number, q.text, q.overall.total, q.overall.percent, *[r.percent for r in q.by_region]]
        for q in questions
    ]
    return Table(slug=slug, caption=caption, columns=columns, rows=rows)


def _questions_block(slug: str, heading: str, questions: Sequence[QuestionShares]) -> Block:
    return Block(
        heading,
        _questions_table(slug, heading, questions),
        bar_chart(
            [q.overall for q in questions],
            title=_("Share of the answering States with the measure in place (%)"),
        ),
    )


def _edition_context(cycle: Cycle, staff: bool) -> dict[str, Any]:
    return {"reports": figures.content_reports(cycle, staff=staff).count(), "staff": staff}


def measures_context(cycle: Cycle, staff: bool) -> dict[str, Any]:
    """Per questionnaire section, the share of reporting States with each measure in
    place, overall and by region."""
    blocks = [
        _questions_block(
            f"measures-{section.key}",
            _("%(number)s. %(title)s") % {"number": section.number, "title": section.title},
            section.questions,
        )
        for section in figures.measure_shares(cycle, staff=staff)
    ]
    return _blocks_context(cycle, blocks, **_edition_context(cycle, staff))


def _sdg_table(sdg: figures.SdgFigures) -> Table:
    return Table(
        slug="highlights-sdg",
        caption=_("SDG indicator 16.4.2: weapons seized and traced"),
        columns=[_("Figure"), _("Value")],
        rows=[
            [_("States that gave the number of weapons seized, found or surrendered"), sdg.states],
            [_("Weapons seized, found or surrendered"), sdg.seized],
            [_("Of these, weapons whose illicit origin or context was traced"), sdg.traced],
            [_("Share traced (%)"), sdg.ratio],
        ],
    )


def highlights_context(cycle: Cycle, staff: bool) -> dict[str, Any]:
    """Gender and youth items, and the SDG 16.4.2 figures."""
    result = figures.highlights(cycle, staff=staff)
    blocks = []
    if result.gender:
        blocks.append(_questions_block("highlights-gender", _("Gender"), result.gender))
    if result.youth:
        blocks.append(_questions_block("highlights-youth", _("Youth"), result.youth))
    blocks.append(Block(_("SDG indicator 16.4.2"), _sdg_table(result.sdg)))
    return _blocks_context(cycle, blocks, highlights=result, **_edition_context(cycle, staff))


# --- registration ----------------------------------------------------------------------------

SECTIONS = (
    AnalysisSection(
        key="reporting",
        order=10,
        title=gettext_lazy("Reporting"),
        context=reporting_context,
        template="reporting/analysis/section_reporting.html",
    ),
    AnalysisSection(
        key="measures",
        order=20,
        title=gettext_lazy("Measures in place"),
        context=measures_context,
        template="reporting/analysis/section_measures.html",
    ),
    AnalysisSection(
        key="highlights",
        order=60,
        title=gettext_lazy("Gender, youth and SDG indicator 16.4.2"),
        context=highlights_context,
        template="reporting/analysis/section_highlights.html",
    ),
)


def register_builtin_sections() -> None:
    for section in SECTIONS:
        register(section)
