"""Benchmark: how the report editing page, the API list of reports and the statistics page
scale from 50 to 195 States and from 1 to 6 cycles of published reports.

Run from the repository root:  .venv/bin/python bench/growth.py
Needs PostgreSQL and Redis. It DROPS and recreates its own database (default
postgres://postgres@127.0.0.1:5432/poa_bench_growth) and uses Redis db 12 (keys prefixed
poa-bench-growth) for the cache and the sessions, as deployed.
Issue #11 sets no limit here: the table shows the growth. The exit status is 1 only when a
page's query count changes with the data (a query per row somewhere).

For each cell of the grid (--states × --cycles, default 50/100/195 × 1/3/6) the database
holds exactly the demo generator's published reports (answers, dates, languages, 15 %
restricted) of that many States (the same seeded mix of regions, growing) in that many of
the latest past cycles, then, each the best of --repeat requests through the test Client,
in-process (after one round of each, discarded, before the first cell):

- report page: France's draft in an open cycle (official 2026 questionnaire, every question
  that applies answered), the sum of its 11 section pages as its editor sees them, each just
  after a save in its own section (nothing of it from the cache);
- API list: the first page of /api/v1/reports/ (count and 100 rows) as France's editor and as
  a UNODA reviewer, with personal API tokens;
- statistics: /statistics/<latest cycle>/ for an anonymous visitor, with the page's cache
  replaced by a dummy one so that every request computes the page.

It prints a markdown table (milliseconds, and queries in brackets) and writes
bench/results/growth.json.
"""

from __future__ import annotations

import argparse
import random
import sys

import _common as common

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/poa_bench_growth"
STATE = "FRA"
OPEN_CYCLE_NUMBER = 10


def parse_args() -> argparse.Namespace:
    parser = common.parser_for(__doc__, DEFAULT_DATABASE)
    add = parser.add_argument
    add("--states", type=int, nargs="+", default=[50, 100, 195], help="States reporting")
    add("--cycles", type=int, nargs="+", default=[1, 3, 6], help="latest past cycles (≤ 13)")
    parser.set_defaults(repeat=5)
    return parser.parse_args()


# --- data ------------------------------------------------------------------------------------


def seed(max_cycles: int) -> dict:
    """The people, France's fully answered draft, and the cycles and States of the grid."""
    from core.models import MemberState, Role
    from core.services import create_api_token
    from reporting import services
    from reporting.models import Report

    versions = common.official_versions()
    editor = common.person("bench.editor.fra", Role.STATE_EDITOR, iso3=STATE)
    reviewer = common.person("bench.reviewer", Role.REVIEWER, totp=True)
    state = MemberState.objects.get(iso3=STATE)
    cycle = common.open_cycle(versions["2026"], OPEN_CYCLE_NUMBER)
    draft = Report.objects.filter(state=state, cycle=cycle).first()
    if draft is None:
        draft = services.create_report(state=state, cycle=cycle, by=editor, language="en")
        common.fill_report(draft, by=editor)
    states = list(MemberState.objects.order_by("iso3"))
    random.Random(common.SEED).shuffle(states)  # each subset mixes the regions
    tokens = {
        name: create_api_token(user=user, name="benchmark")[1]
        for name, user in (("editor", editor), ("reviewer", reviewer))
    }
    return {
        "editor": editor,
        "draft": draft,
        "states": states,
        "cycles": common.past_cycles(max_cycles, versions),
        "tokens": tokens,
    }


def hold_exactly(states: list, cycles: list, all_cycles: list) -> dict:
    """Published reports of exactly `states` in `cycles` (of the grid's cycles): the others
    deleted, the missing ones made by the demo generator."""
    from reporting.models import Report

    in_grid = Report.objects.filter(cycle__in=all_cycles)
    wanted = {s.pk for s in states}
    deleted, _by_model = (
        in_grid.exclude(cycle__in=cycles, state__in=wanted).delete()
        if in_grid.exists()
        else (0, {})
    )
    made = 0
    for index, cycle in enumerate(cycles):
        made += common.publish_demo_reports(cycle, states, cycle_index=index, cycles=len(cycles))
    common.analyze()
    return {"reports": in_grid.count(), "made": made, "deleted_rows": deleted}


# --- measuring -------------------------------------------------------------------------------


def best(call, repeat: int, before=None) -> float:
    """Best wall-clock milliseconds of `repeat` calls (`before` untimed before each)."""
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        wall, _cpu, _result = common.timed(call)
        times.append(wall)
    return round(1000 * min(times), 2)


