"""Benchmark: the cycle export as XLSX, 195 States × the full 2026 questionnaire, every
question answered, in a fresh process: its peak memory, and its time against the CSV export
of the same data.

Run from the repository root:  .venv/bin/python bench/export.py
Needs PostgreSQL and Redis. It DROPS and recreates its own database (default
postgres://postgres@127.0.0.1:5432/poa_bench_export, through the server's `postgres`
database) and uses Redis db 9 as its cache (keys under its own prefix).
Goal (issue): the XLSX export peaks at 200 MiB of resident memory at most; its time is
reported as a ratio to the CSV export's.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import os
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import _common  # noqa: I001 — puts the repository on sys.path

ROOT = _common.ROOT
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/poa_bench_export"
DEFAULT_REDIS = "redis://127.0.0.1:6379/9"
CACHE_PREFIX = "poa-bench-export"
GOAL_PEAK_MIB = 200
SEED = "bench-export"
FORMATS = ("xlsx", "csv")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--database-url", default=DEFAULT_DATABASE, help="dropped and recreated (name: *bench*)")
    add("--redis-url", default=DEFAULT_REDIS, help="cache (keys of its own prefix)")
    add("--reuse-db", action="store_true", help="keep the database and its reports from a run")
    add("--repeat", type=int, default=3, help="exports of each format, alternated (median time)")
    add("--language", default="en", help="language of the labels (default en)")
    add("--keep-files", action="store_true", help="keep the temporary DATA_DIR (the files)")
    add("--child", nargs=2, metavar=("FORMAT", "JSON"), help=argparse.SUPPRESS)
    return parser.parse_args()


def configure(args: argparse.Namespace, data_dir: Path) -> None:
    """Environment of this process and of each export process: the deployed settings with
    DEBUG off, the bench database and Redis db, files under a temporary DATA_DIR."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
            "CACHE_KEY_PREFIX": CACHE_PREFIX,
            "CELERY_BROKER_URL": "memory://",  # nothing is queued: the task runs in the child
            "DATA_DIR": str(data_dir),
            "DEBUG": "false",
            "TESTING": "false",
            "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "localhost",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ["BENCH_SECRET_KEY"] = os.environ["SECRET_KEY"]


def rss_kib() -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak so far) of this process, in KiB."""
    text = Path("/proc/self/status").read_text()
    return {k: int(v) for k, v in re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", text, re.M)}


# --- the export process ----------------------------------------------------------------------


def export_child(fmt: str, json_path: str) -> int:
    """Child mode: set Django up, then run the Celery task that builds the cycle file (its
    body, in this process), as a worker does for a large cycle. Writes the figures."""
    import django

    django.setup()
    from django.core.files.storage import default_storage

    from reporting.models import Cycle
    from reporting.tasks import build_cycle_export

    cycle = Cycle.objects.get(pk=int(os.environ["BENCH_CYCLE"]))
    gc.collect()
    baseline = rss_kib()
    started = time.perf_counter()
    name = build_cycle_export(cycle.pk, fmt, os.environ["BENCH_LANGUAGE"], None)
    seconds = time.perf_counter() - started
    figures = {
        "seconds": seconds,
        "baseline_rss_kib": baseline["VmRSS"],
        "baseline_hwm_kib": baseline["VmHWM"],
        "peak_rss_kib": rss_kib()["VmHWM"],
        "path": default_storage.path(name),
    }
    Path(json_path).write_text(json.dumps(figures))
    return 0


if __name__ == "__main__" and "--child" in sys.argv:
    _index = sys.argv.index("--child")
    sys.exit(export_child(sys.argv[_index + 1], sys.argv[_index + 2]))


# --- data ------------------------------------------------------------------------------------


def wanted_values(questions) -> dict[str, Counter]:
    """For each controlling question, the values its dependents' conditions ask for."""
    wanted: dict[str, Counter] = {}
    for question in questions:
        condition = question.condition or {}
        if condition.get("key"):
            wanted.setdefault(condition["key"], Counter()).update(condition.get("in") or [])
    return wanted


def answers_for(state, questions, wanted) -> dict:
    """Every question that applies answered, realistically (long texts of 60 to 160 words,
    tables of 3 to 6 rows; two files for a file question); calculated values are computed
    by the export itself."""
    from reporting.completion import visible_keys
    from reporting.questions import clean_answer

    rng = random.Random(f"{SEED}:{state.iso3}")
    values = {}
    for question in questions:
        if question.type == "file":
            values[question.key] = [f"{state.iso3.lower()}{n}{question.pk:05d}" for n in (1, 2)]
            continue
        raw = _common.realistic_value(question, rng, state.iso3, wanted.get(question.key))
        if raw is not None:
            values[question.key] = clean_answer(question, raw)
    visible = visible_keys(questions, values)
    return {key: value for key, value in values.items() if key in visible}


