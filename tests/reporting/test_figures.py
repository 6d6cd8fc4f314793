"""The figures of the analysis of national reports, checked against values computed by hand
on a fixed data set (the arithmetic is in the comments), and the charts and section
templates that show them, on the web and in the PDF.

The data set (`world`): eight States, four cycles, hand-written answers.

    State  region    UN regional group     C1 BMS7  C2 RevCon4  C3 BMS9 (analysed)  C4 BMS10
    FRA    Europe    WEOG                  sent     sent        public, on time      -
    DEU    Europe    WEOG                  -        -           restricted, on time  -
    KEN    Africa    African               sent     -           public, late         -
    NGA    Africa    African               -        -           public, extended     -
    BRA    Americas  GRULAC                sent     -           draft (not received) -
    JPN    Asia      Asia-Pacific          -        sent        -                    -
    USA    Americas  (takes part in WEOG)  -        -           unpublished, late    -
    VAT    Europe    none                  -        -           -                    sent

C3's deadline is 31 March 2026; NGA has an extension to 15 April 2026.
"""

from __future__ import annotations

import datetime
import re
import subprocess
from types import SimpleNamespace

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from core.models import MemberState
from core.pdf import render_pdf
from reporting.analysis import builtin, figures
from reporting.analysis.charts import bar_chart, text_direction
from reporting.analysis.figures import Share
from reporting.analysis.sections import registered
from reporting.models import Cycle, DeadlineExtension, Meeting, Report, ReportRevision
from reporting.questionnaires import load_official_versions
from tests.conftest import publish
from tests.factories import UserFactory

STATES = ("FRA", "DEU", "KEN", "NGA", "BRA", "JPN", "USA", "VAT")
PUBLISHED = Report.Status.PUBLISHED
SUBMITTED = Report.Status.SUBMITTED


def yes_no(key: str, number: str, text: str) -> dict:
    return {"key": key, "number": number, "type": "yes_no", "text": {"en": text}}


QUESTIONNAIRE = {
    "code": "figures-test",
    "title": {"en": "Figures test"},
    "sections": [
        {
            "key": "transfers",
            "number": "2",
            "title": {"en": "Transfers", "fr": "Transferts"},
            "questions": [
                yes_no("t.law", "2.1", "Is there a transfer law?"),
                {"key": "t.note", "number": "2.2", "type": "short_text", "text": {"en": "Notes"}},
                # A formula-like text: the CSV must neutralise it.
                yes_no("t.register", "2.3", "=SUM(1) Is there a register?"),
            ],
        },
        {
            "key": "notes",
            "number": "3",
            "title": {"en": "Notes"},
            "questions": [
                {"key": "n.text", "number": "3.1", "type": "long_text", "text": {"en": "Notes"}},
            ],
        },
        {
            "key": "crosscutting",
            "number": "9",
            "title": {"en": "Cross-cutting issues"},
            "questions": [
                yes_no("crosscutting.gender.policy", "9.1", "Gender policy?"),
                yes_no("crosscutting.youth.programmes", "9.2", "Youth programmes?"),
                {
                    "key": "crosscutting.sdg1642.seized",
                    "number": "9.3",
                    "type": "number",
                    "text": {"en": "Seized"},
                },
                {
                    "key": "crosscutting.sdg1642.traced",
                    "number": "9.4",
                    "type": "number",
                    "text": {"en": "Traced"},
                },
                yes_no("coordination.body.women", "9.5", "Women in the body?"),
            ],
        },
    ],
}

