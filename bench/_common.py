"""What the page benchmarks share (report_page.py, api_lists.py, growth.py): their own
PostgreSQL database, a production-like configuration, seeded data, and the measuring.

Import it first: it puts the repository on sys.path. Then `prepare(args, name)` sets the
environment, drops and recreates the database (unless --reuse-db), sets Django up, collects
the static files and migrates. Everything else needs Django set up and is imported inside
the functions.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gc
import io
import json
import os
import platform
import random
import secrets
import shutil
import sys
import tempfile
import time
import types
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS_DIR = ROOT / "bench" / "results"
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"
SEED = "bench-pages"
#: Words of the free-text answers.
PROSE = (
    "The national authority reviewed the regulations on marking, record keeping and transfer "
    "controls in cooperation with customs, police and the ministry of justice, and trained "
    "officers in every region to apply them consistently."
)
#: A file answer's content: the upload check only reads the signature.
PDF_BYTES = b"%PDF-1.7\n% benchmark attachment\n" + b"0" * 20_000 + b"\n%%EOF\n"


# --- configuration and database ----------------------------------------------------------------


class _HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """The docstring as written, and each option's default."""


def parser_for(doc: str, database: str) -> argparse.ArgumentParser:
    """The options every page benchmark has; --help shows the script's whole docstring."""
    summary, _sep, details = doc.partition("\n\n")
    parser = argparse.ArgumentParser(
        description=summary, epilog=details, formatter_class=_HelpFormatter
    )
    add_common_options(parser, database)
    return parser


def add_common_options(parser: argparse.ArgumentParser, database: str) -> None:
    add = parser.add_argument
    add("--database-url", default=database, help="dropped and recreated (name: *bench*)")
    add("--redis-url", default=DEFAULT_REDIS, help="cache and sessions (keys of its own prefix)")
    add("--reuse-db", action="store_true", help="keep the database and its data from a run")
    add("--repeat", type=int, default=7, help="timed requests of each; the best counts")


def prepare(args: argparse.Namespace, name: str) -> Path:
    """Environment (production-like), fresh database, Django set up, static files, migrations.
    Returns the temporary DATA_DIR (static files, uploads), to remove with `cleanup`."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"poa-bench-{name}-"))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
            "CACHE_KEY_PREFIX": f"poa-bench-{name}",
            # Tasks the seeding queues (notifications) run in this process: no broker.
            "CELERY_BROKER_URL": "memory://",
            "DATA_DIR": str(data_dir),
            "DEBUG": "false",
            "TESTING": "false",
            "HTTPS": "false",  # in-process requests: no TLS, so no redirect to https
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "testserver,localhost",
            "LOG_LEVEL": "WARNING",
        }
    )
    fresh = not args.reuse_db
    if fresh:
        recreate_database(args.database_url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if fresh:
        print(f"database {database_name(args.database_url)} migrated in "
              f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
    return data_dir


def cleanup(data_dir: Path) -> None:
    """Remove the temporary DATA_DIR and this run's Redis keys (sessions, cached pages,
    throttles: all under the benchmark's own key prefix, nothing else)."""
    shutil.rmtree(data_dir, ignore_errors=True)
    import redis

    prefix = os.environ.get("CACHE_KEY_PREFIX", "")
    if not prefix.startswith("poa-bench-"):
        return
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    try:
        for key in client.scan_iter(match=f"{prefix}:*", count=1000):
            client.delete(key)
    finally:
        client.close()


def database_name(url: str) -> str:
    import dj_database_url

    return dj_database_url.parse(url)["NAME"]


def recreate_database(url: str) -> None:
    """DROP and CREATE the bench database, connected to the server's `postgres` database."""
    import dj_database_url
    import psycopg2
    from psycopg2 import sql

    params = dj_database_url.parse(url)
    name = params["NAME"]
    if params["ENGINE"] != "django.db.backends.postgresql" or "bench" not in name:
        sys.exit(f"refusing to drop {name!r}: a PostgreSQL database named *bench* is required")
    server = psycopg2.connect(
        dbname="postgres",
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
    )
    server.autocommit = True
    with server.cursor() as cursor:
        cursor.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    server.close()


