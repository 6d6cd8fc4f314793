"""Benchmark: the report editing pages (full questionnaire, every question answered) against
a bare Django view returning the same bytes; and their SQL query count at 50, 100 and 200
questions.

Run from the repository root:  .venv/bin/python bench/report_page.py
Needs PostgreSQL and Redis. It DROPS and recreates its own database (default
postgres://postgres@127.0.0.1:5432/poa_bench_pages) and uses Redis db 12 (keys prefixed
poa-bench-report_page) for the cache and the sessions, as deployed.
Goals (issue #11): the editing pages take at most 2.0x the bare view's time; the query count
of an editing page is the same at 50, 100 and 200 questions.

What an editor loads to fill in a report is one editing page per section
(/reports/<pk>/sections/<key>/): the figure is the sum of the best times of the 11 section
pages of the official 2026 questionnaire (197 questions, every one that applies answered,
tables of 3 to 6 rows, two files per file question), in three situations:
- viewed again: nothing was saved since the page was last shown;
- after a save elsewhere: an answer in the last section was saved just before (untimed), as
  when an editor saves in one section and moves to another; the sum is over the 10 others;
- after a save here: an answer in the page's own section was saved just before, so that
  nothing of the page can come from the cache (as after saving a section without
  JavaScript, or on the first view).
The goal applies to each.
The report's overview page (/reports/<pk>/) is measured too, outside the goal.

Query counts are taken on generated questionnaires of 50, 100 and 200 questions (the official
questions' types, options and settings in turn, in two sections, every question answered):
each section page just after a save in that section (rendered from scratch) and viewed again.

The baseline is a view that returns, as an HttpResponse, the bytes the app served for the
same page (captured just before), mounted on a bench-only URL beside the project's URLs. It
is requested by the same test Client (in-process, no network), with the same session cookie
of the same logged-in editor, through the same middleware stack: session (Redis cache),
locale, CSRF, authentication, messages, the CSP nonce, allauth and the MFA middleware (which
loads the user and the memberships). So the ratio is what the view itself costs (lookups,
permissions, answers, the template) over what any page of this site costs.

Requests alternate between the app's page and the bare view, page by page, for --repeat
rounds (garbage collection held off during each request); each page's best time counts.
The CPU time of this process is reported beside the wall-clock time: it leaves out waiting
for PostgreSQL and Redis and the time other programs held the CPU, a cross-check on a busy
machine (the goal is on the wall-clock time).
"""

from __future__ import annotations

import argparse
import sys

import _common as common

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/poa_bench_pages"
GOAL_RATIO = 2.0
SIZES = (50, 100, 200)
FULL_CYCLE_NUMBER, SIZE_CYCLE_NUMBER = 10, 20  # future Biennial Meetings of the bench cycles
STATE = "FRA"


def parse_args() -> argparse.Namespace:
    parser = common.parser_for(__doc__, DEFAULT_DATABASE)
    parser.add_argument(
        "--language", default="en", help="the editor's language (en, fr, es, ar, ru, zh-hans)"
    )
    parser.set_defaults(repeat=15)
    return parser.parse_args()


# --- data ------------------------------------------------------------------------------------


def seed() -> dict:
    """The editor of France and, in open cycles of their own, France's draft reports: on
    the official 2026 questionnaire and on generated ones of 50, 100 and 200 questions,
    every question that applies answered."""
    from core.models import MemberState, Role
    from reporting import services
    from reporting.models import Report
    from reporting.selectors import questionnaire_structure

    versions = common.official_versions()
    editor = common.person("bench.editor.fra", Role.STATE_EDITOR, iso3=STATE)
    state = MemberState.objects.get(iso3=STATE)
    _sections, official = questionnaire_structure(versions["2026"])
    plans = [("full", versions["2026"], FULL_CYCLE_NUMBER)]
    for index, size in enumerate(SIZES):
        code = f"bench-{size}"
        version = versions.get(code) or _generated(code, size, official)
        plans.append((size, version, SIZE_CYCLE_NUMBER + index))
    reports = {}
    for label, version, number in plans:
        cycle = common.open_cycle(version, number)
        report = Report.objects.filter(state=state, cycle=cycle).first()
        if report is None:
            report = services.create_report(state=state, cycle=cycle, by=editor, language="en")
            answered = common.fill_report(report, by=editor)
            print(f"report on {version.code}: {answered}", flush=True)
        reports[label] = report
    common.analyze()
    return {"editor": editor, "reports": reports}