# Answers of the latest published revision of each C3 report.
FRA_ANSWERS = {
    "t.law": "yes",
    "t.register": "no",
    "t.note": "anything",
    "crosscutting.gender.policy": "yes",
    "crosscutting.youth.programmes": "in_development",
    "crosscutting.sdg1642.seized": 100,
    "crosscutting.sdg1642.traced": 40,
    "coordination.body.women": "yes",
}
DEU_ANSWERS = {  # restricted: staff edition only
    "t.law": "yes",
    "t.register": "yes",
    "crosscutting.gender.policy": "yes",
    "crosscutting.youth.programmes": "yes",
    "crosscutting.sdg1642.seized": 50,
    "crosscutting.sdg1642.traced": 45,
    "coordination.body.women": "no",
}
KEN_ANSWERS = {  # t.register and women not answered; traced not given
    "t.law": "no",
    "crosscutting.gender.policy": "no",
    "crosscutting.youth.programmes": "yes",
    "crosscutting.sdg1642.seized": 10,
}
NGA_PUBLISHED = {  # revision 3; gender answered with null: not answered
    "t.law": "yes",
    "t.register": "yes",
    "crosscutting.gender.policy": None,
    "crosscutting.youth.programmes": "no",
}


def at(day: str, hour: int = 12) -> datetime.datetime:
    return datetime.datetime.fromisoformat(day).replace(hour=hour, tzinfo=datetime.UTC)


def make_cycle(kind: str, number: int, deadline: str, version=None) -> Cycle:
    day = datetime.date.fromisoformat(deadline)
    meeting = Meeting.objects.create(
        kind=kind,
        number=number,
        start_date=day + datetime.timedelta(days=90),
        end_date=day + datetime.timedelta(days=94),
    )
    return Cycle.objects.create(
        meeting=meeting,
        opens_on=day - datetime.timedelta(days=120),
        deadline=day,
        closes_on=day + datetime.timedelta(days=60),
        questionnaire=version,
    )


def make_report(iso3, cycle, version, *, submitted=None, published=None, visibility="public"):
    status = PUBLISHED if published else SUBMITTED if submitted else Report.Status.DRAFT
    return Report.objects.create(
        state=MemberState.objects.get(iso3=iso3),
        cycle=cycle,
        questionnaire=version,
        language="en",
        status=status,
        visibility=visibility if submitted else "",
        published_visibility=visibility if published else "",
        submitted_at=submitted,
        published_at=published,
    )


def add_revisions(report: Report, *revisions: tuple[str, dict]) -> None:
    for number, (status, answers) in enumerate(revisions, start=1):
        ReportRevision.objects.create(report=report, number=number, status=status, answers=answers)


def publish_with(iso3, cycle, version, answers, *, submitted, visibility="public") -> Report:
    report = make_report(
        iso3, cycle, version, submitted=submitted, published=submitted, visibility=visibility
    )
    add_revisions(report, (SUBMITTED, answers), (PUBLISHED, answers))
    return report


def build_world() -> SimpleNamespace:
    """The fixed data set of the module docstring (the States, meetings and cycles that
    the migrations load are replaced by it)."""
    MemberState.objects.exclude(iso3__in=STATES).delete()
    Cycle.objects.all().delete()
    Meeting.objects.all().delete()
    version = publish(QUESTIONNAIRE)
    c1 = make_cycle("bms", 7, "2020-03-31")
    c2 = make_cycle("revcon", 4, "2022-03-31")
    c3 = make_cycle("bms", 9, "2026-03-31", version)
    c4 = make_cycle("bms", 10, "2028-03-31", version)
    for iso3 in ("FRA", "KEN", "BRA"):
        make_report(iso3, c1, version, submitted=at("2020-03-01"))
    for iso3 in ("FRA", "JPN"):
        make_report(iso3, c2, version, submitted=at("2022-03-01"))
    make_report("VAT", c4, version, submitted=at("2028-03-01"))

    publish_with("FRA", c3, version, FRA_ANSWERS, submitted=at("2026-03-01"))
    # 23:00 UTC on the deadline day: still on time.
    publish_with(
        "DEU", c3, version, DEU_ANSWERS, submitted=at("2026-03-31", 23), visibility="restricted"
    )
    publish_with("KEN", c3, version, KEN_ANSWERS, submitted=at("2026-04-10"))
    nga = make_report("NGA", c3, version, submitted=at("2026-04-10"), published=at("2026-04-20"))
    # An older publication, then the latest one, then an amendment in progress (submitted):
    # only revision 3 counts.
    add_revisions(
        nga,
        (SUBMITTED, {"t.law": "no"}),
        (PUBLISHED, {"t.law": "no", "t.register": "no"}),
        (PUBLISHED, NGA_PUBLISHED),
        (SUBMITTED, {**NGA_PUBLISHED, "t.law": "no", "crosscutting.gender.policy": "yes"}),
    )
    Report.objects.filter(pk=nga.pk).update(status=Report.Status.AMENDMENT)
    DeadlineExtension.objects.create(
        cycle=c3,
        state=MemberState.objects.get(iso3="NGA"),
        deadline=datetime.date(2026, 4, 15),
        granted_by=UserFactory(),
    )
    usa = make_report("USA", c3, version, submitted=at("2026-04-01"))
    add_revisions(usa, (SUBMITTED, {"t.law": "yes"}))
    make_report("BRA", c3, version)  # a draft: not received
    return SimpleNamespace(version=version, c1=c1, c2=c2, c3=c3, c4=c4)