def analyze() -> None:
    """Fresh planner statistics after bulk inserts, as autovacuum would give them in time."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# --- people and cycles ---------------------------------------------------------------------------


def person(username: str, role: str, *, iso3: str | None = None, totp: bool = False):
    """A user with one role; `totp` enrols a second factor (UNODA staff must have one)."""
    from allauth.account.models import EmailAddress

    from core.models import MemberState, User
    from core.services import grant_membership

    user, _created = User.objects.get_or_create(
        username=username,
        defaults={"email": f"{username}@bench.example.org", "first_name": "Bench",
                  "last_name": username},
    )  # fmt: skip
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    state = MemberState.objects.get(iso3=iso3) if iso3 else None
    grant_membership(user=user, role=role, by=None, state=state)
    if totp:
        from allauth.mfa.models import Authenticator
        from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, generate_totp_secret())
    return user


def official_versions() -> dict[str, Any]:
    """The official questionnaires (2024, 2026), imported and published once."""
    from reporting.questionnaires import load_official_versions

    return {version.code: version for version, _new in load_official_versions()}


def open_cycle(version, number: int):
    """An open cycle of a future Biennial Meeting (`number`) on `version`, whose deadline
    follows the earlier ones (as the next cycle's would)."""
    from django.utils import timezone

    from reporting.models import Cycle, Meeting

    today = timezone.localdate()
    later = datetime.timedelta(days=number)  # distinct dates, in the order of the numbers
    meeting, _created = Meeting.objects.get_or_create(
        kind=Meeting.Kind.BMS,
        number=number,
        defaults={"start_date": today + datetime.timedelta(days=400) + later,
                  "end_date": today + datetime.timedelta(days=404) + later, "venue": "New York"},
    )  # fmt: skip
    cycle, _created = Cycle.objects.get_or_create(
        meeting=meeting,
        defaults={"opens_on": today - datetime.timedelta(days=30),
                  "deadline": today + datetime.timedelta(days=300) + later,
                  "closes_on": today + datetime.timedelta(days=390) + later,
                  "questionnaire": version},
    )  # fmt: skip
    return cycle


def past_cycles(count: int, versions: dict[str, Any]) -> list:
    """The `count` latest past BMS/RevCon cycles (from the meeting history), oldest first;
    those without a questionnaire get the 2024 one, as a benchmark's stand-in."""
    from django.utils import timezone

    from reporting.models import Cycle

    cycles = list(
        Cycle.objects.filter(closes_on__lt=timezone.localdate())
        .select_related("meeting", "questionnaire")
        .order_by("-deadline")[:count]
    )
    for cycle in cycles:
        if cycle.questionnaire is None:
            cycle.questionnaire = versions["2024"]
            cycle.save(update_fields=["questionnaire"])
    return cycles[::-1]


# --- a fully answered report ----------------------------------------------------------------------


def _wanted(questions: Sequence) -> dict[str, Counter]:
    """For each controlling question, the values its dependents' conditions ask for."""
    wanted: dict[str, Counter] = {}
    for question in questions:
        condition = question.condition or {}
        if condition.get("key"):
            wanted.setdefault(condition["key"], Counter()).update(condition.get("in") or [])
    return wanted


def _text(question, rng: random.Random, state: str, long: bool) -> str:
    words = PROSE.split()
    count = rng.randrange(60, 160) if long else rng.randrange(4, 12)
    body = " ".join(rng.choice(words) for _ in range(count))
    return f"{state} {question.number}: {body}."[: question.config.get("max_length", 20_000)]


def _number(config: dict, rng: random.Random) -> Any:
    low = int(config.get("min") or 0)
    high = min(int(config.get("max") if config.get("max") is not None else 5000), low + 5000)
    number = rng.randrange(max(low, 1), max(high, low + 1) + 1)
    if config.get("integer", True) is False:
        return f"{number}.{rng.randrange(100):02d}"
    return number


def _date(config: dict, rng: random.Random) -> str:
    low = datetime.date.fromisoformat(config.get("min") or "2000-01-01")
    high = datetime.date.fromisoformat(config.get("max") or "2025-12-31")
    return (low + datetime.timedelta(days=rng.randrange(max((high - low).days, 1)))).isoformat()


def _cell(column: dict, question, rng: random.Random, state: str) -> Any:
    kind = column.get("type", "text")
    if kind == "number":
        return _number(column, rng)
    if kind == "date":
        return _date(column, rng)
    if kind == "url":
        return f"https://laws.example.org/{state.lower()}/{rng.randrange(10_000)}"
    if column.get("max_length", 500) <= 3:
        return "USD"
    if kind == "long_text":
        return _text(question, rng, state, long=True)[:2000]
    return _text(question, rng, state, long=False)[: column.get("max_length", 300)]


def realistic_value(question, rng: random.Random, state: str, wanted: Counter | None) -> Any:
    """A realistic answer of the question's type; for a controlling question, the value its
    dependents ask for most, so that as many questions as possible apply."""
    kind, config = question.type, question.config or {}
    options = [o["value"] for o in question.options]
    if kind == "yes_no":
        return wanted.most_common(1)[0][0] if wanted else rng.choice(["yes", "yes", "no"])
    if kind == "single_choice":
        return wanted.most_common(1)[0][0] if wanted else rng.choice(options)
    if kind == "multiple_choice":
        extra = [o for o in options if rng.random() < 0.5] or options[:1]
        return sorted(set(extra) | set(wanted or ()), key=options.index)
    if kind in ("short_text", "long_text"):
        return _text(question, rng, state, long=kind == "long_text")
    if kind == "number":
        return _number(config, rng)
    if kind == "date":
        return _date(config, rng)
    if kind == "contact":
        return {
            "title": "Ms.",
            "name": f"Contact person of {state}",
            "position": "Head of the small arms unit",
            "organisation": "Ministry of Foreign Affairs",
            "address": "1 Avenue of the Nations\nCapital City",
            "phone": "+1 555 0100",
            "email": f"poc.{state.lower()}@bench.example.org",
        }
    if kind == "table":
        columns = config.get("columns", [])
        return [
            {c["key"]: _cell(c, question, rng, state) for c in columns}
            for _row in range(rng.randrange(3, 7))
        ]
    return None  # files are uploaded, calculated values computed


def fill_report(report, *, by, files_per_question: int = 2) -> dict[str, int]:
    """Answer every question of `report` that applies, through the services as the page
    does (one save per section, then the files); returns what was answered."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from reporting import services
    from reporting.completion import visible_keys
    from reporting.questions import clean_answer
    from reporting.selectors import questionnaire_structure

    _sections, questions = questionnaire_structure(report.questionnaire)
    rng = random.Random(f"{SEED}:{report.state.iso3}:{report.questionnaire.code}")
    wanted = _wanted(questions)
    values = {}
    for question in questions:
        raw = realistic_value(question, rng, report.state.iso3, wanted.get(question.key))
        if raw is not None:
            values[question.key] = clean_answer(question, raw)  # raises if the bench is wrong
    visible = visible_keys(questions, values)
    changes = [
        services.AnswerChange(key, value, 0) for key, value in values.items() if key in visible
    ]
    services.save_answers(report, by=by, changes=changes)
    uploads = [q for q in questions if q.type == "file" and q.key in visible]
    for question in uploads:
        for index in range(files_per_question):
            name = f"{question.key}-{index + 1}.pdf"
            services.upload_attachment(
                report,
                question_key=question.key,
                upload=SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf"),
                by=by,
            )
    return {
        "questions": len(questions),
        "apply": len(visible),
        "answered": len(changes) + len(uploads),
        "calculated": sum(q.type == "derived" for q in questions),
        "files": len(uploads) * files_per_question,
    }


def section_urls(report) -> list[tuple[str, str]]:
    from django.urls import reverse

    from reporting.selectors import questionnaire_structure

    sections, _questions = questionnaire_structure(report.questionnaire)
    return [(s.key, reverse("reporting:section-edit", args=[report.pk, s.key])) for s in sections]


class Saver:
    """Saves one text or number answer (two values in turn) in a chosen section, as an
    autosave does: what changes between two page views while an editor fills in the report."""

    def __init__(self, report, editor) -> None:
        self.report, self.editor, self.turn = report, editor, 0
        self.question: dict[str, str] = {}  # section key → a question answered in it
        self.original: dict = {}
        answered = report.answers.filter(
            question__type__in=["short_text", "long_text", "number"], value__isnull=False
        ).order_by("-question__type", "question__section__position", "question__position")
        for section, key, value in answered.values_list(
            "question__section__key", "question__key", "value"
        ):
            if isinstance(value, str | int) and not isinstance(value, bool):
                self.question.setdefault(section, key)

    def save_in(self, section_key: str) -> None:
        from reporting import services
        from reporting.models import Answer

        key = self.question[section_key]
        answer = Answer.objects.get(report=self.report, question__key=key)
        original = self.original.setdefault(key, answer.value)
        self.turn += 1
        if self.turn % 2 == 0:
            value = original
        elif isinstance(original, int):
            value = original - 1 if original > 1 else original + 1
        else:
            value = original[:-1]
        change = services.AnswerChange(key, value, answer.revision)
        services.save_answers(self.report, by=self.editor, changes=[change])


def generated_questionnaire(code: str, count: int, model: Sequence, sections: int = 2) -> dict:
    """A questionnaire of `count` questions of every type, copied in turn from `model` (the
    official questions): options, configuration and texts alike, new keys, no conditions
    and no calculated values (their formulas name the official keys)."""
    from reporting.questionnaire_io import QUESTION_FIELDS

    pool = [q for q in model if q.type != "derived"]
    per_section = -(-count // sections)
    questions = []
    for i in range(count):
        source = pool[i % len(pool)]
        data = {field: getattr(source, field) for field in QUESTION_FIELDS}
        data.update(key=f"g{i}", number=str(i + 1), condition={})
        questions.append({k: v for k, v in data.items() if v not in ({}, [], "")})
    return {
        "code": code,
        "title": {"en": f"Generated, {count} questions"},
        "sections": [
            {
                "key": f"s{s + 1}",
                "number": str(s + 1),
                "title": {"en": f"Section {s + 1}"},
                "questions": questions[s * per_section : (s + 1) * per_section],
            }
            for s in range(sections)
        ],
    }


def publish(data: dict):
    from reporting.questionnaire_io import import_version, publish_version

    return publish_version(import_version(data, by=None), by=None)


def publish_demo_reports(cycle, states: Iterable, *, cycle_index: int, cycles: int) -> int:
    """Published demo reports (answers, dates, languages, 15 % restricted) for exactly
    `states` in `cycle`: the demo's seeded decision of who reports is overridden."""
    from reporting.demo import DemoPlan
    from reporting.demo import publish_demo_reports as publish_reports

    with mock.patch("reporting.demo.reports_in", return_value=True):
        made = publish_reports(
            DemoPlan(cycle), list(states), cycle_index=cycle_index, cycles=cycles
        )
    return len(made)


# --- measuring ------------------------------------------------------------------------------------


def timed(call: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall-clock and CPU seconds of one call in this process (garbage collection held off,
    as for timeit), and its result. The CPU time leaves out the waits for PostgreSQL and
    Redis, and the time other programs held the CPU: a cross-check on a busy machine."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        started, cpu = time.perf_counter(), time.thread_time()
        result = call()
        return time.perf_counter() - started, time.thread_time() - cpu, result
    finally:
        if enabled:
            gc.enable()


def get_ok(client, url: str, **extra):
    response = client.get(url, **extra)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: {response.status_code}")
    return response


def query_count(call: Callable[[], Any]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


@contextlib.contextmanager
def extra_urls(patterns: list) -> Iterator[None]:
    """The project's URLs plus `patterns` (bench-only views), behind the same middleware."""
    from django.test.utils import override_settings

    import config.urls

    module = types.ModuleType("bench_urls")
    module.urlpatterns = [*patterns, *config.urls.urlpatterns]
    module.handler403 = getattr(config.urls, "handler403", None)
    sys.modules[module.__name__] = module
    try:
        with override_settings(ROOT_URLCONF=module.__name__):
            yield
    finally:
        del sys.modules[module.__name__]


def ratio(value: float, base: float) -> float:
    return round(value / base, 3) if base else float("inf")


def goal(value: float, limit: float) -> dict:
    return {"max": limit, "met": value <= limit}


# --- report ------------------------------------------------------------------------------------


def machine(*packages: str) -> dict:
    """The machine and versions a figure belongs to; `packages` adds their versions."""
    import importlib

    import django
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    return {
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "processor": cpu_model(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "django": django.__version__,
        **{name: importlib.import_module(name).__version__ for name in packages},
        "postgresql": postgres,
    }


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def write_results(name: str, report: dict) -> Path:
    path = RESULTS_DIR / f"{name}.json"
    report = {
        "benchmark": name,
        "measured_at": datetime.datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        **report,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"written to {path.relative_to(ROOT)}")
    return path


def quiet_call(command: str, **options) -> str:
    from django.core.management import call_command

    out = io.StringIO()
    call_command(command, stdout=out, **options)
    return out.getvalue()
