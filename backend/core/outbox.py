"""Tasks queued after a commit whatever the broker does: a transactional outbox.

A transaction that must be followed by a Celery task (wake the staff for a critical alert, send a
reminder, escalate) used to call ``task.delay`` in an ``on_commit`` hook. With the broker (Redis)
unreachable that call raised after the commit: the caller saw an error for work that was committed,
the hooks after it never ran (an evaluator round lost its remembered states), and the task was never
queued. Now ``queue_on_commit`` writes the request in the same transaction as the work
(``core.OutboxTask``), and after the commit hands it to the broker once, without retrying: on
success the row is deleted; on failure the error is logged, the row stays, and
``publish_waiting`` (the ``publish-outbox`` job, every 30 s, and at a worker's start) queues it
again once the broker is back. A task may therefore run more than once (a publish that reached the
broker but failed to delete its row): every task queued through here is idempotent.

With ``CELERY_TASK_ALWAYS_EAGER`` (the embedded default) handing over runs the task in-process; a
task that fails stays in the outbox and is tried again by the job.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from backend.core.models import OutboxTask

log = logging.getLogger(__name__)

# A row younger than this may still be handed over by the hook of its own transaction.
WAIT_FOR_HOOK_S = 30.0
# Rows handed over per run of the job (the oldest first); the next run takes the rest.
BATCH = 500


def queue_on_commit(task: Any, *args: Any) -> None:
    """Run Celery task ``task(*args)`` after the current transaction commits (at once outside one),
    at least once, even when the broker is unreachable at the commit. ``args`` must be JSON."""
    row = OutboxTask.objects.create(task=task.name, args=list(args))
    transaction.on_commit(lambda: _hand_over(row.pk, task, row.args), robust=True)


def _hand_over(row_id: int, task: Any, args: list[Any]) -> bool:
    """Give one waiting task to the broker; delete its row when it was taken."""
    try:
        # One attempt: a broker that is down must not hold the request (or the evaluator) for the
        # publish retry policy's seconds; the job tries again.
        task.apply_async(args=args, retry=False)
    except Exception as exc:  # the broker's errors are many (kombu, redis, socket): all mean "later"
        log.warning("task %s%s stays in the outbox: %s", task.name, tuple(args), exc)
        OutboxTask.objects.filter(pk=row_id).update(
            attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:500]
        )
        return False
    OutboxTask.objects.filter(pk=row_id).delete()
    return True


def publish_waiting(older_than_s: float = WAIT_FOR_HOOK_S, now: dt.datetime | None = None) -> int:
    """Hand the broker the tasks still waiting (their hook failed, or its process died). Stops at
    the first failure: the broker is away, the next run tries again. Returns how many went."""
    cutoff = (now or timezone.now()) - dt.timedelta(seconds=older_than_s)
    sent = 0
    for row in OutboxTask.objects.filter(created_at__lte=cutoff).order_by("created_at", "id")[:BATCH]:
        task = current_app.tasks.get(row.task)
        if task is None:
            log.error("outbox row %s names no known task %r; left for an operator", row.pk, row.task)
            continue
        if not _hand_over(row.pk, task, row.args):
            break
        sent += 1
    return sent


def waiting_count() -> int:
    """How many tasks wait for the broker (the admin and readiness report it)."""
    return OutboxTask.objects.count()
