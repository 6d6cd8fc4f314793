"""Faults with the real services: PostgreSQL restarted under autosave traffic, Redis restarted
under a Celery worker, the mail server down during a submission.

A Celery worker killed with SIGKILL during a PDF build is in
tests/reporting/test_analysis_worker.py (the analysis is the only PDF built by Celery; the
single-report and directory PDFs are rendered in the request).

The PostgreSQL and Redis that are restarted here are private instances on free ports, never
the shared ones the rest of the suite uses.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from config.celery import app
from core.models import MemberState, Notification
from core.tasks import HEARTBEAT_KEY, heartbeat
from reporting import services
from reporting.models import Report
from tests.conftest import generated_questionnaire, open_cycle_for, publish
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, *, seconds: float, step: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"{what}: still waiting after {seconds} s")


def kill_group(process: subprocess.Popen) -> None:
    """End a subprocess started with start_new_session, and its children."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def children_of(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(child) for child in path.read_text().split()} if path.exists() else set()


# --- a private PostgreSQL -----------------------------------------------------------------------


def postgres_binary(name: str) -> str:
    """The server's own tools: initdb and pg_ctl are not on every PATH."""
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    found = str(candidates[0]) if candidates else shutil.which(name)
    if not found:
        pytest.skip(f"needs PostgreSQL's {name}")
    return found


class PrivatePostgres:
    """A throw-away PostgreSQL cluster in a temporary folder, on a free port. initdb and the
    server refuse to run as root: as root, they run as the `postgres` user."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="poa-faults-pg-"))
        self.port = free_port()
        self.as_owner: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
            self.as_owner = ["runuser", "-u", "postgres", "--"]
        self.data = self.folder / "data"
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, *command: str) -> None:
        subprocess.run([*self.as_owner, *command], check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        self.run(
            postgres_binary("initdb"),
            "--pgdata",
            str(self.data),
            "--username",
            "postgres",
            "--auth",
            "trust",
            "--no-sync",
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run(
            postgres_binary("pg_ctl"),
            "start",
            "--pgdata",
            str(self.data),
            "--wait",
            "--log",
            str(self.folder / "server.log"),
            "-o",
            options,
        )

    def stop(self, mode: str = "fast") -> None:
        self.run(postgres_binary("pg_ctl"), "stop", "--pgdata", str(self.data), "-m", mode, "-w")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


def copy_test_database_to(url: str) -> None:
    """The test database, data included, into another server (pg_dump | pg_restore)."""
    database = connection.settings_dict
    source = [
        "pg_dump",
        "--format=custom",
        "--no-owner",
        "--host",
        database["HOST"] or "127.0.0.1",
        "--port",
        str(database["PORT"] or 5432),
        "--username",
        database["USER"],
        database["NAME"],
    ]
    env = {**os.environ, "PGPASSWORD": database["PASSWORD"] or ""}
    dump = subprocess.run(source, check=True, capture_output=True, env=env, timeout=120)
    subprocess.run(
        ["pg_restore", "--no-owner", "--no-acl", "--exit-on-error", "--dbname", url],
        input=dump.stdout,
        check=True,
        capture_output=True,
        timeout=120,
    )


# --- a web process, and a person using it -------------------------------------------------------


def start_web(database_url: str, log: Path) -> tuple[subprocess.Popen, str]:
    """gunicorn (threads, like production) serving the app from `database_url`, with DEBUG
    off so the error handlers are the production ones."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "TESTING": "true",  # the test secret key, hosts and static files storage
        "REDIS_URL": "",  # local-memory cache: the single worker process holds the sessions
        "CELERY_BROKER_URL": "memory://",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "4",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: Browser(base).get("/healthz/")[0] == 200, seconds=60, what="gunicorn")
    return process, base


