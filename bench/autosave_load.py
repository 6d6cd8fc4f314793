"""Benchmark: deadline-day autosave load. Editors of 200 different States save answers at the
same time through the app's real autosave endpoint, served by gunicorn on 127.0.0.1, against a
bare endpoint that does one UPDATE per request under the same load (same server, same client).

Run from the repository root:  .venv/bin/python bench/autosave_load.py
Needs PostgreSQL and Redis. It DROPS and recreates its own database (default
postgres://postgres@127.0.0.1:5432/poa_bench_load, through the server's `postgres` database)
and uses Redis db 9 (cache and sessions; only keys under its own prefix are deleted).
Goals (issue): the app's throughput at least 50 % of the bare endpoint's; no error; no lost
save (every acknowledged save is in the database and in the audit log afterwards).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import _common  # noqa: E402 — bench/ is the script's folder
from _common import recreate_database  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "autosave_load.json"
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/poa_bench_load"
DEFAULT_REDIS = "redis://127.0.0.1:6379/9"
CACHE_PREFIX = "poa-bench-load"
GOAL_RATIO = 0.5
SEED = "bench-load"
BENCH_MEETING = 99  # the number of the made-up meeting whose cycle closes today
TEXT_TYPES = ("short_text", "long_text")
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SAVE_URL = re.compile(r'data-save-url="([^"]+)"')
QUESTION = re.compile(r'data-key="([^"]+)" data-type="[^"]*" data-revision="([^"]*)"')
TICKS = os.sysconf("SC_CLK_TCK")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--database-url", default=DEFAULT_DATABASE, help="dropped and recreated (name: *bench*)")
    add("--redis-url", default=DEFAULT_REDIS, help="cache and sessions (keys of its own prefix)")
    add("--editors", type=int, default=200, help="editors, each of another State (default 200)")
    add("--questions", type=int, default=3, help="questions each editor saves in turn")
    add("--duration", type=float, default=60, help="seconds measured: the app, the baseline")
    add("--warmup", type=float, default=5, help="seconds of load before each measurement")
    add("--think-ms", type=float, default=0, help="pause between an editor's saves (0: none)")
    add("--worker-class", default="gthread", help="gunicorn worker class (default gthread)")
    add("--workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    add("--threads", type=int, default=8, help="threads per gthread worker (default 8)")
    add("--max-requests", type=int, default=0, help="gunicorn --max-requests (0: never recycle)")
    add("--timeout", type=float, default=30, help="seconds before a request counts as failed")
    add("--reuse-db", action="store_true", help="keep the database and editors of the last run")
    add("--keep-files", action="store_true", help="keep the temporary DATA_DIR and server log")
    return parser.parse_args()


def configure(args: argparse.Namespace, data_dir: Path) -> None:
    """Environment of this process and of the server: the deployed settings with DEBUG off,
    HTTPS off (plain HTTP on the loopback: no redirect, no secure-only cookies), the bench
    database and Redis db."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
            "CELERY_BROKER_URL": args.redis_url,
            "CELERY_QUEUE": CACHE_PREFIX,
            "CACHE_KEY_PREFIX": CACHE_PREFIX,
            "DATA_DIR": str(data_dir),  # holds an empty static/ (WhiteNoise looks there)
            "DEBUG": "false",
            "HTTPS": "false",
            "TESTING": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
        }
    )


# --- database and data -----------------------------------------------------------------------


def clear_redis(url: str) -> None:
    """Forget the sessions and cache entries of an earlier run (our prefix only)."""
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(f"{CACHE_PREFIX}:*", count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start : start + 1000])
    client.close()


@dataclass
class Editor:
    """One simulated editor: their State, draft report, the questions they save, and what
    the client learnt and was told."""

    username: str
    iso3: str
    report: int
    section: str
    keys: list[str]
    bare_row: int
    session: str = ""
    csrf_cookie: str = ""
    csrf_token: str = ""
    page: str = ""
    save_url: str = ""
    revisions: dict[str, int] = field(default_factory=dict)
    initial: dict[str, int] = field(default_factory=dict)
    acks: list[tuple[str, str, int]] = field(default_factory=list)  # key, value, revision
    bare_acks: int = 0


