"""Benchmark: the API list of national reports (/api/v1/reports/) as a State's editor
(scoped) and as a UNODA reviewer (unscoped) over the same rows, and against a bare DRF list
of the same rows.

Run from the repository root:  .venv/bin/python bench/api_lists.py
Needs PostgreSQL and Redis. It DROPS and recreates its own database (default
postgres://postgres@127.0.0.1:5432/poa_bench_api) and uses Redis db 12 (keys prefixed
poa-bench-api_lists) for the cache and the API throttles, as deployed.
Goals (issue #11): the editor's list takes at most 1.2x the reviewer's; at most 1.5x the
bare DRF list.

Data: published demo reports (answers, dates, languages, 15 % restricted) of all 195 States
in the 6 latest past cycles, and one draft, France's, in an open cycle. The reviewer sees
every report; France's editor sees every published one (editors are government officials,
who read restricted reports too) and France's draft. So both lists hold the same 1,171 rows,
and differ only in how they are found: the reviewer's query is unfiltered, the editor's
carries the scope (published, or of the editor's State).

The bare list is a DRF ListAPIView over Report.objects with the same joins and order, with
a ModelSerializer of the same fields (so its JSON is the same, which the benchmark checks),
the project's default authentication (the same personal API token), pagination
(LimitOffsetPagination, 100 a page), throttles and renderer; it has no scope, no filters and
no viewset. Each figure is the best of --repeat requests of the first page (count + 100
rows) through the same test Client, in-process; the three lists alternate.
"""

from __future__ import annotations

import argparse
import json
import sys

import _common as common

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/poa_bench_api"
GOAL_SCOPED, GOAL_BARE = 1.2, 1.5
CYCLES = 6
STATE = "FRA"
OPEN_CYCLE_NUMBER = 10


def parse_args() -> argparse.Namespace:
    parser = common.parser_for(__doc__, DEFAULT_DATABASE)
    parser.add_argument("--limit", type=int, help="page size (?limit=); default: the API's")
    parser.set_defaults(repeat=30)
    return parser.parse_args()


def seed() -> dict:
    """Every State's published reports in the latest cycles, France's draft, the editor and
    the reviewer with their personal API tokens."""
    from core.models import MemberState, Role
    from core.services import create_api_token
    from reporting import services
    from reporting.models import Report

    versions = common.official_versions()
    states = list(MemberState.objects.order_by("iso3"))
    for index, cycle in enumerate(common.past_cycles(CYCLES, versions)):
        made = common.publish_demo_reports(cycle, states, cycle_index=index, cycles=CYCLES)
        if made:
            print(f"{cycle.meeting.short_name}: {made} published reports", flush=True)
    editor = common.person("bench.editor.fra", Role.STATE_EDITOR, iso3=STATE)
    reviewer = common.person("bench.reviewer", Role.REVIEWER, totp=True)
    cycle = common.open_cycle(versions["2026"], OPEN_CYCLE_NUMBER)
    state = MemberState.objects.get(iso3=STATE)
    if not Report.objects.filter(state=state, cycle=cycle).exists():
        services.create_report(state=state, cycle=cycle, by=editor, language="fr")
    common.analyze()
    tokens = {
        name: create_api_token(user=user, name="benchmark")[1]
        for name, user in (("editor", editor), ("reviewer", reviewer))
    }
    return {"tokens": tokens, "rows": Report.objects.count()}


def bare_patterns() -> list:
    """/bench-bare/reports/: a plain DRF list of every report, the same fields and order."""
    from django.urls import path
    from rest_framework import generics, serializers

    from reporting.models import Report

    class BareReportSerializer(serializers.ModelSerializer):
        state = serializers.SlugRelatedField(slug_field="iso3", read_only=True)
        meeting = serializers.CharField(source="cycle.meeting.short_name", read_only=True)
        questionnaire = serializers.SlugRelatedField(slug_field="code", read_only=True)

        class Meta:
            model = Report
            fields = [
                "id", "state", "cycle", "meeting", "questionnaire", "status", "visibility",
                "language", "created_at", "updated_at", "submitted_at", "published_at",
            ]  # fmt: skip

    class BareReportList(generics.ListAPIView):
        serializer_class = BareReportSerializer
        queryset = Report.objects.select_related("state", "cycle__meeting", "questionnaire")

        def get_queryset(self):
            return super().get_queryset().order_by("-cycle__deadline", "state__name")

    return [path("bench-bare/reports/", BareReportList.as_view())]


