"""The analysis built by real Celery workers through Redis (not eager mode): end to end on a
worker thread, and a worker process killed with SIGKILL in the middle of a chunk."""

import contextlib
import datetime
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from pypdf import PdfReader

from config.celery import app
from core.models import MemberState
from reporting.analysis import build
from reporting.demo import DemoPlan, publish_demo_reports
from reporting.models import AnalysisChunk, AnalysisEdition
from reporting.services import analysis
from reporting.tasks import render_analysis_chunk
from tests.conftest import open_cycle_for

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def real_broker():
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("needs Redis: set REDIS_URL (and CELERY_BROKER_URL)")
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


@pytest.fixture
def cycle(questionnaire):
    cycle = open_cycle_for(questionnaire, number=13)
    states = MemberState.objects.order_by("iso3")[:40]
    publish_demo_reports(DemoPlan(cycle), states, cycle_index=0, cycles=1, seed="worker")
    return cycle


def wait_for(condition, *, seconds: float, step: float = 0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"still waiting after {seconds} s")


def edition_status(pk: int) -> str:
    return AnalysisEdition.objects.get(pk=pk).status


def test_small_edition_end_to_end_on_a_real_worker(real_broker, cycle):
    from celery.contrib.testing.worker import start_worker

    queues = [settings.CELERY_TASK_DEFAULT_QUEUE, settings.CELERY_DOCUMENTS_QUEUE]
    with start_worker(app, pool="solo", perform_ping_check=False, queues=queues):
        edition = analysis.request_edition(cycle=cycle, language="fr", kind="public", by=None)
        wait_for(lambda: edition_status(edition.pk) in ("done", "failed"), seconds=180)
    edition.refresh_from_db()
    assert edition.status == "done", edition.error
    with edition.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    assert len(reader.pages) == edition.page_count > edition.chunks_total
    assert edition.chunks.filter(status="done").count() == edition.chunks_total


def _worker(env: dict) -> subprocess.Popen:
    queues = f"{settings.CELERY_TASK_DEFAULT_QUEUE},{settings.CELERY_DOCUMENTS_QUEUE}"
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            queues,
            "--concurrency",
            "1",
            "--max-tasks-per-child",
            "1",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,  # its own process group: SIGKILL reaches the pool child too
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _kill(worker: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)


def test_worker_killed_mid_chunk_the_build_finishes_once(real_broker, cycle):
    if connection.vendor != "postgresql":
        pytest.skip("a worker process needs a database server")
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
        f"{database['NAME']}",
        "ANALYSIS_PROFILES_PER_CHUNK": "8",
        "TESTING": "true",
    }
    first = _worker(env)
    try:
        edition = analysis.request_edition(cycle=cycle, language="en", kind="staff", by=None)
        victim = wait_for(
            lambda: AnalysisChunk.objects.filter(edition=edition, status="rendering").first(),
            seconds=120,
            step=0.01,
        )
        _kill(first)
    finally:
        _kill(first)
    victim.refresh_from_db()
    assert victim.status == "rendering" and victim.attempts == 1
    assert edition_status(edition.pk) == "building"

    second = _worker(env)
    try:
        # What beat's resume_stalled_editions does once the chunk is late.
        for kind, pk in build.stalled(older_than=datetime.timedelta(0)):
            if kind == "chunk":
                render_analysis_chunk.delay(pk)
        wait_for(lambda: edition_status(edition.pk) in ("done", "failed"), seconds=240, step=0.2)
    finally:
        _kill(second)
    edition.refresh_from_db()
    victim.refresh_from_db()
    assert edition.status == "done", edition.error
    assert victim.attempts == 2 and victim.status == "done"
    chunks = list(edition.chunks.all())
    assert len({c.file.name for c in chunks}) == len(chunks)  # one recorded file each
    with edition.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    assert len(reader.pages) == edition.page_count == sum(c.page_count for c in chunks) + 2