@pytest.fixture
def world(db) -> SimpleNamespace:
    return build_world()


def by_label(shares: list[Share]) -> dict[str, tuple[int, int, float | None]]:
    return {s.label: (s.count, s.total, s.percent) for s in shares}


# --- Share -----------------------------------------------------------------------------------


def test_share_percent_is_rounded_to_one_place_and_none_without_total():
    assert Share("a", 2, 3).percent == 66.7  # 200 / 3 = 66.666…
    assert Share("a", 1, 8).percent == 12.5
    assert Share("a", 0, 5).percent == 0.0
    assert Share("a", 0, 0).percent is None


# --- reporting figures -----------------------------------------------------------------------


def test_reports_received_out_of_all_states(world):
    result = figures.reporting_figures(world.c3)
    # Received in C3: FRA, DEU, KEN, NGA, USA (BRA's draft is not) = 5 of 8 States.
    assert result.received == Share("Reports received", 5, 8)
    assert result.received.percent == 62.5  # 500 / 8


def test_reports_received_by_regional_group(world):
    result = figures.reporting_figures(world.c3)
    assert by_label(result.by_group) == {
        "African Group": (2, 2, 100.0),  # KEN, NGA
        "Asia-Pacific Group": (0, 1, 0.0),  # JPN
        "Eastern European Group": (0, 0, None),
        "Latin American and Caribbean Group": (0, 1, 0.0),  # BRA: a draft
        # FRA, DEU, and USA which takes part in WEOG.
        "Western European and Others Group": (3, 3, 100.0),
        "Not in a regional group": (0, 1, 0.0),  # VAT
    }
    assert [s.label for s in result.by_group][-1] == "Not in a regional group"


def test_no_row_for_states_outside_groups_when_every_state_has_one(world):
    MemberState.objects.filter(iso3="VAT").update(takes_part_in="WEOG")
    labels = [s.label for s in figures.reporting_figures(world.c3).by_group]
    assert "Not in a regional group" not in labels
    assert len(labels) == 5


def test_reports_received_by_region_in_m49_order(world):
    result = figures.reporting_figures(world.c3)
    assert [(s.label, s.count, s.total, s.percent) for s in result.by_region] == [
        ("Africa", 2, 2, 100.0),  # KEN, NGA
        ("Americas", 1, 2, 50.0),  # USA of BRA, USA
        ("Asia", 0, 1, 0.0),  # JPN
        ("Europe", 2, 3, 66.7),  # FRA, DEU of FRA, DEU, VAT: 200 / 3
        ("Oceania", 0, 0, None),
    ]


def test_trend_covers_cycles_up_to_this_one_oldest_first(world):
    result = figures.reporting_figures(world.c3)
    # C1: FRA, KEN, BRA = 3/8; C2: FRA, JPN = 2/8; C3: 5/8. C4 (later) is left out.
    assert [(s.label, s.count, s.total, s.percent) for s in result.trend] == [
        ("BMS7", 3, 8, 37.5),
        ("RevCon4", 2, 8, 25.0),
        ("BMS9", 5, 8, 62.5),
    ]
    assert [s.label for s in figures.reporting_figures(world.c1).trend] == ["BMS7"]