class Browser:
    """A person's browser: cookies (session, CSRF), no JavaScript."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def cookie(self, name: str) -> str:
        return next((c.value for c in self.cookies if c.name == name), "")

    def request(self, method: str, path: str, *, data: bytes | None = None, headers=None):
        request = urllib.request.Request(
            self.base + path, data=data, method=method, headers=headers or {}
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()
        except (urllib.error.URLError, ConnectionError) as error:
            return 0, {}, str(error).encode()

    def get(self, path: str, accept: str = "text/html"):
        return self.request("GET", path, headers={"Accept": accept})

    def log_in(self, login: str, password: str) -> None:
        """The login form, as a person submits it; the redirect leads to the dashboard."""
        self.get("/accounts/login/")
        form = {
            "login": login,
            "password": password,
            "csrfmiddlewaretoken": self.cookie("csrftoken"),
        }
        request = urllib.request.Request(
            self.base + "/accounts/login/", data=urllib.parse.urlencode(form).encode()
        )
        with self.opener.open(request, timeout=30) as response:
            assert response.geturl() == self.base + reverse("dashboard"), "login failed"

    def autosave(self, path: str, key: str, value: str, revision: int):
        body = json.dumps({"answers": [{"key": key, "value": value, "revision": revision}]})
        return self.request(
            "POST",
            path,
            data=body.encode(),
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "X-CSRFToken": self.cookie("csrftoken"),
            },
        )


@dataclass
class Typist:
    """One editor's browser tab autosaving one answer, as report-editor.js does: a save
    answered 503 is sent again unchanged; the next value is sent only once acknowledged."""

    browser: Browser
    path: str
    key: str
    revision: int = 0
    acknowledged: list[tuple[int, str]] = field(default_factory=list)
    unavailable: list[tuple[str | None, dict]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def value(self) -> str:
        # Long and non-ASCII: a half-written value would show.
        return f"{self.key} save {len(self.acknowledged)} " + "é" * 300

    def run(self, stop: threading.Event) -> None:
        value = self.value()
        while not stop.is_set():
            status, headers, body = self.browser.autosave(self.path, self.key, value, self.revision)
            if status == 200:
                revision = json.loads(body)["revisions"][self.key]
                if revision != self.revision + 1:
                    self.errors.append(f"revision {revision} after {self.revision}")
                self.revision = revision
                self.acknowledged.append((revision, value))
                value = self.value()
            elif status == 503 and headers.get("Content-Type") == "application/json":
                self.unavailable.append((headers.get("Retry-After"), json.loads(body)))
                time.sleep(0.1)
            else:
                self.errors.append(f"{status}: {body[:300]!r}")
                time.sleep(0.1)


@pytest.fixture
def private_postgres():
    server = PrivatePostgres()
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.remove()


def type_through_a_restart(typists: list[Typist], postgres: PrivatePostgres, during) -> None:
    """Each typist autosaves from its own thread; PostgreSQL stops once each has two saves
    acknowledged, `during()` runs once each has been refused, and PostgreSQL starts again
    until each has three more saves acknowledged."""
    stop = threading.Event()
    threads = [threading.Thread(target=t.run, args=(stop,)) for t in typists]
    for thread in threads:
        thread.start()
    try:
        wait_for(lambda: all(len(t.acknowledged) >= 2 for t in typists), seconds=30)
        postgres.stop()
        wait_for(lambda: all(t.unavailable for t in typists), seconds=15, what="503s")
        during()
        postgres.start()
        before = {t.key: len(t.acknowledged) for t in typists}
        wait_for(
            lambda: all(len(t.acknowledged) >= before[t.key] + 3 for t in typists),
            seconds=30,
            what="saves after the restart",
        )
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_postgresql_restart_under_autosave_fails_cleanly_and_recovers(
    private_postgres, editor, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL")
    version = publish(generated_questionnaire("FAULTS", 4))
    report = services.create_report(
        state=MemberState.objects.get(iso3="FRA"),
        cycle=open_cycle_for(version, number=41),
        by=editor,
        language="en",
    )
    copy_test_database_to(private_postgres.url)
    web, base = start_web(private_postgres.url, tmp_path / "gunicorn.log")
    pages = []
    try:
        browser = Browser(base)
        browser.log_in("editor.fra", PASSWORD)
        path = reverse("reporting:answer-save", args=[report.pk])
        typists = [Typist(browser, path, f"q{i}") for i in range(4)]
        workers = children_of(web.pid)
        detail = reverse("reporting:report-detail", args=[report.pk])
        type_through_a_restart(typists, private_postgres, lambda: pages.append(browser.get(detail)))
        # The same web process and worker served before, during and after the outage.
        assert web.poll() is None and children_of(web.pid) == workers
    finally:
        kill_group(web)
    log = (tmp_path / "gunicorn.log").read_text(errors="replace")[-3000:]
    for typist in typists:
        assert typist.errors == [], (typist.errors, log)
        # Every refusal during the outage: 503, a retry delay and a sentence to show.
        for retry_after, body in typist.unavailable:
            assert retry_after and int(retry_after) > 0
            assert body["code"] == "unavailable" and "try again" in body["detail"]
    status, headers, body = pages[0]
    assert status == 503 and headers["Content-Type"].startswith("text/html")
    assert headers["Retry-After"] and b"Service briefly unavailable" in body

    # Every acknowledged save is in the database with its full value, and nothing else is:
    # the audited revisions are exactly the acknowledged ones (a save that failed left none).
    with contextlib.closing(psycopg2.connect(private_postgres.url)) as db, db.cursor() as cursor:
        cursor.execute(
            "SELECT q.key, a.value, a.revision FROM reporting_answer a "
            "JOIN reporting_question q ON q.id = a.question_id WHERE a.report_id = %s",
            [report.pk],
        )
        stored = {key: (value, revision) for key, value, revision in cursor.fetchall()}
        cursor.execute(
            "SELECT data FROM core_auditentry WHERE action = 'reporting.answers.saved' "
            "AND object_id = %s",
            [str(report.pk)],
        )
        audited = [data["revisions"] for (data,) in cursor.fetchall()]
    for typist in typists:
        last_revision, last_value = typist.acknowledged[-1]
        assert stored[typist.key] == (last_value, last_revision)
        acknowledged = {revision for revision, _value in typist.acknowledged}
        assert acknowledged == set(range(1, last_revision + 1))
        assert {r[typist.key] for r in audited if typist.key in r} == acknowledged


# --- Redis restarted under a Celery worker ------------------------------------------------------


class PrivateRedis:
    """A redis-server on a free port, configured as deployed: append-only file, so queued
    messages and queue bindings survive a restart."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="poa-faults-redis-"))
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if not binary:
            pytest.skip("needs redis-server")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "yes", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(self.answers, seconds=10, what="redis-server")

    def answers(self) -> bool:
        import redis

        try:
            return redis.Redis.from_url(self.url, socket_timeout=1).ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process:
            kill_group(self.process)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def private_redis():
    server = PrivateRedis()
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture
def real_broker():
    """Tasks go through a broker, not in-process (the suite's default)."""
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("needs Redis: set REDIS_URL and CELERY_BROKER_URL")
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