def open_cycle():
    """The cycle whose deadline is today, on the official 2026 questionnaire."""
    from reporting.models import Cycle, Meeting, QuestionnaireVersion
    from reporting.questionnaires import load_official_versions

    load_official_versions()
    today = date.today()
    meeting = Meeting.objects.create(
        kind=Meeting.Kind.BMS,
        number=BENCH_MEETING,
        start_date=today + timedelta(days=90),
        end_date=today + timedelta(days=94),
        venue="New York",
    )
    return Cycle.objects.create(
        meeting=meeting,
        opens_on=today - timedelta(days=270),
        deadline=today,
        closes_on=today + timedelta(days=60),
        questionnaire=QuestionnaireVersion.objects.get(code="2026"),
    )


def bench_states(count: int) -> list:
    """`count` States: the 195 of the reference data, then made-up ones (codes X…, M49
    9xx) when more editors are asked for, each State having one editor."""
    from core.models import MemberState

    states = list(MemberState.objects.order_by("iso3")[:count])
    if count - len(states) > 26:
        sys.exit(f"at most {len(states) + 26} editors: one State each")
    for n in range(count - len(states)):
        name = f"Benchmark State {n + 1}"
        letter = chr(ord("A") + n)
        states.append(
            MemberState.objects.create(
                iso2=f"X{letter}",
                iso3=f"XX{letter}",
                m49=str(900 + n),
                region="150",
                subregion="155",
                name=name,
                names={"en": name},
            )
        )
    return states


def seed(count: int) -> None:
    """For each State: an editor account and a draft report on today's cycle, with every
    question that the demo generator answers answered."""
    from core.models import Role, User
    from core.services import grant_membership
    from reporting.demo import demo_answers
    from reporting.models import Answer
    from reporting.selectors import questionnaire_structure
    from reporting.services import create_report

    cycle = open_cycle()
    _sections, questions = questionnaire_structure(cycle.questionnaire)
    by_key = {q.key: q for q in questions}
    for state in bench_states(count):
        user = User.objects.create(
            username=f"bench.editor.{state.iso3.lower()}",
            email=f"editor.{state.iso3.lower()}@bench.example.org",
            language="en",
        )
        grant_membership(user=user, role=Role.STATE_EDITOR, by=None, state=state)
        report = create_report(state=state, cycle=cycle, by=user, language="en")
        values = demo_answers(questions, state, year=cycle.deadline.year, seed=SEED)
        Answer.objects.bulk_create(
            Answer(report=report, question=by_key[k], value=v, updated_by=user)
            for k, v in values.items()
        )


def load_editors(per_editor: int) -> list[Editor]:
    """The editors of the bench database, each with the text questions they will save (that
    apply, and that no condition reads) and another answered one for the bare endpoint."""
    from reporting.completion import visible_keys
    from reporting.models import Answer, Report
    from reporting.selectors import questionnaire_structure

    reports = list(
        Report.objects.filter(cycle__meeting__number=BENCH_MEETING, created_by__isnull=False)
        .select_related("state", "questionnaire", "created_by")
        .order_by("state__iso3")
    )
    if not reports:
        sys.exit("no benchmark data in this database: run once without --reuse-db")
    sections, questions = questionnaire_structure(reports[0].questionnaire)
    sources = {(q.condition or {}).get("key") for q in questions}
    rows: dict[int, dict[str, int]] = {}
    for report_id, key, pk in Answer.objects.filter(report__in=reports).values_list(
        "report_id", "question__key", "pk"
    ):
        rows.setdefault(report_id, {})[key] = pk
    editors = []
    for index, report in enumerate(reports):
        values = dict(report.answers.values_list("question__key", "value"))
        visible = visible_keys(questions, values)
        texts = [
            q
            for q in questions
            if q.type in TEXT_TYPES and q.key in visible and q.key not in sources
        ]
        section, keys = _pick_questions(texts, sections, index, per_editor)
        bare = next(rows[report.pk][q.key] for q in texts if q.key in values and q.key not in keys)
        user = report.created_by
        editors.append(Editor(user.username, report.state.iso3, report.pk, section, keys, bare))
    return editors


def _pick_questions(texts, sections, index: int, count: int) -> tuple[str, list[str]]:
    """`count` questions of one section (the editor's page), sections taken in turn."""
    by_section: dict[str, list[str]] = {}
    for question in texts:
        by_section.setdefault(question.section.key, []).append(question.key)
    full = [s.key for s in sections if len(by_section.get(s.key, [])) >= count]
    if not full:
        raise RuntimeError(f"no section has {count} text questions that apply")
    section = full[index % len(full)]
    return section, by_section[section][:count]


