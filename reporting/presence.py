"""Who else has a report open: kept in the cache for a couple of minutes, never in the
database (it is a hint, not a record)."""

from __future__ import annotations

import time

from django.core.cache import cache

from core.models import User

WINDOW_SECONDS = 120


def _key(report_id: int) -> str:
    return f"presence:report:{report_id}"


def touch(report_id: int, user: User) -> None:
    """Record that `user` is looking at the report now."""
    now = time.time()
    seen = {
        uid: entry
        for uid, entry in (cache.get(_key(report_id)) or {}).items()
        if now - entry[1] < WINDOW_SECONDS
    }
    seen[user.pk] = (str(user), now)
    cache.set(_key(report_id), seen, timeout=WINDOW_SECONDS)


def others(report_id: int, user: User) -> list[str]:
    """Names of the other people who had the report open in the last two minutes."""
    now = time.time()
    return sorted(
        name
        for uid, (name, at) in (cache.get(_key(report_id)) or {}).items()
        if uid != user.pk and now - at < WINDOW_SECONDS
    )
