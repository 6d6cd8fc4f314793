"""Benchmark: build the analysis of national reports (the meeting document) on the full demo
data (195 States) with real Celery workers, against one WeasyPrint render of the same HTML.

Run from the repository root:  .venv/bin/python bench/analysis.py
Needs PostgreSQL and Redis. It DROPS and recreates its own database (default
postgres://postgres@127.0.0.1:5432/poa_bench_analysis, through the server's `postgres`
database) and uses Redis db 11 as broker and cache, with queues of its own.
Goals (issue): the build with one worker takes at most 1.3× the single render; with two
workers at most 0.65× the time with one; every worker process peaks at 1 GiB at most.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import _common  # noqa: E402 — bench/ is the script's folder
from _common import recreate_database  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "analysis.json"
GOAL_ONE_WORKER, GOAL_TWO_WORKERS, GOAL_RSS_MIB = 1.3, 0.65, 1024
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/poa_bench_analysis"
DEFAULT_REDIS = "redis://127.0.0.1:6379/11"
DEFAULT_QUEUE = "poa-bench-analysis"
POLL_SECONDS = 0.05
SETTLE_SECONDS = 3.0
SPIN = 8_000_000  # iterations of pure Python: about half a second
RENDERED = re.compile(r"Rendered a PDF of (\d+) pages \((\d+) bytes\) in ([\d.]+) s")
ASSEMBLY_RECEIVED = "Task reporting.tasks.assemble_analysis_edition["
SUCCEEDED = re.compile(r"Task reporting\.tasks\.(\w+)\[[^\]]+\] succeeded in ([\d.]+)s")
# The merged document carries "Page n of N" on every page: the single render gets it from CSS.
FOLIO_CSS = (
    "<style>@page { @bottom-center { content: 'Page ' counter(page) ' of ' counter(pages); "
    "font-size: 8pt; color: #4a5560; } }</style>"
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--database-url", default=DEFAULT_DATABASE, help="dropped and recreated (name: *bench*)")
    add("--redis-url", default=DEFAULT_REDIS, help="broker and cache (its queues are purged)")
    add("--queue", default=DEFAULT_QUEUE, help="default queue; documents: <queue>-documents")
    add("--reuse-db", action="store_true", help="keep the database and its data from a run")
    add("--repeat", type=int, default=1, help="rounds (1 worker, single render, 2 workers)")
    add(
        "--two",
        choices=["processes", "concurrency"],
        default="processes",
        help="two worker processes (default), or one worker with --concurrency 2",
    )
    add("--max-tasks-per-child", type=int, default=0, help="recycle after N tasks (0: not set)")
    add(
        "--max-memory-per-child",
        type=int,
        default=524288,
        metavar="KIB",
        help="recycle a pool process above this, as deployed: 524288 (0: not set)",
    )
    add("--profiles-per-chunk", type=int, help="ANALYSIS_PROFILES_PER_CHUNK (default: settings)")
    add("--timeout", type=float, default=1800, help="seconds to wait for one build")
    add("--keep-files", action="store_true", help="keep the temporary DATA_DIR (PDFs, logs)")
    add("--render-child", nargs=2, metavar=("HTML", "JSON"), help=argparse.SUPPRESS)
    return parser.parse_args()


def configure(args: argparse.Namespace, data_dir: Path) -> None:
    """Environment shared by this process, the workers and the render child: production-like
    (DEBUG off, collected static files), the bench database, broker and queues."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
            "CELERY_BROKER_URL": args.redis_url,
            "CACHE_KEY_PREFIX": args.queue,
            "CELERY_QUEUE": args.queue,
            "CELERY_DOCUMENTS_QUEUE": f"{args.queue}-documents",
            "DATA_DIR": str(data_dir),
            "DEBUG": "false",
            "TESTING": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "localhost",
            "LOG_LEVEL": "WARNING",
        }
    )
    if args.profiles_per_chunk:
        os.environ["ANALYSIS_PROFILES_PER_CHUNK"] = str(args.profiles_per_chunk)