def log_in(editors: list[Editor]) -> None:
    """A session per editor, as a login leaves it (the same session store and signals)."""
    from django.test import Client

    from core.models import User

    users = {u.username: u for u in User.objects.filter(username__in=[e.username for e in editors])}
    for editor in editors:
        client = Client()
        client.force_login(users[editor.username])
        editor.session = client.cookies["sessionid"].value


# --- the server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving the app (with the bench endpoint), in its own process group."""

    def __init__(self, args: argparse.Namespace, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.command = [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}",
            "--worker-class", args.worker_class,
            "--workers", str(args.workers),
            "--threads", str(args.threads),
            "--max-requests", str(args.max_requests),
            "--pythonpath", str(ROOT / "bench"),
            "--timeout", "120",
            "--log-level", "warning",
        ]  # fmt: skip
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "autosave_settings"}
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(  # noqa: S603 — our own interpreter and arguments
                self.command,
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def wait_ready(self, seconds: float = 60) -> None:
        import urllib.request

        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start-up: see {self.log}")
            health = f"{self.url}/healthz/"
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(health, timeout=5) as response,  # noqa: S310
            ):
                if response.status == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn not ready after {seconds:.0f} s: see {self.log}")

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=20)

    def pids(self) -> list[int]:
        return [self.process.pid, *_children(self.process.pid)]


def _children(pid: int) -> list[int]:
    found = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(child) for child in children.read_text().split()]
    return found


# --- CPU accounting --------------------------------------------------------------------------


def process_cpu(pid: int, *, reaped: bool = False) -> float:
    """CPU seconds of a process (with its reaped children's when `reaped`); 0 when gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if reaped:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / TICKS


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all CPUs."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / TICKS, sum(values[:8]) / TICKS


class BackendSampler(threading.Thread):
    """CPU of the PostgreSQL backends serving the bench database, sampled every 0.5 s from
    its own connection: connections come and go (CONN_MAX_AGE), so each backend counts from
    the first sample that saw it (0 for one that started after `start`) to the last."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        import dj_database_url

        self.params = dj_database_url.parse(url)
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.halt = threading.Event()
        self.connection = None

    def sample(self, *, initial: bool = False) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
            pids = [row[0] for row in cursor.fetchall()]
        for pid in pids:
            used = process_cpu(pid)
            self.first.setdefault(pid, used if initial else 0.0)
            self.last[pid] = max(used, self.last.get(pid, 0.0))

    def start(self) -> None:
        import psycopg2

        p = self.params
        self.connection = psycopg2.connect(
            dbname=p["NAME"], user=p["USER"] or None, password=p["PASSWORD"] or None,
            host=p["HOST"] or None, port=p["PORT"] or None,
        )  # fmt: skip
        self.connection.autocommit = True
        self.sample(initial=True)
        super().start()

    def run(self) -> None:
        while not self.halt.wait(0.5):
            self.sample()

    def stop(self) -> float:
        """CPU seconds used by the backends since `start`."""
        self.halt.set()
        self.join()
        self.sample()
        self.connection.close()
        return sum(used - self.first[pid] for pid, used in self.last.items())


@dataclass
class CpuSnapshot:
    at: float
    client: float
    server: dict[int, float]
    busy: float
    total: float

    @classmethod
    def take(cls, server: Server) -> CpuSnapshot:
        pids = server.pids()
        usage = {pid: process_cpu(pid, reaped=pid == pids[0]) for pid in pids}
        busy, total = machine_cpu()
        own = os.times()
        return cls(time.perf_counter(), own.user + own.system, usage, busy, total)


def cpu_used(before: CpuSnapshot, after: CpuSnapshot, database: float) -> dict[str, float]:
    """CPU seconds used between two snapshots, by kind of process."""
    server = sum(after.server.values()) - sum(
        v for pid, v in before.server.items() if pid in after.server
    )
    client = after.client - before.client
    machine = after.busy - before.busy
    return {
        "wall": after.at - before.at,
        "client": client,
        "server": server,
        "database": database,
        "machine": machine,
        "other": max(0.0, machine - client - server - database),
    }