def test_on_time_and_late_count_the_extension(world):
    result = figures.reporting_figures(world.c3)
    # On time: FRA (1 March), DEU (31 March 23:00), NGA (10 April, extended to 15 April).
    # Late: KEN (10 April), USA (1 April).
    assert (result.on_time, result.late) == (3, 2)


def test_states_that_never_reported_or_reported_once_up_to_this_cycle(world):
    result = figures.reporting_figures(world.c3)
    # Reports up to C3: FRA 3, KEN 2, BRA 1 (C1), JPN 1 (C2), DEU 1, NGA 1, USA 1; VAT's
    # only report is in C4, after this cycle.
    assert [s.iso3 for s in result.never_reported] == ["VAT"]
    assert {s.iso3 for s in result.reported_once} == {"BRA", "JPN", "DEU", "NGA", "USA"}
    names = [s.localized_name() for s in result.reported_once]
    assert names == sorted(names)
    # In C1 everyone but FRA, KEN, BRA never reported; those three reported once.
    earliest = figures.reporting_figures(world.c1)
    assert {s.iso3 for s in earliest.never_reported} == {"DEU", "NGA", "JPN", "USA", "VAT"}
    assert {s.iso3 for s in earliest.reported_once} == {"FRA", "KEN", "BRA"}


def test_reporting_labels_are_in_the_active_language(world):
    with translation.override("fr"):
        result = figures.reporting_figures(world.c3)
    assert result.by_region[0].label == "Afrique"
    with translation.override("ar"):
        result = figures.reporting_figures(world.c3)
    assert result.by_region[0].label == "أفريقيا"


# --- what States answered --------------------------------------------------------------------


def test_content_reports_are_published_and_public_unless_staff(world):
    public = figures.content_reports(world.c3, staff=False)
    staff = figures.content_reports(world.c3, staff=True)
    assert {r.state.iso3 for r in public} == {"FRA", "KEN", "NGA"}
    assert {r.state.iso3 for r in staff} == {"FRA", "DEU", "KEN", "NGA"}


def shares_of(sections) -> dict[str, tuple]:
    return {
        q.key: (
            q.overall.count,
            q.overall.total,
            q.overall.percent,
            [r.percent for r in q.by_region],
        )
        for section in sections
        for q in section.questions
    }


def test_public_measure_shares_leave_out_the_restricted_report(world):
    sections = figures.measure_shares(world.c3, staff=False)
    # Sections with yes/no questions only, in order; "notes" has none.
    assert [(s.key, s.number, s.title) for s in sections] == [
        ("transfers", "2", "Transfers"),
        ("crosscutting", "9", "Cross-cutting issues"),
    ]
    assert [(q.key, q.number) for q in sections[0].questions] == [
        ("t.law", "2.1"),
        ("t.register", "2.3"),
    ]
    # Regions: Africa, Americas, Asia, Europe, Oceania. Public reports: FRA (Europe), KEN and
    # NGA (Africa), NGA from its latest published revision (3), not the amendment.
    assert shares_of(sections) == {
        # FRA yes, KEN no, NGA yes: 2/3 = 66.7; Africa 1/2 = 50.0; Europe 1/1.
        "t.law": (2, 3, 66.7, [50.0, None, None, 100.0, None]),
        # FRA no, KEN not answered, NGA yes (rev. 3; rev. 2 said no): 1/2; Africa 1/1, Europe 0/1.
        "t.register": (1, 2, 50.0, [100.0, None, None, 0.0, None]),
        # FRA yes, KEN no, NGA null (not answered): 1/2; Africa 0/1, Europe 1/1.
        "crosscutting.gender.policy": (1, 2, 50.0, [0.0, None, None, 100.0, None]),
        # FRA in development, KEN yes, NGA no: 1/3 = 33.3; Africa 1/2, Europe 0/1.
        "crosscutting.youth.programmes": (1, 3, 33.3, [50.0, None, None, 0.0, None]),
        # FRA yes; KEN, NGA not answered: 1/1.
        "coordination.body.women": (1, 1, 100.0, [None, None, None, 100.0, None]),
    }