def peak_rss_kib(pid: int | str = "self") -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in KiB; empty when it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return {}
    values = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", text, re.M))
    return {key: int(value) for key, value in values.items()}


# --- the single render (child process) -------------------------------------------------------


def render_child(html_path: str, json_path: str) -> int:
    """Child mode: render one HTML file with the project's renderer, write the figures."""
    import django

    django.setup()
    from core.pdf import render_pdf_document

    html = Path(html_path).read_text()
    started = time.perf_counter()
    rendered = render_pdf_document(html)
    seconds = time.perf_counter() - started
    Path(html_path).with_suffix(".pdf").write_bytes(rendered.data)
    figures = {
        "render_seconds": seconds,
        "pages": rendered.pages,
        "bytes": len(rendered.data),
        "bookmarks": len(rendered.bookmarks),
        "vm_hwm_kib": peak_rss_kib().get("VmHWM", 0),
    }
    Path(json_path).write_text(json.dumps(figures))
    return 0


if __name__ == "__main__" and "--render-child" in sys.argv:
    _index = sys.argv.index("--render-child")
    sys.exit(render_child(sys.argv[_index + 1], sys.argv[_index + 2]))


# --- database and data -----------------------------------------------------------------------


def load_data(fresh: bool) -> None:
    """Migrate and load the demo (2 cycles); static files go to the temporary STATIC_ROOT."""
    import io

    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    if not fresh:
        return
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("demo", force=True, stdout=io.StringIO())
    print(f"database migrated and demo loaded in {time.perf_counter() - started:.0f} s")


def report_everywhere(cycle) -> int:
    """Publish a demo report for every State without one in `cycle`. The demo decides who
    reports in which cycle (`reporting.demo.reports_in`, ~60 %); that decision is overridden
    here: everything else (answers, dates, 15 % restricted) comes from the demo generator."""
    from core.models import MemberState
    from reporting.demo import DemoPlan, publish_demo_reports

    missing = MemberState.objects.exclude(reports__cycle=cycle).order_by("iso3")
    with mock.patch("reporting.demo.reports_in", return_value=True):
        made = publish_demo_reports(DemoPlan(cycle), list(missing), cycle_index=1, cycles=2)
    return len(made)


def benchmark_cycle():
    """The latest cycle with published reports, every State reporting in it."""
    from reporting.models import Cycle, Report

    cycle = (
        Cycle.objects.filter(reports__published_at__isnull=False)
        .select_related("meeting")
        .distinct()
        .order_by("-deadline")
        .first()
    )
    made = report_everywhere(cycle)
    received = Report.objects.filter(cycle=cycle, submitted_at__isnull=False).count()
    if made:
        print(f"{cycle.meeting.short_name}: {made} more demo reports published")
    return cycle, received


# --- workers ---------------------------------------------------------------------------------