def _generated(code: str, size: int, official):
    from reporting.models import QuestionnaireVersion

    found = QuestionnaireVersion.objects.filter(code=code).first()
    return found or common.publish(common.generated_questionnaire(code, size, official))


# --- measuring -------------------------------------------------------------------------------


def bare_patterns(captured: list[bytes]) -> list:
    """One bench-only URL per captured page, answering with exactly those bytes."""
    from django.http import HttpResponse
    from django.urls import path

    def bare(request, index: int):
        return HttpResponse(captured[index], content_type="text/html; charset=utf-8")

    return [path("bench-bare/<int:index>/", bare)]


def measure_against_bare(client, pages, repeat: int, before=None) -> list[dict]:
    """Each page and its bare twin, alternately, `repeat` times; the best of each. `before`
    (untimed) runs before each request of a page, with the page's label."""
    captured = [common.get_ok(client, url).content for _label, url in pages]  # also warms up
    with common.extra_urls(bare_patterns(captured)):
        bare_urls = [f"/bench-bare/{i}/" for i in range(len(pages))]
        for url in bare_urls:
            common.get_ok(client, url)
        runs = {"app": [[] for _ in pages], "bare": [[] for _ in pages]}
        for _round in range(repeat):
            for i, (label, url) in enumerate(pages):
                if before is not None:
                    before(label)
                for kind, target in (("app", url), ("bare", bare_urls[i])):
                    wall, cpu, _r = common.timed(lambda u=target: common.get_ok(client, u))
                    runs[kind][i].append((wall, cpu))
    rows = []
    for i, ((label, url), body) in enumerate(zip(pages, captured, strict=True)):
        row = {"page": label, "url": url, "bytes": len(body)}
        for kind in ("app", "bare"):
            walls, cpus = zip(*runs[kind][i], strict=True)
            row[f"{kind}_ms"] = round(1000 * min(walls), 3)
            row[f"{kind}_cpu_ms"] = round(1000 * min(cpus), 3)
            row[f"{kind}_runs_ms"] = [round(1000 * w, 3) for w in walls]
        rows.append(row)
    return rows


def query_counts(client, report, editor) -> dict[str, dict[str, int]]:
    """Queries of each section page: rendered (just after a save in that section, so that
    nothing of it is cached), and viewed again (nothing changed since)."""
    saver = common.Saver(report, editor)
    counts: dict[str, dict[str, int]] = {"rendered": {}, "viewed_again": {}}
    for key, url in common.section_urls(report):
        saver.save_in(key)
        counts["rendered"][key] = common.query_count(lambda u=url: common.get_ok(client, u))
        counts["viewed_again"][key] = common.query_count(lambda u=url: common.get_ok(client, u))
    return counts


def print_table(rows: list[dict], title: str) -> None:
    print(f"\n{title}")
    print(f"{'page':<14} {'KiB':>5} {'app ms':>8} {'bare ms':>8} {'ratio':>6}   "
          f"{'app CPU':>8} {'bare CPU':>8} {'ratio':>6}")  # fmt: skip
    for row in rows:
        print(
            f"{row['page']:<14} {row['bytes'] / 1024:>5.0f} {row['app_ms']:>8.2f} "
            f"{row['bare_ms']:>8.2f} {common.ratio(row['app_ms'], row['bare_ms']):>5.2f}×   "
            f"{row['app_cpu_ms']:>8.2f} {row['bare_cpu_ms']:>8.2f} "
            f"{common.ratio(row['app_cpu_ms'], row['bare_cpu_ms']):>5.2f}×"
        )


SCENARIOS = {
    "viewed_again": "Section pages viewed again (nothing saved since their last view)",
    "after_a_save_elsewhere": "Section pages just after a save in the last section",
    "after_a_save_here": "Section pages just after a save in the same section",
}