def cpu_figures(used: list[dict[str, float]]) -> dict:
    """CPU used during the measured windows, in CPUs (1.0: one core busy all along)."""
    total = {kind: sum(u[kind] for u in used) for kind in used[0]}
    wall = total["wall"]
    return {
        "wall_seconds": round(wall, 2),
        "client_cpus": round(total["client"] / wall, 3),
        "server_cpus": round(total["server"] / wall, 3),
        "database_cpus": round(total["database"] / wall, 3),
        "machine_busy_cpus": round(total["machine"] / wall, 3),
        "other_processes_cpus": round(total["other"] / wall, 3),
        "server_cpu_seconds": round(total["server"], 3),
        "database_cpu_seconds": round(total["database"], 3),
    }


# --- the client ------------------------------------------------------------------------------


def headers_for(editor: Editor, base: str) -> dict[str, str]:
    """What the editor's browser sends with the page's fetch() (report-editor.js)."""
    return {
        "Content-Type": "application/json",
        "X-CSRFToken": editor.csrf_token,
        "Accept": "application/json",
        "Accept-Language": "en",
        "Origin": base,
        "Referer": editor.page,
        "Cookie": f"csrftoken={editor.csrf_cookie}; sessionid={editor.session}",
    }


async def open_page(http, base: str, editor: Editor) -> None:
    """GET the section page, as the browser does before editing: the CSRF cookie and token,
    the save URL and the revision of each question on the page."""
    editor.page = f"{base}/reports/{editor.report}/sections/{editor.section}/"
    headers = {"Cookie": f"sessionid={editor.session}", "Accept-Language": "en"}
    async with http.get(editor.page, headers=headers, allow_redirects=False) as response:
        html = await response.text()
        if response.status != 200:
            raise RuntimeError(f"{editor.page}: HTTP {response.status}")
        editor.csrf_cookie = response.cookies["csrftoken"].value
    editor.csrf_token = CSRF_INPUT.search(html).group(1)
    editor.save_url = base + SAVE_URL.search(html).group(1)
    shown = {key: int(rev) if rev.isdigit() else 0 for key, rev in QUESTION.findall(html)}
    editor.revisions = {key: shown[key] for key in editor.keys}
    editor.initial = dict(editor.revisions)


@dataclass
class Phase:
    """What the client saw during one phase."""

    started: float = 0.0
    measure_from: float = 0.0
    stop_at: float = 0.0
    latencies: list[float] = field(default_factory=list)  # measured window, successes
    completed: int = 0  # successes in the measured window
    total: int = 0  # all requests sent
    errors: list[str] = field(default_factory=list)

    def done(self, started: float, ok: bool, error: str = "") -> None:
        finished = time.perf_counter()
        self.total += 1
        if not ok:
            self.errors.append(error)
        elif self.measure_from <= finished <= self.stop_at:
            self.completed += 1
            self.latencies.append(finished - started)


async def post(http, url: str, body: str, headers: dict, timeout: float):
    """(status, body bytes); (0, error text) when the connection or the clock failed."""
    import aiohttp

    try:
        async with http.post(
            url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)
        ) as response:
            return response.status, await response.read()
    except (aiohttp.ClientError, TimeoutError) as exc:
        return 0, f"{type(exc).__name__}: {exc}".encode()


async def save_loop(http, base: str, editor: Editor, phase: Phase, args) -> None:
    """One editor typing: each save sends the next value of one of their questions with the
    revision the page holds, then takes the revision the server returns (as the page does)."""
    headers = headers_for(editor, base)
    n = 0
    while time.perf_counter() < phase.stop_at:
        key = editor.keys[n % len(editor.keys)]
        value = f"{editor.iso3} {key} save {n}: our answer as typed on deadline day."
        answer = {"key": key, "value": value, "revision": editor.revisions[key]}
        body = json.dumps({"answers": [answer], "clear_hidden": False})
        started = time.perf_counter()
        status, data = await post(http, editor.save_url, body, headers, args.timeout)
        if status == 200:
            revision = json.loads(data)["revisions"][key]
            editor.revisions[key] = revision
            editor.acks.append((key, value, revision))
            phase.done(started, True)
        else:
            phase.done(started, False, f"{editor.iso3} HTTP {status}: {data[:200]!r}")
        n += 1
        if args.think_ms:
            await asyncio.sleep(args.think_ms / 1000)