class Workers:
    """Celery worker processes, each in its own process group (killed whatever happens)."""

    def __init__(self, count: int, concurrency: int, log_dir: Path, tag: str, recycle: list[str]):
        from django.conf import settings

        self.queues = f"{settings.CELERY_DOCUMENTS_QUEUE},{settings.CELERY_TASK_DEFAULT_QUEUE}"
        self.names = [f"{tag}-{i}@bench" for i in range(1, count + 1)]
        self.concurrency = concurrency
        self.recycle = recycle
        self.logs = [log_dir / f"{name.split('@')[0]}.log" for name in self.names]
        self.processes: list[subprocess.Popen] = []

    def command(self, name: str) -> list[str]:
        return [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            "-Q", self.queues,
            "--concurrency", str(self.concurrency),
            *self.recycle,
            "--loglevel", "INFO",
            "-n", name,
        ]  # fmt: skip

    def __enter__(self) -> Workers:
        env = {**os.environ, "LOG_LEVEL": "INFO"}  # core.pdf logs each render's time
        try:
            for name, log in zip(self.names, self.logs, strict=True):
                with log.open("wb") as output:
                    self.processes.append(
                        subprocess.Popen(  # noqa: S603 — our own interpreter and arguments
                            self.command(name),
                            cwd=ROOT,
                            env=env,
                            stdout=output,
                            stderr=subprocess.STDOUT,
                            start_new_session=True,
                        )
                    )
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def wait_ready(self, seconds: float = 120) -> None:
        from config.celery import app

        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self.processes):
                raise RuntimeError(f"a worker exited at start-up: see {self.logs}")
            replies = app.control.ping(destination=self.names, timeout=1.0)
            if {name for reply in replies for name in reply} >= set(self.names):
                time.sleep(SETTLE_SECONDS)  # as deployed: idle workers waiting for work
                return
        raise RuntimeError(f"workers not ready after {seconds:.0f} s: see {self.logs}")

    def stop(self) -> None:
        """SIGTERM to each worker's process group (pool children too), SIGKILL if needed."""
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=20)
            with contextlib.suppress(ProcessLookupError):  # a pool child left behind
                os.killpg(process.pid, signal.SIGKILL)

    def log_figures(self) -> dict:
        """Task durations and PDF renders, as the workers logged them; the renders logged
        after the assembly task was received are the front matter and the page numbers."""
        tasks: dict[str, list[float]] = {}
        renders, assembly = [], []
        for log in self.logs:
            text = log.read_text(errors="replace")
            for task, seconds in SUCCEEDED.findall(text):
                tasks.setdefault(task, []).append(float(seconds))
            before, _sep, after = text.partition(ASSEMBLY_RECEIVED)
            renders += [(int(p), int(b), float(s)) for p, b, s in RENDERED.findall(before)]
            assembly += [(int(p), int(b), float(s)) for p, b, s in RENDERED.findall(after)]
        return {"tasks": tasks, "chunk_renders": renders, "assembly_renders": assembly}


def warm_up_and_purge(cycle, redis_url: str, queues: list[str]) -> None:
    """This process's first request and first publication (imports, caches, the broker
    connection) are no part of a build: make both, roll the edition back, purge the queues.
    Purging also drops what an interrupted run left, which would name the new database's
    chunks."""
    import redis
    from django.db import transaction

    from core.tasks import heartbeat
    from reporting.services import analysis

    with transaction.atomic():
        analysis.request_edition(cycle=cycle, language="en", kind="public", by=None)
        transaction.set_rollback(True)  # and its on-commit publication is dropped
    heartbeat.delay()
    client = redis.Redis.from_url(redis_url)
    client.delete(*queues, "unacked", "unacked_index", "unacked_mutex")
    client.close()


class RssSampler(threading.Thread):
    """Every 50 ms, VmRSS and VmHWM of each worker process and of all its descendants (the
    pool children, one per task); keeps the peak of each process."""

    def __init__(self, roots: dict[int, str]) -> None:
        super().__init__(daemon=True)
        self.roots = roots
        self.peaks: dict[int, dict] = {}
        self.worker_sum_kib: dict[str, int] = dict.fromkeys(roots.values(), 0)
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            self.sample()
            self.halt.wait(POLL_SECONDS)

    def stop(self) -> None:
        self.halt.set()
        self.join()
        self.sample()

    def sample(self) -> None:
        for root, worker in self.roots.items():
            total = 0
            for pid in [root, *descendants(root)]:
                figures = peak_rss_kib(pid)
                if not figures:
                    continue
                peak = self.peaks.setdefault(
                    pid, {"worker": worker, "main": pid == root, "rss_kib": 0, "hwm_kib": 0}
                )
                peak["rss_kib"] = max(peak["rss_kib"], figures.get("VmRSS", 0))
                peak["hwm_kib"] = max(peak["hwm_kib"], figures.get("VmHWM", 0))
                total += figures.get("VmRSS", 0)
            self.worker_sum_kib[worker] = max(self.worker_sum_kib[worker], total)