def seed() -> dict:
    """The BMS9 cycle (2026 questionnaire) with a published public report of every State."""
    from core.models import MemberState
    from reporting.models import Cycle, Report, ReportRevision
    from reporting.questionnaires import load_official_versions
    from reporting.selectors import questionnaire_structure

    load_official_versions()
    cycle = Cycle.objects.select_related("questionnaire").get(
        meeting__kind="bms", meeting__number=9
    )
    _sections, questions = questionnaire_structure(cycle.questionnaire)
    wanted = wanted_values(questions)
    answered = []
    for state in MemberState.objects.order_by("iso3"):
        answers = answers_for(state, questions, wanted)
        submitted = datetime.combine(cycle.deadline, datetime.min.time(), UTC) - timedelta(days=3)
        report = Report.objects.create(
            state=state,
            cycle=cycle,
            questionnaire=cycle.questionnaire,
            status=Report.Status.PUBLISHED,
            language="en",
            visibility=Report.Visibility.PUBLIC,
            published_visibility=Report.Visibility.PUBLIC,
            submitted_at=submitted,
            published_at=submitted + timedelta(days=14),
        )
        ReportRevision.objects.create(
            report=report, number=1, status=report.status, visibility=report.visibility,
            answers=answers, created_at=submitted,
        )  # fmt: skip
        answered.append(len(answers))
    return {"questions": len(questions), "answered_per_report": statistics.median(answered)}


def data_figures() -> dict:
    from reporting.models import Cycle, Report, ReportRevision
    from reporting.selectors import questionnaire_structure

    cycle = Cycle.objects.select_related("questionnaire").get(
        meeting__kind="bms", meeting__number=9
    )
    _sections, questions = questionnaire_structure(cycle.questionnaire)
    reports = Report.objects.filter(cycle=cycle).published()
    sizes = [
        len(json.dumps(a, ensure_ascii=False).encode())
        for a in ReportRevision.objects.filter(report__in=reports).values_list("answers", flat=True)
    ]
    return {
        "cycle": cycle.pk,
        "questionnaire": cycle.questionnaire.code,
        "questions": len(questions),
        "reports": reports.count(),
        "answers_json_bytes_total": sum(sizes),
        "answers_json_bytes_per_report": round(statistics.fmean(sizes)) if sizes else 0,
    }


# --- the runs --------------------------------------------------------------------------------


def run_export(fmt: str, work_dir: Path, index: int) -> dict:
    """One export in a fresh process; its time and memory."""
    json_path = work_dir / f"{fmt}-{index}.json"
    command = [sys.executable, __file__, "--child", fmt, str(json_path)]
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, env=os.environ.copy())  # noqa: S603
    _pid, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"the {fmt} export exited with {os.waitstatus_to_exitcode(status)}")
    figures = json.loads(json_path.read_text())
    path = Path(figures.pop("path"))
    kept = work_dir / f"cycle-{index}.{fmt}"
    shutil.copyfile(path, kept)
    return {
        **figures,
        "process_seconds": time.perf_counter() - started,
        "ru_maxrss_kib": usage.ru_maxrss,
        "bytes": kept.stat().st_size,
        "file": str(kept),
    }


def check_files(runs: dict[str, list[dict]], reports: int, questions: int) -> dict:
    """Every file holds the two header rows and one row per report, with a column per
    question and the fixed columns."""
    from openpyxl import load_workbook

    from reporting.exports import FIXED_COLUMNS, HEADER_ROWS

    expected = (HEADER_ROWS + reports, len(FIXED_COLUMNS) + questions)
    found = {}
    for fmt, measured in runs.items():
        path = Path(measured[-1]["file"])
        if fmt == "xlsx":
            workbook = load_workbook(path, read_only=True)
            sheet = workbook.worksheets[0]
            rows = list(sheet.iter_rows(values_only=True))
            workbook.close()
        else:
            with path.open(encoding="utf-8-sig", newline="") as stream:
                rows = list(csv.reader(stream))
        found[fmt] = (len(rows), max(len(row) for row in rows))
    return {
        "expected_rows_columns": expected,
        "found": found,
        "ok": all(shape == expected for shape in found.values()),
    }


