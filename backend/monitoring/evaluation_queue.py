"""How uploaded check-ins reach the evaluator: in the request (inline) or through a queue.

``CHECKIN_EVALUATION=inline`` (the embedded default) evaluates a person's new fixes right after
the upload commits, in the same process. ``queue`` (PostgreSQL) only rings a doorbell; the
``manage.py run_evaluator`` processes wait on it and evaluate the persons of many uploads at
once, vectorised, so the API process does the storing and nothing else.

The database is the record and the doorbell: an upload marks its person's
``MonitorState.pending_since`` and sends ``NOTIFY`` in the same transaction as its fixes, so the
ring is delivered exactly when the fixes are committed (never before, never lost to a crash in
between). Evaluators also sweep marks older than a few seconds (an evaluator that was down
misses the rings sent meanwhile), so a missed ring delays an evaluation by seconds, never loses it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.db import connection

log = logging.getLogger(__name__)

INLINE, QUEUE = "inline", "queue"
# Marks older than this are swept (an evaluator died mid-round, or was down when the ring came).
SWEEP_AFTER_S = 5.0
# How long an evaluator gathers rings after the first before it evaluates them together.
GATHER_S = 0.015


def mode() -> str:
    return str(settings.CHECKIN_EVALUATION)


def channel() -> str:
    """The NOTIFY channel of this deployment (prefixed like its Redis keys)."""
    return f"{settings.CHANNEL_PREFIX}_checkins".lower()


def ring(subject_id: int) -> None:
    """Ring for ``subject_id`` in the current transaction (delivered when it commits).

    The PostgreSQL upload sends its ``pg_notify`` inside its own statement; this is for other
    callers. Without PostgreSQL there is no doorbell (queue mode needs PostgreSQL).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [channel(), str(subject_id)])


class Listener:
    """A dedicated connection that LISTENs on the doorbell (one per evaluator process)."""

    def __init__(self) -> None:
        self.conn: Any = None

    def _connect(self) -> Any:
        import psycopg

        params = connection.settings_dict
        conninfo = psycopg.conninfo.make_conninfo(
            dbname=params["NAME"], user=params.get("USER") or None, password=params.get("PASSWORD") or None,
            host=params.get("HOST") or None, port=str(params["PORT"]) if params.get("PORT") else None)
        conn = psycopg.connect(conninfo, autocommit=True)
        conn.execute(f'LISTEN "{channel()}"')
        return conn

    def listen(self) -> None:
        """Connect and LISTEN (again, after a lost connection)."""
        if self.conn is None or self.conn.closed:
            self.conn = self._connect()

    def wait(self, timeout_s: float, max_items: int = 5000) -> list[int]:
        """Subject ids rung since the last call (distinct, in ring order); waits up to ``timeout_s``."""
        self.listen()
        ids: list[int] = []
        for note in self.conn.notifies(timeout=timeout_s, stop_after=1):
            ids.append(int(note.payload))
        if ids:
            # Gather the rings of a short window after the first: every round has a fixed cost
            # (locks, zone sets, the engine's set-up, one commit), so under load fewer, larger
            # rounds leave the cores to the API; idle, it adds at most the window to an alert.
            # The window is slept through and the rings read at its end in one go: waking for each
            # ring as it came cost the evaluator a wake-up per upload.
            time.sleep(GATHER_S)
            ids.extend(int(note.payload) for note in self.conn.notifies(timeout=0, stop_after=max_items))
        return list(dict.fromkeys(ids))

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