def descendants(pid: int) -> list[int]:
    found = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(child) for child in children.read_text().split()]
    return found + [grandchild for child in found for grandchild in descendants(child)]


def _spin() -> None:
    total = 0
    for i in range(SPIN):
        total += i * i


def _spinning(processes: int) -> float:
    import multiprocessing

    context = multiprocessing.get_context("fork")
    spinners = [context.Process(target=_spin) for _ in range(processes)]
    started = time.perf_counter()
    for spinner in spinners:
        spinner.start()
    for spinner in spinners:
        spinner.join()
    return time.perf_counter() - started


def parallel_capacity() -> float:
    """How many CPUs two busy processes get right now (2.0: two free CPUs; 1.0: one, e.g.
    another program keeps the other busy). Two workers cannot beat it."""
    alone = min(_spinning(1) for _ in range(3))
    return round(2 * alone / min(_spinning(2) for _ in range(2)), 2)


# --- the runs --------------------------------------------------------------------------------


def build_edition(cycle, timeout: float):
    """Request a public English edition and wait until it is built; wall time in seconds."""
    from reporting.models import AnalysisEdition
    from reporting.services import analysis

    started = time.perf_counter()
    edition = analysis.request_edition(cycle=cycle, language="en", kind="public", by=None)
    status = AnalysisEdition.objects.filter(pk=edition.pk).values_list("status", flat=True)
    while (current := status.get()) not in ("done", "failed"):
        if time.perf_counter() - started > timeout:
            raise RuntimeError(f"edition {edition.pk} still {current} after {timeout:.0f} s")
        time.sleep(POLL_SECONDS)
    seconds = time.perf_counter() - started
    edition.refresh_from_db()
    if edition.status != "done":
        raise RuntimeError(f"edition {edition.pk} failed: {edition.error}")
    return edition, seconds


def timeline(edition) -> dict:
    """Where the time went, from the timestamps the build records."""
    chunks = list(edition.chunks.order_by("started_at"))
    last = max(c.finished_at for c in chunks)
    renders = [(c.finished_at - c.started_at).total_seconds() for c in chunks]
    return {
        "queued_to_started": (edition.started_at - edition.requested_at).total_seconds(),
        "started_to_first_chunk": (chunks[0].started_at - edition.started_at).total_seconds(),
        "chunks_span": (last - chunks[0].started_at).total_seconds(),
        "chunk_seconds_sum": sum(renders),
        "chunk_seconds_max": max(renders),
        "assembly": (edition.finished_at - last).total_seconds(),
        "chunks": [
            {
                "position": c.position,
                "section": c.section,
                "states": len(c.states),
                "pages": c.page_count,
                "attempts": c.attempts,
                "seconds": round((c.finished_at - c.started_at).total_seconds(), 3),
            }
            for c in sorted(chunks, key=lambda c: c.position)
        ],
    }


def recycle_options(args: argparse.Namespace) -> list[str]:
    options = []
    if args.max_tasks_per_child:
        options += ["--max-tasks-per-child", str(args.max_tasks_per_child)]
    if args.max_memory_per_child:
        options += ["--max-memory-per-child", str(args.max_memory_per_child)]
    return options