def main() -> int:
    args = parse_args()
    data_dir = common.prepare(args, "report_page")
    try:
        from django.test import Client
        from django.urls import reverse

        data = seed()
        editor, report = data["editor"], data["reports"]["full"]
        client = Client(headers={"accept-language": args.language})
        client.force_login(editor)
        client.cookies.load({"django_language": args.language})
        print(
            f"Report page benchmark: {STATE}'s draft on questionnaire "
            f"{report.questionnaire.code}, language {args.language}, best of {args.repeat}",
            flush=True,
        )
        pages = common.section_urls(report)
        saver = common.Saver(report, editor)
        last = pages[-1][0]
        scenarios = {
            "viewed_again": measure_against_bare(client, pages, args.repeat),
            "after_a_save_elsewhere": measure_against_bare(
                client, pages[:-1], args.repeat, before=lambda _page: saver.save_in(last)
            ),
            "after_a_save_here": measure_against_bare(
                client, pages, args.repeat, before=saver.save_in
            ),
        }
        overview_url = reverse("reporting:report-detail", args=[report.pk])
        overview = measure_against_bare(client, [("overview", overview_url)], args.repeat)
        counts = {size: query_counts(client, data["reports"][size], editor) for size in SIZES}
        counts["full"] = query_counts(client, report, editor)
        result = summarise(scenarios, overview, counts)
        for name, rows in scenarios.items():
            print_table(rows, SCENARIOS[name] + ", 2026 questionnaire, all answered")
        print_table(overview, "Overview page (outside the goal)")
        print_summary(result, counts)
        common.write_results(
            "report_page",
            {
                "state": STATE,
                "questionnaire": report.questionnaire.code,
                "language": args.language,
                "repeat": args.repeat,
                "scenarios": scenarios,
                "overview": overview,
                "query_counts": counts,
                **result,
            },
        )
    finally:
        common.cleanup(data_dir)
    met = all(g["met"] for g in result["goals"].values())
    print("all goals met" if met else "GOAL NOT MET")
    return 0 if met else 1


def summarise(scenarios: dict, overview: list[dict], counts: dict) -> dict:
    """Per scenario: the sums over the section pages and their ratio; the goals."""
    result: dict = {"goals": {}}
    for name, rows in scenarios.items():
        sums = {
            key: round(sum(r[key] for r in rows), 3)
            for key in ("app_ms", "bare_ms", "app_cpu_ms", "bare_cpu_ms")
        }
        sums["ratio"] = common.ratio(sums["app_ms"], sums["bare_ms"])
        sums["cpu_ratio"] = common.ratio(sums["app_cpu_ms"], sums["bare_cpu_ms"])
        result[name] = sums
        result["goals"][f"{name}_ratio"] = common.goal(sums["ratio"], GOAL_RATIO)
    result["overview_ratio"] = common.ratio(overview[0]["app_ms"], overview[0]["bare_ms"])
    for path in ("rendered", "viewed_again"):
        by_size = [sorted(set(counts[size][path].values())) for size in SIZES]
        same = all(len(c) == 1 for c in by_size) and len({c[0] for c in by_size}) == 1
        result["goals"][f"same_query_count_{path}"] = {
            "sizes": list(SIZES),
            "counts": by_size,
            "met": same,
        }
    return result


def print_summary(result: dict, counts: dict) -> None:
    print()
    for name in SCENARIOS:
        sums, goal = result[name], result["goals"][f"{name}_ratio"]
        print(
            f"{name.replace('_', ' ')}: all section pages, app {sums['app_ms']:.1f} ms, bare "
            f"{sums['bare_ms']:.1f} ms: {sums['ratio']:.2f}× (goal ≤ {GOAL_RATIO}×: "
            f"{_met(goal)}); CPU time in this process (no waits): {sums['cpu_ratio']:.2f}×"
        )
    for path in ("rendered", "viewed_again"):
        goal = result["goals"][f"same_query_count_{path}"]
        sizes = "; ".join(
            f"{size} questions: {', '.join(map(str, counts[size][path].values()))}"
            for size in SIZES
        )
        full = ", ".join(map(str, counts["full"][path].values()))
        print(
            f"queries per section page, {path.replace('_', ' ')}: {sizes} (the same: "
            f"{_met(goal)}); 2026 questionnaire: {full}"
        )


def _met(goal: dict) -> str:
    return "met" if goal["met"] else "NOT MET"


if __name__ == "__main__":
    sys.exit(main())