def start_celery_worker(broker_url: str, queue: str, log: Path, **env: str) -> subprocess.Popen:
    env = {**os.environ, "CELERY_BROKER_URL": broker_url, "TESTING": "true", **env}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue]
        + ["--pool", "solo", "--without-mingle", "--without-gossip", "--loglevel", "INFO"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def send_canary(broker_url: str, queue: str) -> None:
    cache.delete(HEARTBEAT_KEY)
    with app.connection_for_write(broker_url) as broker:
        heartbeat.apply_async(connection=broker, queue=queue)


@pytest.mark.redis
def test_canary_task_completes_within_30_seconds_after_redis_restart(
    real_broker, private_redis, db, client, settings, tmp_path
):
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-canary"
    worker = start_celery_worker(private_redis.url, queue, tmp_path / "worker.log")
    try:
        send_canary(private_redis.url, queue)
        wait_for(lambda: cache.get(HEARTBEAT_KEY), seconds=60, what="first canary")

        private_redis.stop()
        settings.CELERY_BROKER_URL = private_redis.url
        down = client.get("/healthz/")
        private_redis.start()
        restarted = time.monotonic()
        send_canary(private_redis.url, queue)
        log = tmp_path / "worker.log"
        wait_for(
            lambda: cache.get(HEARTBEAT_KEY),
            seconds=30,
            step=0.2,
            what=f"canary after the restart; worker log: {log.read_text()[-2000:]}",
        )
        assert time.monotonic() - restarted < 30
        assert worker.poll() is None  # the same worker, not a restarted one
        # It did lose its broker (the restart was not too quick to notice) and reconnected.
        assert "Connection to broker lost" in log.read_text()
        up = client.get("/healthz/")
    finally:
        kill_group(worker)
    # The web still serves while the broker is down: reported, not fatal.
    assert down.status_code == 200 and down.json()["broker"] is False
    assert up.status_code == 200 and up.json()["broker"] is True


@pytest.mark.redis
def test_healthz_reports_the_broker_quickly_when_it_is_down(db, client, settings):
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("needs Redis: set REDIS_URL and CELERY_BROKER_URL")
    assert client.get("/healthz/").json()["broker"] is True
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens
    started = time.monotonic()
    response = client.get("/healthz/")
    assert time.monotonic() - started < 2
    assert response.status_code == 200
    assert response.json() | {"celery_heartbeat": None} == {
        "database": True,
        "cache": True,
        "broker": False,
        "celery_heartbeat": None,
    }


# --- the mail server down during a submission ---------------------------------------------------


class MailSink:
    """A local SMTP server that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(envelope)
        return "250 Message accepted"


def submit_from_the_page(client, report: Report, approver):
    """The approver submits on the report's page, with a fresh second-factor confirmation."""
    session = client.session
    session["account_authentication_methods"] = [
        {"method": "mfa", "type": "totp", "at": time.time()}
    ]
    session["account_authentication_methods_user"] = str(approver.pk)
    session.save()
    return client.post(
        reverse("reporting:report-submit", args=[report.pk]),
        {"visibility": "public", "confirm": "on"},
    )


@pytest.fixture
def complete_report(editor):
    version = publish(generated_questionnaire("MAIL", 2))
    report = services.create_report(
        state=MemberState.objects.get(iso3="FRA"),
        cycle=open_cycle_for(version, number=42),
        by=editor,
        language="en",
    )
    changes = [services.AnswerChange(f"q{i}", f"Answer {i}", 0) for i in range(2)]
    services.save_answers(report, by=editor, changes=changes)
    return report


def use_smtp_on(settings, port: int) -> None:
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 2},
        }
    }


