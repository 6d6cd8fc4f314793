"""Tasks through a real Celery worker and Redis (not eager mode), when a broker is set."""

import pytest
from django.conf import settings
from django.core.cache import cache

from config.celery import app
from core.tasks import HEARTBEAT_KEY, heartbeat


@pytest.mark.redis
def test_heartbeat_runs_on_a_real_worker():
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip("needs Redis: set REDIS_URL (and CELERY_BROKER_URL)")
    from celery.contrib.testing.worker import start_worker

    app.conf.task_always_eager = False
    with start_worker(
        app,
        pool="solo",
        perform_ping_check=False,
        shutdown_timeout=10,
        queues=[settings.CELERY_TASK_DEFAULT_QUEUE],
    ):
        result = heartbeat.delay()
        # No result backend: wait for the side effect the task leaves in the cache.
        for _ in range(100):
            if cache.get(HEARTBEAT_KEY):
                break
            import time

            time.sleep(0.1)
    assert result.id
    assert cache.get(HEARTBEAT_KEY)


def test_heartbeat_in_process_sets_the_canary():
    value = heartbeat.delay().get()
    assert cache.get(HEARTBEAT_KEY) == value


def test_beat_schedule_names_existing_tasks(db):  # Celery runs the model checks on import
    app.loader.import_default_modules()
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks
