"""Who else has a report open: kept in the cache for a couple of minutes, never in the
database (it is a hint, not a record)."""

from __future__ import annotations

import time

from django.core.cache import cache

from core.models import User

WINDOW_SECONDS = 120
#: Saves come every few seconds while someone types; one of them in this many seconds is
#: enough to keep the person present (the window is much longer).
SAVE_REFRESH_SECONDS = 30
#: When this process last refreshed (report, person) on a save: saves skip the cache
#: round trips in between. Cleared when it grows past SAVE_REFRESH_LIMIT entries.
_refreshed: dict[tuple[int, int], float] = {}
SAVE_REFRESH_LIMIT = 10_000


def _key(report_id: int) -> str:
    return f"presence:report:{report_id}"


def touch(report_id: int, user: User) -> list[str]:
    """Record that `user` is looking at the report now; returns the names of the others who
    had it open in the last two minutes (read at the same time, saving a round trip)."""
    now = time.time()
    seen = {
        uid: entry
        for uid, entry in (cache.get(_key(report_id)) or {}).items()
        if now - entry[1] < WINDOW_SECONDS
    }
    others = sorted(name for uid, (name, _at) in seen.items() if uid != user.pk)
    seen[user.pk] = (str(user), now)
    cache.set(_key(report_id), seen, timeout=WINDOW_SECONDS)
    return others


def refresh(report_id: int, user: User) -> None:
    """Keep `user` present while they save, at most once per SAVE_REFRESH_SECONDS."""
    key, now = (report_id, user.pk), time.monotonic()
    if now - _refreshed.get(key, -SAVE_REFRESH_SECONDS) < SAVE_REFRESH_SECONDS:
        return
    if len(_refreshed) >= SAVE_REFRESH_LIMIT:
        _refreshed.clear()
    _refreshed[key] = now
    touch(report_id, user)
