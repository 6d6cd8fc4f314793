"""The public statistics pages: every registered section per cycle, the public edition only
(whoever asks), in the visitor's language, with a CSV file of each table.

The figures are those of the fixed data set of test_figures.py (see its docstring)."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import MemberState
from reporting.analysis import sections
from reporting.analysis.builtin import Block
from reporting.analysis.sections import AnalysisSection, Table
from reporting.models import Cycle
from tests.conftest import publish
from tests.reporting.test_figures import (
    FRA_ANSWERS,
    QUESTIONNAIRE,
    at,
    build_world,
    make_cycle,
    publish_with,
)


@pytest.fixture
def world(db):
    return build_world()


def page_url(cycle: Cycle) -> str:
    return reverse("reporting:statistics-cycle", args=[cycle.pk])


def csv_url(cycle: Cycle, table: str) -> str:
    return reverse("reporting:statistics-csv", args=[cycle.pk, table])


def csv_rows(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_statistics_lists_cycles_with_reports_newest_first(anonymous, world):
    make_cycle("bms", 11, "2030-03-31")  # no report received: not listed
    response = anonymous.get(reverse("reporting:statistics"))
    assert response.status_code == 200
    assert [c.pk for c in response.context["cycles"]] == [
        world.c4.pk,
        world.c3.pk,
        world.c2.pk,
        world.c1.pk,
    ]
    assert page_url(world.c4) in response.content.decode()


def test_statistics_link_is_in_the_main_navigation(anonymous, world):
    page = anonymous.get(reverse("reporting:meeting-list")).content.decode()
    assert f'href="{reverse("reporting:statistics")}"' in page


def test_cycle_page_shows_public_figures_only(anonymous, world):
    response = anonymous.get(page_url(world.c3))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Analysis of national reports submitted for" in page
    for title in ("Reporting", "Measures in place", "Gender, youth and SDG indicator 16.4.2"):
        assert f">{title}</h2>" in page
    assert "<h3>Reports received by region</h3>" in page
    assert "5 of 8 States (62.5%) submitted a national report for BMS9." in page
    # t.law, public: FRA yes, KEN no, NGA yes = 2 of 3 answering, 66.7 %; the staff edition
    # (with DEU's restricted report) would say 3 of 4, 75.0 %.
    assert "Based on the answers in 3 published national reports." in page
    assert "Reports restricted to governments are not included." in page
    assert "<td>3</td><td>66.7</td>" in page
    assert "75.0" not in page
    assert 'class="bar-chart"' in page
    assert page.count("Download CSV") == len(response.context["page"]["tables"])
    assert "<script" not in page.split("<main", 1)[1]


def test_logged_in_staff_still_get_the_public_edition(client_for, reviewer, world):
    page = client_for(reviewer).get(page_url(world.c3)).content.decode()
    assert "<td>3</td><td>66.7</td>" in page
    assert "Reports restricted to governments are not included." in page


def test_cycle_page_in_arabic_from_the_browser_language(anonymous, world):
    response = anonymous.get(page_url(world.c3), HTTP_ACCEPT_LANGUAGE="ar")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="ar" dir="rtl">' in page
    assert '<bdi dir="rtl">أفريقيا</bdi>' in page
    # Europe, 2 of 3 States reported = 66.7 %: in Arabic the bar grows from the right,
    # x = 100 − 66.7.
    assert '<rect x="33.30" y="0" width="66.70" height="10" fill="#0b4f8a"/>' in page


def test_cycle_page_in_french_from_the_language_cookie(anonymous, world):
    anonymous.cookies["django_language"] = "fr"
    page = anonymous.get(page_url(world.c3)).content.decode()
    assert '<html lang="fr" dir="ltr">' in page
    assert "Afrique" in page
    assert "<td>66,7</td>" in page  # the French decimal comma


def test_cached_page_is_kept_per_language(anonymous, world):
    anonymous.get(page_url(world.c3))
    with CaptureQueriesContext(connection) as cached:
        english = anonymous.get(page_url(world.c3)).content.decode()
    arabic = anonymous.get(page_url(world.c3), HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert "Africa" in english and "أفريقيا" not in english
    assert "أفريقيا" in arabic
    assert len(cached) <= 3  # the cycle and the list of cycles; no figure recomputed


def test_csv_of_a_table(anonymous, world):
    response = anonymous.get(csv_url(world.c3, "received-by-region"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f"received-by-region-cycle-{world.c3.pk}-en.csv" in response["Content-Disposition"]
    assert csv_rows(response) == [
        ["Region", "Reports received", "States", "Share (%)"],
        ["Africa", "2", "2", "100.0"],
        ["Americas", "1", "2", "50.0"],
        ["Asia", "0", "1", "0.0"],
        ["Europe", "2", "3", "66.7"],
        ["Oceania", "0", "0", ""],
        ["All States", "5", "8", "62.5"],
    ]


def test_csv_neutralises_formulas_and_leaves_out_restricted_answers(anonymous, world):
    rows = csv_rows(anonymous.get(csv_url(world.c3, "measures-transfers")))
    assert rows[0][:4] == ["Question", "Text", "States answering", "In place (%)"]
    # 2.3, public: FRA no, NGA yes (KEN did not answer) = 1 of 2 = 50.0 %; Africa 1/1,
    # Europe 0/1. The question text starts with "=": written as text, not as a formula.
    assert rows[2] == [
        "2.3",
        "'=SUM(1) Is there a register?",
        "2",
        "50.0",
        "100.0",
        "",
        "",
        "0.0",
        "",
    ]
    sdg = csv_rows(anonymous.get(csv_url(world.c3, "highlights-sdg")))
    assert sdg[2] == ["Weapons seized, found or surrendered", "110"]  # without DEU's 50


def test_csv_in_arabic_has_arabic_headers(anonymous, world):
    response = anonymous.get(csv_url(world.c3, "received-by-region"), HTTP_ACCEPT_LANGUAGE="ar")
    assert f"-cycle-{world.c3.pk}-ar.csv" in response["Content-Disposition"]
    assert csv_rows(response)[1][0] == "أفريقيا"


@pytest.mark.parametrize(
    "url",
    [
        lambda world: csv_url(world.c3, "no-such-table"),
        lambda world: csv_url(Cycle(pk=999999), "received-by-region"),
        lambda world: page_url(Cycle(pk=999999)),
    ],
)
def test_unknown_table_or_cycle_is_not_found(anonymous, world, url):
    assert anonymous.get(url(world)).status_code == 404


def test_statistics_pages_are_read_only(anonymous, world):
    assert anonymous.post(page_url(world.c3)).status_code == 405
    assert anonymous.post(csv_url(world.c3, "timeliness")).status_code == 405


def extra_context(cycle, staff):
    table = Table("extra-figures", "Extra figures", ["Name", "Value"], [["=1+1", 3]])
    return {"blocks": [Block("Extra heading", table)], "tables": [table], "reports": 0}


def test_other_registered_sections_appear_in_order_and_annexes_do_not(
    anonymous, world, monkeypatch
):
    template = "reporting/analysis/section_highlights.html"
    extra = AnalysisSection("extra", 30, "Extra section", extra_context, template)
    annex = AnalysisSection("annex-x", 5, "Annex section", extra_context, template, annex=True)
    monkeypatch.setitem(sections._REGISTRY, "extra", extra)
    monkeypatch.setitem(sections._REGISTRY, "annex-x", annex)
    page = anonymous.get(page_url(world.c3)).content.decode()
    assert "Annex section" not in page
    titles = ("Measures in place", "Extra section", "Gender, youth and SDG indicator 16.4.2")
    order = [page.index(f">{title}</h2>") for title in titles]
    assert order == sorted(order)
    rows = csv_rows(anonymous.get(csv_url(world.c3, "extra-figures")))
    assert rows == [["Name", "Value"], ["'=1+1", "3"]]


def page_queries(client, cycle) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(page_url(cycle)).status_code == 200
    return len(queries)


def test_page_queries_do_not_grow_with_states_and_reports(anonymous, db):
    version = publish(QUESTIONNAIRE)
    cycle = make_cycle("bms", 99, "2026-03-31", version)
    counts = []
    for _round in range(2):  # 4 reports, then 8
        for state in MemberState.objects.exclude(reports__cycle=cycle).order_by("pk")[:4]:
            publish_with(state.iso3, cycle, version, FRA_ANSWERS, submitted=at("2026-03-01"))
        page_queries(anonymous, cycle)  # the questionnaire is read once a process
        counts.append(page_queries(anonymous, cycle))
    assert counts[0] == counts[1]