def test_staff_measure_shares_include_the_restricted_report(world):
    sections = figures.measure_shares(world.c3, staff=True)
    # DEU (Europe, restricted) added: t.law yes, t.register yes, gender yes, youth yes, women no.
    assert shares_of(sections) == {
        "t.law": (3, 4, 75.0, [50.0, None, None, 100.0, None]),  # 3/4; Europe 2/2
        "t.register": (2, 3, 66.7, [100.0, None, None, 50.0, None]),  # 2/3; Europe 1/2
        "crosscutting.gender.policy": (2, 3, 66.7, [0.0, None, None, 100.0, None]),
        "crosscutting.youth.programmes": (2, 4, 50.0, [50.0, None, None, 50.0, None]),
        "coordination.body.women": (1, 2, 50.0, [None, None, None, 50.0, None]),  # FRA yes, DEU no
    }


def test_question_text_and_region_labels_follow_the_language(world):
    with translation.override("fr"):
        sections = figures.measure_shares(world.c3, staff=False)
    assert sections[0].title == "Transferts"
    assert sections[0].questions[0].text == "Is there a transfer law?"  # no French text: English
    assert sections[0].questions[0].by_region[0].label == "Afrique"


def test_a_cycle_without_questionnaire_has_no_measures(world):
    assert figures.measure_shares(world.c1, staff=True) == []
    assert figures.highlights(world.c1, staff=True).gender == []


def test_highlights_public_and_staff(world):
    public = figures.highlights(world.c3, staff=False)
    assert [q.key for q in public.gender] == [
        "crosscutting.gender.policy",
        "coordination.body.women",
    ]
    assert [q.key for q in public.youth] == ["crosscutting.youth.programmes"]
    assert public.gender[0].overall.percent == 50.0
    # SDG, public: FRA 100 seized / 40 traced, KEN 10 seized / none: 2 States, 110 and 40,
    # 4000 / 110 = 36.36… → 36.4 %.
    assert public.sdg == figures.SdgFigures(states=2, seized=110, traced=40, ratio=36.4)
    staff = figures.highlights(world.c3, staff=True)
    # Staff adds DEU 50 / 45: 3 States, 160 and 85, 8500 / 160 = 53.125 → 53.1 %.
    assert staff.sdg == figures.SdgFigures(states=3, seized=160, traced=85, ratio=53.1)
    assert staff.youth[0].overall == Share("9.2", 2, 4)


def test_sdg_ratio_is_none_without_weapons_seized():
    rows = [("150", {"crosscutting.sdg1642.seized": 0, "crosscutting.sdg1642.traced": 3})]
    assert figures.sdg_figures(rows) == figures.SdgFigures(states=1, seized=0, traced=3, ratio=None)
    assert figures.sdg_figures([]).ratio is None


def test_highlights_find_the_2026_questionnaire_items(db):
    load_official_versions()
    cycle = Cycle.objects.get(meeting__kind="bms", meeting__number=9)
    assert cycle.questionnaire.code == "2026"
    result = figures.highlights(cycle, staff=False)
    assert [q.key for q in result.gender] == [
        "crosscutting.gender.policy",
        "crosscutting.gender.coordination",
        "crosscutting.gender.mainstreaming",
        "crosscutting.gender.data",
    ]  # coordination.body.women is a number there: left out
    assert [q.key for q in result.youth] == ["crosscutting.youth.programmes"]
    assert result.sdg == figures.SdgFigures(states=0, seized=0, traced=0, ratio=None)


def published_reports(count: int, cycle: Cycle, version) -> None:
    for state in MemberState.objects.exclude(reports__cycle=cycle).order_by("pk")[:count]:
        publish_with(state.iso3, cycle, version, FRA_ANSWERS, submitted=at("2026-03-01"))


