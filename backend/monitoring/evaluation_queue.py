"""How uploaded check-ins reach the evaluator: in the request (inline) or through a queue.

``CHECKIN_EVALUATION=inline`` (the embedded default) evaluates a person's new fixes right after
the upload commits, in the same process. ``queue`` (PostgreSQL) only marks them; the
``manage.py run_evaluator`` processes evaluate the persons of many uploads at once, vectorised,
so the API process does the storing and nothing else.

The database is the record: an upload marks its person's ``MonitorState.pending_since`` in the
same transaction as its fixes, so a mark exists exactly when the fixes are committed. Evaluators
poll the marks every ``POLL_S`` (a probe of the small partial index of marked rows) and take
every marked person in one round, oldest marks first. They used to be rung with ``NOTIFY``
instead; but PostgreSQL serialises every committing transaction that notified on one
database-wide lock held through its WAL flush, which capped uploads at one per flush
(measured: a backend in eight waiting on it under batched load, ~370 uploads/s on a disk that
flushes in 2.7 ms) however many cores the database has. A poll costs an idle evaluator one
indexed probe per ``POLL_S`` and adds at most ``POLL_S`` to an alert, less on average than the
gathering window a ring was followed by.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection

from backend.monitoring.models import MonitorState

INLINE, QUEUE = "inline", "queue"
# Marks older than this are swept by the Celery beat task (no evaluator running, a failed round).
SWEEP_AFTER_S = 5.0
# How often an evaluator looks for marks: rounds start at most this far apart. Every round has
# a fixed cost (locks, zone sets, the engine's set-up, one commit), so under light load rounds
# this far apart are larger and fewer and leave the cores to the API; idle, it adds at most this
# much to an alert. A round that took longer is followed at once by the next (what came during
# it waits already): sleeping after it anyway added up to POLL_S to every alert under load.
POLL_S = 0.02
# How often an evaluator sends the latest positions of the persons it evaluated to the consoles
# (alerts go at once; see ``events.coalesce_positions``).
POSITIONS_EVERY_S = 0.25

# Ordered by the mark so that it is read from the partial index of marks whatever the planner
# knows (a sequential scan of the often-updated table reads every dead row version in it).
_PROBE_SQL = (
    f"SELECT 1 FROM {MonitorState._meta.db_table} WHERE pending_since IS NOT NULL "  # noqa: S608
    "ORDER BY pending_since LIMIT 1"
)


def mode() -> str:
    return str(settings.CHECKIN_EVALUATION)


def anything_waiting() -> bool:
    """Whether any person's fixes wait for evaluation (one probe of the partial index of marks)."""
    with connection.cursor() as cursor:
        cursor.execute(_PROBE_SQL)
        return cursor.fetchone() is not None