def pipeline_run(cycle, args, *, workers: int, concurrency: int, log_dir: Path, tag: str) -> dict:
    from django.conf import settings

    queues = [settings.CELERY_DOCUMENTS_QUEUE, settings.CELERY_TASK_DEFAULT_QUEUE]
    warm_up_and_purge(cycle, args.redis_url, queues)
    with Workers(workers, concurrency, log_dir, tag, recycle_options(args)) as pool:
        sampler = RssSampler({p.pid: n for p, n in zip(pool.processes, pool.names, strict=True)})
        sampler.start()
        try:
            edition, seconds = build_edition(cycle, args.timeout)
            time.sleep(1.0)  # the last task's log lines, after it recorded the edition done
        finally:
            sampler.stop()
    processes = list(sampler.peaks.values())
    return {
        "workers": workers,
        "concurrency": concurrency,
        "seconds": seconds,
        "edition": edition.pk,
        "pages": edition.page_count,
        "bytes": edition.size,
        "chunks": edition.chunks_total,
        "build_seconds_recorded": edition.build_seconds,
        "timeline": timeline(edition),
        "log": pool.log_figures(),
        "peak_rss_mib_per_process": max(p["hwm_kib"] for p in processes) / 1024,
        "peak_rss_mib_main": max(p["hwm_kib"] for p in processes if p["main"]) / 1024,
        "peak_rss_mib_pool_child": max(
            (p["hwm_kib"] for p in processes if not p["main"]), default=0
        )
        / 1024,  # fmt: skip
        "peak_rss_mib_worker_sum": max(sampler.worker_sum_kib.values()) / 1024,
        "processes_seen": len(processes),
    }


def single_html(edition) -> str:
    """The edition as ONE document: the front matter, then each chunk's body on a new page
    (as each chunk's PDF starts one), the same <head> and stylesheets, page numbers by CSS."""
    from django.template.loader import render_to_string
    from django.utils import translation

    from reporting.analysis import build

    chunks = list(edition.chunks.order_by("position"))
    front_pages = edition.page_count - sum(c.page_count for c in chunks)
    with translation.override(edition.language):
        front = render_to_string(
            "reporting/analysis/pdf_front.html",
            {"edition": edition, "contents": build._contents(edition, chunks, front_pages)},
        )
    head, _body = front.split("<body>", 1)
    bodies = [_body_of(front)] + [
        f'<div style="break-before: page">{_body_of(build.chunk_html(c))}</div>' for c in chunks
    ]
    head = head.replace("</head>", f"{FOLIO_CSS}\n</head>")
    return f"{head}<body>\n" + "\n".join(bodies) + "\n</body>\n</html>\n"


def _body_of(html: str) -> str:
    return html.split("<body>", 1)[1].rsplit("</body>", 1)[0]


def single_render(edition, work_dir: Path) -> dict:
    """Render the single HTML in a child process: its render time and peak RSS."""
    started = time.perf_counter()
    html = single_html(edition)
    html_seconds = time.perf_counter() - started
    html_path, json_path = work_dir / "single.html", work_dir / "single.json"
    html_path.write_text(html)
    command = [sys.executable, __file__, "--render-child", str(html_path), str(json_path)]
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, env=os.environ.copy())  # noqa: S603
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"the single render exited with {child.returncode}")
    figures = json.loads(json_path.read_text())
    return {
        "seconds": figures["render_seconds"],
        "process_seconds": time.perf_counter() - started,
        "html_seconds": html_seconds,
        "html_bytes": len(html.encode()),
        "pages": figures["pages"],
        "bytes": figures["bytes"],
        "bookmarks": figures["bookmarks"],
        "peak_rss_mib": figures["vm_hwm_kib"] / 1024,
        "ru_maxrss_mib": usage.ru_maxrss / 1024,
    }


# --- report ----------------------------------------------------------------------------------