@pytest.mark.parametrize("staff", [False, True])
def test_figures_take_the_same_number_of_queries_for_n_and_2n_reports(db, staff):
    version = publish(QUESTIONNAIRE)
    cycle = make_cycle("bms", 99, "2026-03-31", version)
    counts = []
    for added in (3, 3):  # 3 reports, then 6
        published_reports(added, cycle, version)
        cycle = Cycle.objects.get(pk=cycle.pk)
        figures.measure_shares(cycle, staff=staff)  # the questionnaire is read once a process
        with CaptureQueriesContext(connection) as queries:
            figures.reporting_figures(cycle)
            figures.measure_shares(cycle, staff=staff)
            figures.highlights(cycle, staff=staff)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert figures.measure_shares(cycle, staff=staff)[0].questions[0].overall == Share("2.1", 6, 6)


# --- charts ----------------------------------------------------------------------------------

SHARES = [Share("Africa", 1, 2), Share("2.3(a)", 2, 3), Share("Oceania", 0, 0)]


def bars(html: str) -> list[tuple[str, str]]:
    """(x, width) of each bar (the second rect of each small SVG)."""
    return re.findall(r'<rect x="([\d.]+)" y="0" width="([\d.]+)" height="10" fill="#0b4f8a"', html)


def test_bar_chart_left_to_right():
    html = bar_chart(SHARES, title="Reports by region")
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://', "")
    assert 'style="' not in html  # a strict CSP refuses inline styles
    assert '<figcaption class="bar-chart-title">Reports by region</figcaption>' in html
    assert 'role="img" aria-label="Bar chart: the table below gives the same figures."' in html
    # Bars grow from the left: 50 %, 66.7 %, and none for no answers.
    assert bars(html) == [("0.00", "50.00"), ("0.00", "66.70"), ("0.00", "0.00")]
    assert '<bdi dir="ltr">2.3(a)</bdi>' in html
    assert '<span class="bar-chart-value">66.7%</span>' in html
    assert '<span class="bar-chart-value">—</span>' in html
    assert "<title>Africa: 50.0%</title>" in html


def test_bar_chart_mirrors_in_arabic_and_formats_numbers_for_the_language():
    with translation.override("ar"):
        html = bar_chart([Share("أفريقيا", 1, 2), Share("2.3(a)", 2, 3)], title="عنوان")
    # Bars grow from the right: x = 100 − length.
    assert bars(html) == [("50.00", "50.00"), ("33.30", "66.70")]
    assert '<bdi dir="rtl">أفريقيا</bdi>' in html
    assert '<bdi dir="ltr">2.3(a)</bdi>' in html  # a question number keeps its order
    with translation.override("fr"):
        assert "66,7" in bar_chart(SHARES, title="t")


def test_bar_chart_of_counts_scales_to_the_largest():
    html = bar_chart([Share("a", 4, 10), Share("b", 8, 10)], title="t", percent=False)
    assert bars(html) == [("0.00", "50.00"), ("0.00", "100.00")]
    assert '<span class="bar-chart-value">8</span>' in html
    assert bar_chart([], title="t") == ""


def test_text_direction_follows_the_first_strong_character():
    assert text_direction("أفريقيا 2") == "rtl"
    assert text_direction("1.1(a)") == "ltr"
    assert text_direction("12") == "ltr"
    assert text_direction("非洲") == "ltr"


def poppler(tool: str, *args) -> str:
    return subprocess.run(
        [tool, *map(str, args)], capture_output=True, text=True, check=True
    ).stdout


def chart_pdf(language: str, shares: list[Share], tmp_path) -> tuple[str, str, str]:
    with translation.override(language):
        chart = bar_chart(shares, title="Chart")
        rtl = translation.get_language_bidi()
    html = (
        f'<!DOCTYPE html><html lang="{language}" dir="{"rtl" if rtl else "ltr"}"><head>'
        '<meta charset="utf-8"><title>Chart</title>'
        '<link rel="stylesheet" href="/static/css/pdf.css"></head>'
        f"<body>{chart}</body></html>"
    )
    path = tmp_path / f"chart-{language}.pdf"
    path.write_bytes(render_pdf(html))
    text = re.sub("[\u200e\u200f\u202a-\u202e\u2066-\u2069]", "", poppler("pdftotext", path, "-"))
    boxes = poppler("pdftotext", "-bbox", path, "-")
    return text, poppler("pdffonts", path), boxes


