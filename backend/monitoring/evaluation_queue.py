"""How uploaded check-ins reach the evaluator: in the request (inline) or through a queue.

``CHECKIN_EVALUATION=inline`` (the embedded default) evaluates a person's new fixes right after
the upload commits, in the same process. ``queue`` (with ``REDIS_URL``) only rings a doorbell
after the commit; ``manage.py run_evaluator`` processes wait on it and evaluate the persons of
many uploads at once, vectorised, so the API process does the storing and nothing else.

The database is the record, the doorbell only wakes an evaluator: an upload marks its person's
``MonitorState.pending_since`` in the same transaction as its fixes, and evaluators also sweep
marks older than a few seconds. A lost ring delays an evaluation by seconds, never loses it.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)

INLINE, QUEUE = "inline", "queue"
# Marks older than this are swept (an evaluator died mid-round, or a ring was lost).
SWEEP_AFTER_S = 5.0


def mode() -> str:
    return str(settings.CHECKIN_EVALUATION)


def queue_key() -> str:
    return f"{settings.CHANNEL_PREFIX}:checkins:pending"


class _Client:
    """One Redis connection pool per process (re-created after a fork)."""

    def __init__(self) -> None:
        self.pid = 0
        self.client: Any = None
        self.lock = threading.Lock()

    def get(self) -> Any:
        with self.lock:
            if self.client is None or self.pid != os.getpid():
                import redis

                self.client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=5)
                self.pid = os.getpid()
            return self.client


_client = _Client()


def ring(subject_id: int) -> None:
    """Tell an evaluator that ``subject_id`` has new fixes (call after the commit)."""
    try:
        _client.get().rpush(queue_key(), subject_id)
    except Exception:  # the mark in the database is the record; the sweep finds it
        log.exception("could not ring the evaluation doorbell for subject %s", subject_id)


def wait(timeout_s: float, max_items: int = 2000) -> list[int]:
    """Subject ids rung since the last call (distinct, in ring order); waits up to ``timeout_s``."""
    client = _client.get()
    first = client.blpop([queue_key()], timeout=timeout_s)
    if first is None:
        return []
    raw = [first[1], *(client.lpop(queue_key(), max_items - 1) or [])]
    return list(dict.fromkeys(int(item) for item in raw))