def summary(runs: dict[str, list[dict]]) -> dict:
    mib = 1024
    xlsx, csv_runs = runs["xlsx"], runs["csv"]
    seconds = {
        fmt: statistics.median(r["seconds"] for r in measured) for fmt, measured in runs.items()
    }
    peak = {fmt: max(r["peak_rss_kib"] for r in measured) / mib for fmt, measured in runs.items()}
    baseline = {
        fmt: statistics.median(r["baseline_rss_kib"] for r in measured) / mib
        for fmt, measured in runs.items()
    }
    return {
        "seconds_median": {fmt: round(s, 3) for fmt, s in seconds.items()},
        "ratio_xlsx_to_csv": round(seconds["xlsx"] / seconds["csv"], 2),
        "peak_rss_mib": {fmt: round(p, 1) for fmt, p in peak.items()},
        "baseline_rss_mib": {fmt: round(b, 1) for fmt, b in baseline.items()},
        "export_rss_increase_mib": {
            fmt: round(peak[fmt] - baseline[fmt], 1) for fmt in runs
        },  # fmt: skip
        "ru_maxrss_mib": {
            fmt: round(max(r["ru_maxrss_kib"] for r in measured) / mib, 1)
            for fmt, measured in runs.items()
        },
        "bytes": {"xlsx": xlsx[-1]["bytes"], "csv": csv_runs[-1]["bytes"]},
        "goal": {
            "peak_rss_mib_xlsx": {
                "max": GOAL_PEAK_MIB,
                "value": round(peak["xlsx"], 1),
                "met": peak["xlsx"] <= GOAL_PEAK_MIB,
            }
        },
    }


def main() -> int:
    args = parse_args()
    work_dir = Path(tempfile.mkdtemp(prefix="poa-bench-export-"))
    configure(args, work_dir)
    try:
        import django

        if not args.reuse_db:
            _common.recreate_database(args.database_url)
        django.setup()
        from django.core.management import call_command

        started = time.perf_counter()
        if not args.reuse_db:
            call_command("migrate", verbosity=0)
            seeded = seed()
            print(f"database migrated, {seeded['questions']} questions answered in 195 published "
                  f"reports in {time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
        data = data_figures()
        os.environ.update({"BENCH_CYCLE": str(data["cycle"]), "BENCH_LANGUAGE": args.language})
        print(
            f"Export benchmark: {data['reports']} reports × {data['questions']} questions "
            f"({data['answers_json_bytes_total'] / 2**20:.1f} MiB of answers as JSON), "
            f"{args.repeat} export(s) of each format, each in a fresh process",
            flush=True,
        )
        runs: dict[str, list[dict]] = {fmt: [] for fmt in FORMATS}
        for index in range(args.repeat):
            for fmt in FORMATS if index % 2 == 0 else reversed(FORMATS):
                run = run_export(fmt, work_dir, index)
                runs[fmt].append(run)
                print(f"  {fmt}: {run['seconds']:.2f} s, peak RSS {run['peak_rss_kib'] / 1024:.0f} "
                      f"MiB (after Django setup {run['baseline_rss_kib'] / 1024:.0f} MiB), "
                      f"{run['bytes'] / 2**20:.1f} MiB", flush=True)  # fmt: skip
        result = summary(runs)
        result["files"] = check_files(runs, data["reports"], data["questions"])
        print_summary(result)
        _common.write_results(
            "export",
            {
                "data": data,
                "language": args.language,
                "repeat": args.repeat,
                "runs": runs,
                **result,
            },
        )
    finally:
        if args.keep_files:
            print(f"files kept in {work_dir}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)
    met = result["goal"]["peak_rss_mib_xlsx"]["met"] and result["files"]["ok"]
    print("goal met" if met else "GOAL NOT MET")
    return 0 if met else 1


def print_summary(result: dict) -> None:
    s, peak, base = result["seconds_median"], result["peak_rss_mib"], result["baseline_rss_mib"]
    print(
        f"XLSX {s['xlsx']:.2f} s, CSV {s['csv']:.2f} s (medians): XLSX / CSV = "
        f"{result['ratio_xlsx_to_csv']}×\n"
        f"peak RSS: XLSX {peak['xlsx']} MiB, CSV {peak['csv']} MiB (after Django setup: "
        f"{base['xlsx']} / {base['csv']} MiB; goal for XLSX ≤ {GOAL_PEAK_MIB} MiB)\n"
        f"files: {result['bytes']['xlsx'] / 2**20:.1f} MiB XLSX, "
        f"{result['bytes']['csv'] / 2**20:.1f} MiB CSV; rows × columns "
        f"{result['files']['found']} (expected {result['files']['expected_rows_columns']})"
    )


if __name__ == "__main__":
    sys.exit(main())