def report_page(client, data: dict, repeat: int) -> dict:
    """The 11 section pages of France's draft, each rendered just after a save in it."""
    saver = common.Saver(data["draft"], data["editor"])
    pages = common.section_urls(data["draft"])
    total, queries = 0.0, 0
    for key, url in pages:
        common.get_ok(client, url)
        total += best(
            lambda u=url: common.get_ok(client, u), repeat, lambda k=key: saver.save_in(k)
        )
        saver.save_in(key)
        queries += common.query_count(lambda u=url: common.get_ok(client, u))
    return {"ms": round(total, 2), "queries": queries, "pages": len(pages)}


def api_list(client, token: str, repeat: int) -> dict:
    headers = {"authorization": f"Bearer {token}"}
    response = common.get_ok(client, "/api/v1/reports/", headers=headers)
    call = lambda: common.get_ok(client, "/api/v1/reports/", headers=headers)  # noqa: E731
    return {
        "ms": best(call, repeat),
        "queries": common.query_count(call),
        "count": response.json()["count"],
    }


def statistics_page(client, cycle, repeat: int) -> dict:
    """The cycle's statistics page computed at every request (its cache made a dummy)."""
    from unittest import mock

    from django.core.cache.backends.dummy import DummyCache

    url = f"/statistics/{cycle.pk}/"
    call = lambda: common.get_ok(client, url)  # noqa: E731
    with mock.patch("reporting.views.statistics.cache", DummyCache("dummy", {})):
        call()
        return {"ms": best(call, repeat), "queries": common.query_count(call)}


def measure_cell(clients: dict, data: dict, cycles: list, repeat: int) -> dict:
    return {
        "report_page": report_page(clients["editor"], data, repeat),
        "api_editor": api_list(clients["anonymous"], data["tokens"]["editor"], repeat),
        "api_reviewer": api_list(clients["anonymous"], data["tokens"]["reviewer"], repeat),
        "statistics": statistics_page(clients["anonymous"], cycles[-1], repeat),
    }


# --- report ----------------------------------------------------------------------------------

COLUMNS = [
    ("report_page", "report page, 11 sections"),
    ("api_editor", "API list, editor"),
    ("api_reviewer", "API list, reviewer"),
    ("statistics", "statistics page"),
]


def markdown(cells: list[dict]) -> str:
    """One row per cell: milliseconds (queries), and the growth over the first cell."""
    base = cells[0]["figures"]
    head = "| States | cycles | reports | " + " | ".join(label for _k, label in COLUMNS) + " |"
    lines = [head, "|" + "---:|" * (3 + len(COLUMNS))]
    for cell in cells:
        figures = cell["figures"]
        values = [
            f"{figures[k]['ms']:.1f} ({figures[k]['queries']}) "
            f"{figures[k]['ms'] / base[k]['ms']:.2f}×"
            for k, _label in COLUMNS
        ]
        lines.append(
            f"| {cell['states']} | {cell['cycles']} | {cell['reports']} | "
            + " | ".join(values)
            + " |"
        )
    return "\n".join(lines)


def main() -> int:
    args = parse_args()
    data_dir = common.prepare(args, "growth")
    try:
        from django.test import Client

        data = seed(max(args.cycles))
        clients = {"editor": Client(), "anonymous": Client()}
        clients["editor"].force_login(data["editor"])
        cells = []
        for count in sorted(args.states):
            for cycle_count in sorted(args.cycles):
                cycles = data["cycles"][-cycle_count:]
                held = hold_exactly(data["states"][:count], cycles, data["cycles"])
                if not cells:  # first requests of each kind: templates, imports, caches
                    measure_cell(clients, data, cycles, 1)
                figures = measure_cell(clients, data, cycles, args.repeat)
                cells.append({"states": count, "cycles": cycle_count, **held, "figures": figures})
                print(
                    f"{count} States × {cycle_count} cycles ({held['reports']} reports): "
                    + ", ".join(
                        f"{k} {v['ms']:.1f} ms ({v['queries']})" for k, v in figures.items()
                    ),
                    flush=True,
                )
        table = markdown(cells)
        print(f"\nmilliseconds, best of {args.repeat} (queries), growth over the first row\n")
        print(table)
        steady = {
            key: len({c["figures"][key]["queries"] for c in cells}) == 1
            for key in ("report_page", "api_editor", "api_reviewer", "statistics")
        }
        common.write_results(
            "growth",
            {"repeat": args.repeat, "cells": cells, "markdown": table, "steady_queries": steady},
        )
    finally:
        common.cleanup(data_dir)
    if not all(steady.values()):
        print(f"QUERY COUNT GROWS WITH THE DATA: {[k for k, v in steady.items() if not v]}")
        return 1
    print("query counts do not grow with the data")
    return 0


if __name__ == "__main__":
    sys.exit(main())