def measure(data: dict, repeat: int, limit: int | None) -> dict:
    """The editor's and the reviewer's lists and the bare one, alternately; best of each."""
    from django.test import Client

    query = f"?limit={limit}" if limit else ""
    targets = {
        "editor": ("/api/v1/reports/" + query, data["tokens"]["editor"]),
        "reviewer": ("/api/v1/reports/" + query, data["tokens"]["reviewer"]),
        "bare": ("/bench-bare/reports/" + query, data["tokens"]["editor"]),
    }
    client = Client()

    def fetch(name: str):
        url, token = targets[name]
        return common.get_ok(client, url, headers=_auth(token))

    runs = {name: [] for name in targets}
    with common.extra_urls(bare_patterns()):
        bodies = {name: json.loads(fetch(name).content) for name in targets}  # also warms up
        for _round in range(repeat):
            for name in targets:
                wall, cpu, _response = common.timed(lambda n=name: fetch(n))
                runs[name].append((wall, cpu))
        queries = {name: common.query_count(lambda n=name: fetch(n)) for name in targets}
    check_same_rows(bodies)
    return {
        name: {
            "url": targets[name][0],
            "count": bodies[name]["count"],
            "rows_on_page": len(bodies[name]["results"]),
            "queries": queries[name],
            "best_ms": round(1000 * min(w for w, _c in runs[name]), 3),
            "best_cpu_ms": round(1000 * min(c for _w, c in runs[name]), 3),
            "runs_ms": [round(1000 * w, 3) for w, _c in runs[name]],
        }
        for name in targets
    }


def _auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def check_same_rows(bodies: dict) -> None:
    """The three lists must hold the same rows, or their ratios mean nothing."""
    first = bodies["reviewer"]
    for name, body in bodies.items():
        if body["count"] != first["count"] or body["results"] != first["results"]:
            raise SystemExit(f"the {name} list differs from the reviewer's: no like-for-like")


def main() -> int:
    args = parse_args()
    data_dir = common.prepare(args, "api_lists")
    try:
        data = seed()
        print(
            f"API list benchmark: {data['rows']} reports, first page, best of {args.repeat}",
            flush=True,
        )
        lists = measure(data, args.repeat, args.limit)
        editor, reviewer, bare = lists["editor"], lists["reviewer"], lists["bare"]
        ratios = {
            "editor_to_reviewer": common.ratio(editor["best_ms"], reviewer["best_ms"]),
            "editor_to_bare": common.ratio(editor["best_ms"], bare["best_ms"]),
            "reviewer_to_bare": common.ratio(reviewer["best_ms"], bare["best_ms"]),
        }
        cpu_ratios = {
            "editor_to_reviewer": common.ratio(editor["best_cpu_ms"], reviewer["best_cpu_ms"]),
            "editor_to_bare": common.ratio(editor["best_cpu_ms"], bare["best_cpu_ms"]),
        }
        goals = {
            "editor_to_reviewer": common.goal(ratios["editor_to_reviewer"], GOAL_SCOPED),
            "editor_to_bare": common.goal(ratios["editor_to_bare"], GOAL_BARE),
        }
        print_result(lists, ratios, cpu_ratios, goals)
        common.write_results(
            "api_lists",
            {
                "reports": data["rows"],
                "repeat": args.repeat,
                "limit": args.limit,
                "lists": lists,
                "ratios": ratios,
                "cpu_ratios": cpu_ratios,
                "goals": goals,
            },
        )
    finally:
        common.cleanup(data_dir)
    met = all(g["met"] for g in goals.values())
    print("all goals met" if met else "GOAL NOT MET")
    return 0 if met else 1


def print_result(lists: dict, ratios: dict, cpu_ratios: dict, goals: dict) -> None:
    print(f"\n{'list':<9} {'rows':>5} {'page':>5} {'queries':>8} {'best ms':>8} {'CPU ms':>8}")
    for name, row in lists.items():
        print(
            f"{name:<9} {row['count']:>5} {row['rows_on_page']:>5} {row['queries']:>8} "
            f"{row['best_ms']:>8.2f} {row['best_cpu_ms']:>8.2f}"
        )
    for key, label in (
        ("editor_to_reviewer", "editor / reviewer"),
        ("editor_to_bare", "editor / bare"),
    ):
        state = "met" if goals[key]["met"] else "NOT MET"
        print(
            f"{label:<18} {ratios[key]:.2f}× (CPU {cpu_ratios[key]:.2f}×)  "
            f"goal ≤ {goals[key]['max']}×  {state}"
        )
    print(f"{'reviewer / bare':<18} {ratios['reviewer_to_bare']:.2f}×")


if __name__ == "__main__":
    sys.exit(main())