def x_min(boxes: str, word: str) -> float:
    match = re.search(rf'xMin="([\d.]+)"[^>]*>{re.escape(word)}</word>', boxes)
    assert match, f"{word!r} not in the PDF"
    return float(match[1])


def test_chart_renders_in_the_pdf_with_arabic_and_chinese_labels(tmp_path):
    text, fonts, boxes = chart_pdf(
        "ar", [Share("أفريقيا", 1, 2), Share("非洲", 1, 4), Share("2.3(a)", 3, 4)], tmp_path
    )
    # Shaped and in order (SVG text would give the letters reversed and unjoined).
    assert "أفريقيا" in text
    assert "非洲" in text
    assert "2.3(a)" in text
    rows = fonts.splitlines()[2:]
    assert all(row.split()[-5] == "yes" for row in rows)  # every font embedded
    assert "DejaVu" in fonts and "WenQuanYi" in fonts
    # Right to left: labels right of their values ("75,0%": the Arabic decimal comma).
    assert x_min(boxes, "非洲") > x_min(boxes, "25,0%")
    assert x_min(boxes, "2.3(a)") > x_min(boxes, "75,0%")


def test_chart_in_the_pdf_left_to_right_in_chinese(tmp_path):
    text, _fonts, boxes = chart_pdf("zh-hans", [Share("非洲", 1, 2)], tmp_path)
    assert "非洲" in text
    assert x_min(boxes, "非洲") < x_min(boxes, "50.0%")


# --- sections --------------------------------------------------------------------------------


def test_builtin_sections_are_registered_in_order():
    keys = [
        (s.key, s.order) for s in registered() if s.key in ("reporting", "measures", "highlights")
    ]
    assert keys == [("reporting", 10), ("measures", 20), ("highlights", 60)]


def test_section_tables_have_unique_slugs_and_the_hand_computed_rows(world):
    tables = {}
    for build in (builtin.reporting_context, builtin.measures_context, builtin.highlights_context):
        for table in build(world.c3, False)["tables"]:
            assert table.slug not in tables
            tables[table.slug] = table
    assert list(tables) == [
        "received-by-group",
        "received-by-region",
        "received-trend",
        "timeliness",
        "never-reported",
        "reported-once",
        "measures-transfers",
        "measures-crosscutting",
        "highlights-gender",
        "highlights-youth",
        "highlights-sdg",
    ]
    assert tables["received-by-region"].rows[-1] == ["All States", 5, 8, 62.5]
    # On time 3 of 5 received = 60 %, late 2 of 5 = 40 %.
    assert tables["timeliness"].rows == [["On time", 3, 60.0], ["Late", 2, 40.0]]
    assert tables["never-reported"].rows == [["Holy See", "Europe"]]
    assert tables["measures-transfers"].rows[0] == [
        "2.1", "Is there a transfer law?", 3, 66.7, 50.0, None, None, 100.0, None
    ]  # fmt: skip
    assert tables["highlights-sdg"].rows[1][1] == 110
    assert tables["highlights-sdg"].rows[3][1] == 36.4


@pytest.mark.parametrize("key", ["reporting", "measures", "highlights"])
def test_section_templates_render_for_the_web_and_the_pdf(world, key):
    section = next(s for s in registered() if s.key == key)
    context = section.context(world.c3, True)
    web = render_to_string(section.template, {**context, "pdf": False})
    pdf = render_to_string(section.template, {**context, "pdf": True})
    assert "<h2>" in web and "<h1" not in web
    assert "Download CSV" in web and f"/statistics/{world.c3.pk}/" in web
    assert "Download CSV" not in pdf and "<a " not in pdf
    assert '<th scope="col">' in pdf and "<caption" in pdf
    if key != "reporting":
        assert "Reports restricted to governments are included." in pdf
    assert "<h3>" in render_to_string(section.template, {**context, "heading": 3})