@pytest.mark.redis
@pytest.mark.django_db
def test_mail_server_down_submission_succeeds_and_the_email_is_sent_once_it_is_back(
    real_broker,
    complete_report,
    approver,
    reviewer,
    client_for,
    settings,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    from aiosmtpd.controller import Controller

    port = free_port()  # nothing listens there yet: the mail server is down
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    with app.connection_for_write() as broker:
        broker.default_channel.queue_purge(queue)  # nothing left over from an earlier run
    log = tmp_path / "worker.log"
    worker = start_celery_worker(
        settings.CELERY_BROKER_URL,
        queue,
        log,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(port),
        EMAIL_TIMEOUT="2",
        EMAIL_RETRY_SECONDS="1",
    )
    sink = MailSink()
    mail_server = Controller(sink, hostname="127.0.0.1", port=port)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = submit_from_the_page(client_for(approver), complete_report, approver)
        assert response.status_code == 302
        assert Report.objects.get(pk=complete_report.pk).status == "submitted"
        assert Notification.objects.filter(user=reviewer).count() == 1

        def retries() -> int:
            return log.read_text().count("Retry in")

        wait_for(lambda: retries() >= 2, seconds=60, what="retries while the server is down")
        assert sink.messages == []
        mail_server.start()  # the mail server is back
        wait_for(lambda: sink.messages, seconds=20, what="the e-mail")
        time.sleep(3)  # a duplicate would have come by now (retries are 1, 2, 4 s apart)
    finally:
        kill_group(worker)
        with contextlib.suppress(AssertionError, RuntimeError):
            mail_server.stop()
    assert "ConnectionRefusedError" in log.read_text()
    assert len(sink.messages) == 1
    message = sink.messages[0]
    assert message.rcpt_tos == [reviewer.email]
    assert b"Submitted for review" in message.content


@pytest.mark.django_db
def test_mail_server_down_without_a_broker_the_submission_still_succeeds(
    complete_report,
    approver,
    reviewer,
    client_for,
    settings,
    caplog,
    django_capture_on_commit_callbacks,
):
    """Tasks in-process (the embedded default): the failed e-mail is logged, the request and
    the submission are not affected."""
    use_smtp_on(settings, free_port())
    with django_capture_on_commit_callbacks(execute=True):
        response = submit_from_the_page(client_for(approver), complete_report, approver)
    assert response.status_code == 302
    assert Report.objects.get(pk=complete_report.pk).status == "submitted"
    assert Notification.objects.filter(user=reviewer).count() == 1  # told in the platform
    failed = [r for r in caplog.records if "on_commit" in r.getMessage()]
    assert failed and isinstance(failed[0].exc_info[1], ConnectionRefusedError)