def print_breakdown(label: str, run: dict) -> None:
    t = run["timeline"]
    renders = run["log"]["assembly_renders"]
    folio = [s for pages, _b, s in renders if pages == run["pages"]]
    front = [s for pages, _b, s in renders if pages != run["pages"]]
    tasks = run["log"]["tasks"]
    busy = sum(sum(times) for times in tasks.values())
    slots = run["workers"] * run["concurrency"]
    print(
        f"  {label}: request→start {t['queued_to_started']:.1f} s, start→first chunk "
        f"{t['started_to_first_chunk']:.1f} s, chunks {t['chunks_span']:.1f} s "
        f"(sum {t['chunk_seconds_sum']:.1f}, longest {t['chunk_seconds_max']:.1f}), "
        f"assembly {t['assembly']:.1f} s (front matter {sum(front):.1f}, "
        f"page-number pages {sum(folio):.1f}); {sum(len(v) for v in tasks.values())} tasks, "
        f"{busy:.1f} s in tasks: pool processes busy {100 * busy / (slots * run['seconds']):.0f} %"
    )
    print(
        f"    peak RSS: main process {run['peak_rss_mib_main']:.0f} MiB, pool process "
        f"{run['peak_rss_mib_pool_child']:.0f} MiB, worker total (shared pages counted twice) "
        f"{run['peak_rss_mib_worker_sum']:.0f} MiB, {run['processes_seen']} processes"
    )


def _goal(value: float, limit: float) -> dict:
    return {"max": limit, "met": value <= limit}


def round_ratios(single: dict, one: dict, two: dict) -> dict:
    return {
        "one_worker_to_single_render": round(one["seconds"] / single["seconds"], 3),
        "two_workers_to_one_worker": round(two["seconds"] / one["seconds"], 3),
        "peak_rss_mib_per_worker_process": round(
            max(one["peak_rss_mib_per_process"], two["peak_rss_mib_per_process"]), 1
        ),
    }


def summary(measured: list[dict]) -> dict:
    """Ratios: the median of the rounds' ratios (each within one round, minutes apart);
    memory: the highest peak of all rounds."""
    ratios = [r["ratios"] for r in measured]
    ratio_one = statistics.median(r["one_worker_to_single_render"] for r in ratios)
    ratio_two = statistics.median(r["two_workers_to_one_worker"] for r in ratios)
    rss = max(r["peak_rss_mib_per_worker_process"] for r in ratios)
    return {
        "one_worker_to_single_render": round(ratio_one, 3),
        "two_workers_to_one_worker": round(ratio_two, 3),
        "peak_rss_mib_per_worker_process": rss,
        "goals": {
            "one_worker_to_single_render": _goal(ratio_one, GOAL_ONE_WORKER),
            "two_workers_to_one_worker": _goal(ratio_two, GOAL_TWO_WORKERS),
            "peak_rss_mib_per_worker_process": _goal(rss, GOAL_RSS_MIB),
        },
    }


def print_table(measured: list[dict], result: dict, two_label: str) -> None:
    print(
        f"\n{'round':>5} {'single':>7} {'1 worker':>9} {'ratio':>6} {'2 workers':>10} "
        f"{'ratio':>6} {'CPUs free':>10} {'pages':>6} {'peak MiB single/workers':>24}"
    )
    for index, r in enumerate(measured, 1):
        single, one, two, ratios = r["single"], r["one_worker"], r["two_workers"], r["ratios"]
        free = f"{two['cpus_free_before']}/{two['cpus_free_after']}"
        peaks = f"{single['peak_rss_mib']:.0f} / {ratios['peak_rss_mib_per_worker_process']:.0f}"
        print(
            f"{index:>5} {single['seconds']:>7.1f} {one['seconds']:>9.1f} "
            f"{ratios['one_worker_to_single_render']:>5.2f}× {two['seconds']:>10.1f} "
            f"{ratios['two_workers_to_one_worker']:>5.2f}× {free:>10} {one['pages']:>6} "
            f"{peaks:>24}"
        )
    print(
        "seconds: the single render alone (its HTML built beforehand), each build from the "
        f"request to done; 2 workers: {two_label}; CPUs free for two busy processes, before/"
        f"after the 2-worker build (of {os.cpu_count()})"
    )
    for index, r in enumerate(measured, 1):
        print(f"round {index}:")
        print_breakdown("1 worker", r["one_worker"])
        print_breakdown(two_label, r["two_workers"])
    for key, label, unit in (
        ("one_worker_to_single_render", "1 worker / single render (median)", "×"),
        ("two_workers_to_one_worker", "2 workers / 1 worker (median)", "×"),
        ("peak_rss_mib_per_worker_process", "peak RSS of a worker process", " MiB"),
    ):
        goal = result["goals"][key]
        state = "met" if goal["met"] else "NOT MET"
        print(f"{label:<34} {result[key]:>7}{unit}  goal ≤ {goal['max']}{unit}  {state}")