async def bare_loop(http, base: str, editor: Editor, phase: Phase, args) -> None:
    """The same editor and client, on the bare endpoint: one UPDATE of one row."""
    headers = headers_for(editor, base)
    url = f"{base}/bench/bare-update/{editor.bare_row}/"
    n = 0
    while time.perf_counter() < phase.stop_at:
        body = json.dumps({"value": f"{editor.iso3} bare {n}: our answer as typed."})
        started = time.perf_counter()
        status, data = await post(http, url, body, headers, args.timeout)
        if status == 200:
            editor.bare_acks += 1
        phase.done(started, status == 200, f"{editor.iso3} HTTP {status}: {data[:200]!r}")
        n += 1
        if args.think_ms:
            await asyncio.sleep(args.think_ms / 1000)


def session_factory(editors: int):
    """One HTTP client for all editors: a connection each (no pool limit), cookies sent by
    hand (each editor has their own), keep-alive as a browser does."""
    import aiohttp

    connector = aiohttp.TCPConnector(limit=0, limit_per_host=0, force_close=False)
    return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())


async def open_pages(base: str, editors: list[Editor]) -> float:
    started = time.perf_counter()
    async with session_factory(len(editors)) as http:
        semaphore = asyncio.Semaphore(32)

        async def one(editor: Editor) -> None:
            async with semaphore:
                await open_page(http, base, editor)

        await asyncio.gather(*(one(e) for e in editors))
    return time.perf_counter() - started


async def run_phase(loop, base: str, editors: list[Editor], args, seconds: float) -> Phase:
    phase = Phase()
    async with session_factory(len(editors)) as http:
        phase.started = time.perf_counter()
        phase.measure_from = phase.started + args.warmup
        phase.stop_at = phase.measure_from + seconds
        await asyncio.gather(*(loop(http, base, e, phase, args) for e in editors))
    return phase


def measured_phase(loop, server: Server, editors: list[Editor], args, seconds: float):
    """Run one phase: `args.warmup` seconds of load, then `seconds` measured. Returns what
    the client saw and the CPU used during the measured window."""
    used: dict[str, float] = {}

    async def main() -> Phase:
        task = asyncio.create_task(run_phase(loop, server.url, editors, args, seconds))
        await asyncio.sleep(args.warmup)
        sampler = BackendSampler(args.database_url)
        await asyncio.to_thread(sampler.start)
        before = CpuSnapshot.take(server)
        await asyncio.sleep(seconds)
        after = CpuSnapshot.take(server)
        used.update(cpu_used(before, after, await asyncio.to_thread(sampler.stop)))
        return await task

    return asyncio.run(main()), used


def summarise(phases: list[Phase], used: list[dict[str, float]], seconds: float) -> dict:
    """Throughput, latency and CPU over the measured windows of one or more phases."""
    latencies = sorted(t for phase in phases for t in phase.latencies)
    completed = sum(phase.completed for phase in phases)
    errors = [error for phase in phases for error in phase.errors]
    cpu = cpu_figures(used)

    def pct(p: float) -> float | None:
        if not latencies:
            return None
        return round(1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))], 1)

    def per_request(cpu_seconds: float) -> float | None:
        return round(1000 * cpu_seconds / completed, 2) if completed else None

    return {
        "requests_per_second": round(completed / seconds, 1),
        "measured_seconds": seconds,
        "completed_in_window": completed,
        "requests_total": sum(phase.total for phase in phases),
        "errors": len(errors),
        "error_samples": errors[:10],
        "latency_ms": {
            "p50": pct(0.50),
            "p90": pct(0.90),
            "p99": pct(0.99),
            "max": pct(1.0),
            "mean": round(1000 * statistics.fmean(latencies), 1) if latencies else None,
        },
        "cpu": cpu,
        "server_cpu_ms_per_request": per_request(cpu["server_cpu_seconds"]),
        "database_cpu_ms_per_request": per_request(cpu["database_cpu_seconds"]),
    }


# --- verification ----------------------------------------------------------------------------