# --- main ------------------------------------------------------------------------------------


def one_round(cycle, args, work_dir: Path, index: int) -> dict:
    """One worker, the single render of the edition it built, then two workers."""
    two_processes = args.two == "processes"
    print(f"round {index}/{args.repeat}: pipeline with 1 worker …", flush=True)
    one = pipeline_run(cycle, args, workers=1, concurrency=1, log_dir=work_dir, tag=f"r{index}-one")
    print(f"  {one['seconds']:.1f} s; single render of the same document …", flush=True)
    single = single_render(_edition(one["edition"]), work_dir)
    capacity = parallel_capacity()
    print(f"  {single['seconds']:.1f} s; CPUs free for two processes: {capacity}; "
          "pipeline with 2 workers …", flush=True)  # fmt: skip
    two = pipeline_run(
        cycle, args, workers=2 if two_processes else 1,
        concurrency=1 if two_processes else 2, log_dir=work_dir, tag=f"r{index}-two",
    )  # fmt: skip
    two["cpus_free_before"], two["cpus_free_after"] = capacity, parallel_capacity()
    print(f"  {two['seconds']:.1f} s", flush=True)
    ratios = round_ratios(single, one, two)
    return {"single": single, "one_worker": one, "two_workers": two, "ratios": ratios}


def _edition(pk: int):
    from reporting.models import AnalysisEdition

    return AnalysisEdition.objects.select_related("cycle__meeting").get(pk=pk)


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the workers on the way out
    work_dir = Path(tempfile.mkdtemp(prefix="poa-bench-analysis-"))
    configure(args, work_dir)
    try:
        if not args.reuse_db:
            recreate_database(args.database_url)
        import django

        django.setup()
        from django.conf import settings

        load_data(fresh=not args.reuse_db)
        cycle, states = benchmark_cycle()
        two_label = "2 worker processes" if args.two == "processes" else "1 worker, concurrency 2"
        print(
            f"Analysis benchmark: {cycle.meeting.short_name}, {states} States reporting, "
            f"English public edition, {settings.ANALYSIS_PROFILES_PER_CHUNK} profiles per chunk, "
            f"{args.repeat} round(s), pool recycling: {' '.join(recycle_options(args)) or '-'}",
            flush=True,
        )
        measured = [one_round(cycle, args, work_dir, i) for i in range(1, args.repeat + 1)]
        result = summary(measured)
        print_table(measured, result, two_label)
        write_results(args, cycle, states, two_label, measured, result)
    finally:
        if args.keep_files:
            print(f"files kept in {work_dir}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)
    met = all(goal["met"] for goal in result["goals"].values())
    print("all goals met" if met else "GOAL NOT MET")
    return 0 if met else 1


def write_results(args, cycle, states: int, two_label: str, rounds: list, result: dict) -> None:
    from django.conf import settings

    report = {
        "benchmark": "analysis",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": _common.machine("weasyprint", "pikepdf", "celery"),
        "cycle": cycle.meeting.short_name,
        "states_reporting": states,
        "language": "en",
        "kind": "public",
        "profiles_per_chunk": settings.ANALYSIS_PROFILES_PER_CHUNK,
        "two_workers": two_label,
        "worker_recycling": recycle_options(args),
        "repeat": args.repeat,
        "rounds": rounds,
        **result,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