def verify(editors: list[Editor], since: datetime) -> dict:
    """Every acknowledged save is there: each editor's last acknowledged value (and
    revision) of each question is what the database holds; every acknowledged revision is
    in the audit log's save entries; an editor's revisions of a question follow each other
    with no gap (nothing written in between that the editor was not told of)."""
    from core.models import AuditEntry
    from reporting.models import Answer

    reports = [e.report for e in editors]
    stored = {
        (report, key): (value, revision)
        for report, key, value, revision in Answer.objects.filter(
            report_id__in=reports
        ).values_list("report_id", "question__key", "value", "revision")
    }
    history = AuditEntry.objects.filter(
        action="reporting.answers.saved",
        object_type="reporting.report",
        object_id__in=[str(r) for r in reports],
        at__gte=since,
    ).values_list("object_id", "data")
    logged = {
        (int(oid), key, rev) for oid, data in history for key, rev in data["revisions"].items()
    }
    lost, not_logged, gaps, acknowledged = [], [], [], 0
    for editor in editors:
        acknowledged += len(editor.acks)
        for key in editor.keys:
            mine = [(value, rev) for k, value, rev in editor.acks if k == key]
            if not mine:
                continue
            if stored.get((editor.report, key)) != mine[-1]:
                lost.append({"state": editor.iso3, "key": key, "acknowledged": mine[-1],
                             "stored": stored.get((editor.report, key))})  # fmt: skip
            expected = list(range(editor.initial[key] + 1, editor.initial[key] + 1 + len(mine)))
            if [rev for _v, rev in mine] != expected:
                gaps.append({"state": editor.iso3, "key": key})
            not_logged += [
                (editor.iso3, key, rev)
                for _v, rev in mine
                if (editor.report, key, rev) not in logged
            ]
    return {
        "acknowledged_saves": acknowledged,
        "saves_in_audit_log": len(logged),
        "lost_saves": len(lost),
        "lost_samples": lost[:10],
        "acknowledged_not_in_audit_log": len(not_logged),
        "revision_gaps": len(gaps),
        "gap_samples": gaps[:10],
    }


def verify_bare(editors: list[Editor], before: dict[int, int]) -> dict:
    """The bare endpoint's rows moved by exactly as many UPDATEs as were acknowledged."""
    from reporting.models import Answer

    after = dict(
        Answer.objects.filter(pk__in=[e.bare_row for e in editors]).values_list("pk", "revision")
    )
    wrong = [e.iso3 for e in editors if after[e.bare_row] - before[e.bare_row] != e.bare_acks]
    return {"acknowledged": sum(e.bare_acks for e in editors), "rows_not_matching": len(wrong)}


# --- report ----------------------------------------------------------------------------------


def print_phase(label: str, figures: dict) -> None:
    lat, cpu = figures["latency_ms"], figures["cpu"]
    print(
        f"{label:<22} {figures['requests_per_second']:>8.1f}/s  p50 {lat['p50']:>7.1f} ms  "
        f"p99 {lat['p99']:>7.1f} ms  errors {figures['errors']}  "
        f"server {figures['server_cpu_ms_per_request']} ms CPU/request "
        f"(+ PostgreSQL {figures['database_cpu_ms_per_request']})"
    )
    print(
        f"{'':<22} CPUs used: client {cpu['client_cpus']}, gunicorn {cpu['server_cpus']}, "
        f"PostgreSQL {cpu['database_cpus']}, other processes {cpu['other_processes_cpus']} "
        f"(machine {cpu['machine_busy_cpus']} of {os.cpu_count()})",
        flush=True,
    )


def cpu_per_request(figures: dict) -> float:
    """Milliseconds of CPU one request costs the server and PostgreSQL: what throughput
    is inversely proportional to when they are short of CPU, whoever else takes it."""
    return figures["server_cpu_ms_per_request"] + figures["database_cpu_ms_per_request"]


def goals(ratio: float, app: dict, bare: dict, check: dict) -> dict:
    return {
        "throughput_ratio": {
            "min": GOAL_RATIO,
            "value": round(ratio, 3),
            "met": ratio >= GOAL_RATIO,
        },
        "errors": {
            "max": 0,
            "value": app["errors"] + bare["errors"],
            "met": app["errors"] + bare["errors"] == 0,
        },  # fmt: skip
        "lost_saves": {
            "max": 0,
            "value": check["lost_saves"]
            + check["acknowledged_not_in_audit_log"]
            + check["revision_gaps"],
            "met": check["lost_saves"]
            == check["acknowledged_not_in_audit_log"]
            == check["revision_gaps"]
            == 0,
        },  # fmt: skip
    }


# --- main ------------------------------------------------------------------------------------


def prepare(args: argparse.Namespace) -> list[Editor]:
    from django.core.management import call_command

    started = time.perf_counter()
    if not args.reuse_db:
        recreate_database(args.database_url)
        clear_redis(args.redis_url)
        call_command("migrate", verbosity=0)
        seed(args.editors)
    editors = load_editors(args.questions)[: args.editors]
    log_in(editors)
    print(
        f"database, {len(editors)} editors, draft reports and sessions ready in "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )
    return editors


def benchmark(args: argparse.Namespace, editors: list[Editor], log: Path) -> dict:
    from django.db import connection

    from reporting.models import Answer

    connection.close()
    with Server(args, log) as server:
        try:
            opened = asyncio.run(open_pages(server.url, editors))
        except RuntimeError:
            print("".join(log.read_text(errors="replace").splitlines(True)[-40:]))
            raise
        print(f"{len(editors)} editors opened their section page in {opened:.1f} s; "
              f"gunicorn {args.worker_class}, {args.workers} workers × {args.threads} threads",
              flush=True)  # fmt: skip
        bare_before = dict(
            Answer.objects.filter(pk__in=[e.bare_row for e in editors]).values_list(
                "pk", "revision"
            )
        )
        # The baseline brackets the app: half of it before, half after, so that a change
        # in what the rest of the machine takes weighs on both alike.
        half = args.duration / 2
        runs = {}
        for name, loop, seconds in (
            ("bare, first half", bare_loop, half),
            ("app", save_loop, args.duration),
            ("bare, second half", bare_loop, half),
        ):
            if name == "app":
                since = datetime.now(UTC)
            runs[name] = measured_phase(loop, server, editors, args, seconds)
            print(f"  {name}: {runs[name][0].completed / seconds:.1f} requests/s", flush=True)
    halves = [runs["bare, first half"], runs["bare, second half"]]
    bare = summarise([p for p, _u in halves], [u for _p, u in halves], args.duration)
    bare["halves_requests_per_second"] = [round(p.completed / half, 1) for p, _u in halves]
    app = summarise([runs["app"][0]], [runs["app"][1]], args.duration)
    print_phase("bare UPDATE endpoint", bare)
    print_phase("app autosave", app)
    return {"bare": bare, "app": app, "bare_check": verify_bare(editors, bare_before),
            "check": verify(editors, since), "pages_seconds": opened}  # fmt: skip


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the server on the way out
    data_dir = Path(tempfile.mkdtemp(prefix="poa-bench-load-"))
    (data_dir / "static").mkdir()
    configure(args, data_dir)
    try:
        import django

        django.setup()
        editors = prepare(args)
        figures = benchmark(args, editors, data_dir / "gunicorn.log")
    finally:
        if args.keep_files:
            print(f"files kept in {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    app, bare, check = figures["app"], figures["bare"], figures["check"]
    ratio = app["requests_per_second"] / bare["requests_per_second"]
    figures["cpu_cost_ratio"] = round(cpu_per_request(bare) / cpu_per_request(app), 3)
    result = goals(ratio, app, bare, check)
    print(
        f"bare / app CPU per request (gunicorn + PostgreSQL): {figures['cpu_cost_ratio']:.2f}\n"
        f"app / bare throughput: {ratio:.2f} (goal ≥ {GOAL_RATIO}); acknowledged saves "
        f"{check['acknowledged_saves']}, in the audit log {check['saves_in_audit_log']}, "
        f"lost {check['lost_saves']}, not logged {check['acknowledged_not_in_audit_log']}, "
        f"revision gaps {check['revision_gaps']}; bare rows not matching "
        f"{figures['bare_check']['rows_not_matching']}"
    )
    write_results(args, editors, figures, result)
    met = all(goal["met"] for goal in result.values())
    print("all goals met" if met else "GOAL NOT MET")
    return 0 if met else 1


def write_results(args, editors: list[Editor], figures: dict, result: dict) -> None:
    report = {
        "benchmark": "autosave_load",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": _common.machine("gunicorn", "aiohttp"),
        "editors": len(editors),
        "states": len({e.iso3 for e in editors}),
        "questions_per_editor": args.questions,
        "duration_seconds": args.duration,
        "warmup_seconds": args.warmup,
        "think_ms": args.think_ms,
        "server": {
            "worker_class": args.worker_class,
            "workers": args.workers,
            "threads": args.threads,
            "max_requests": args.max_requests,
        },
        **figures,
        "ratio_app_to_bare": result["throughput_ratio"]["value"],
        "goals": result,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
