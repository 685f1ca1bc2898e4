"""Tasks queued after a commit whatever the broker does: a transactional outbox.

A transaction that must be followed by a Celery task (wake the staff for a critical alert, send a
reminder, escalate) used to call ``task.delay`` in an ``on_commit`` hook. With the broker (Redis)
unreachable that call raised after the commit: the caller saw an error for work that was committed,
the hooks after it never ran (an evaluator round lost its remembered states), and the task was never
queued. Now ``queue_on_commit`` writes the request in the same transaction as the work
(``core.OutboxTask``) and after the commit hands it to the broker once, without retrying.

The row stays until the task has run to success (``task_postrun``, matched by the task id the
hand-over gives it), so a task is not lost with a broker that was away (its hand-over failed), nor
with a worker killed while it held the task (the broker would give it back only after its
visibility timeout, an hour by default): ``publish_waiting`` (the ``publish-outbox`` job, every
30 s, and at every worker's start) hands over again a row never handed over after
``WAIT_FOR_HOOK_S``, and one handed over ``REQUEUE_AFTER_S`` ago and still not done. A task may
therefore run more than once: every task queued through here is idempotent. A task that failed
``MAX_ATTEMPTS`` times is left for an operator (the admin lists the outbox, with the last error).

With ``CELERY_TASK_ALWAYS_EAGER`` (the embedded default) handing over runs the task in-process; a
task that fails stays in the outbox and is tried again by the job.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from celery import current_app, states
from celery.signals import task_postrun
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from backend.core.models import OutboxTask

log = logging.getLogger(__name__)

# A row younger than this may still be handed over by the hook of its own transaction.
WAIT_FOR_HOOK_S = 30.0
# A task handed over this long ago and not done is handed over again (its worker may have died).
REQUEUE_AFTER_S = 120.0
# Hand-overs of one task before it is left for an operator.
MAX_ATTEMPTS = 20
# Rows handed over per run of the job (the oldest first); the next run takes the rest.
BATCH = 500
TASK_ID_PREFIX = "outbox-"


def queue_on_commit(task: Any, *args: Any) -> None:
    """Run Celery task ``task(*args)`` after the current transaction commits (at once outside one),
    at least once, even when the broker is unreachable at the commit. ``args`` must be JSON."""
    row = OutboxTask.objects.create(task=task.name, args=list(args))
    transaction.on_commit(lambda: _hand_over(row.pk, task, row.args), robust=True)


def _task_id(row_id: int) -> str:
    return f"{TASK_ID_PREFIX}{row_id}-{uuid.uuid4().hex[:12]}"


def _row_of(task_id: str | None) -> int | None:
    if not task_id or not task_id.startswith(TASK_ID_PREFIX):
        return None
    number = task_id[len(TASK_ID_PREFIX) :].split("-", 1)[0]
    return int(number) if number.isdigit() else None


def _hand_over(row_id: int, task: Any, args: list[Any]) -> bool:
    """Give one waiting task to the broker; the row stays until the task has run."""
    now = timezone.now()
    try:
        # One attempt: a broker that is down must not hold the request (or the evaluator) for the
        # publish retry policy's seconds; the job tries again. No result is waited for: with a
        # Redis result backend away, subscribing to the result alone took 19 s and then broke
        # the process's result consumer for good.
        task.apply_async(args=args, retry=False, ignore_result=True, task_id=_task_id(row_id))
    except Exception as exc:  # the broker's errors are many (kombu, redis, socket): all mean "later"
        log.warning("task %s%s stays in the outbox: %s", task.name, tuple(args), exc)
        OutboxTask.objects.filter(pk=row_id).update(
            attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:500]
        )
        return False
    # Eagerly run (the embedded default) the task has already deleted its row: nothing to update.
    OutboxTask.objects.filter(pk=row_id).update(handed_over_at=now, attempts=F("attempts") + 1)
    return True


@task_postrun.connect
def _task_done(task_id: str | None = None, state: str | None = None, **kwargs: Any) -> None:
    """A task handed over from the outbox ran to success: its row goes."""
    row_id = _row_of(task_id)
    if row_id is not None and state == states.SUCCESS:
        OutboxTask.objects.filter(pk=row_id).delete()


def publish_waiting(
    older_than_s: float = WAIT_FOR_HOOK_S,
    requeue_after_s: float = REQUEUE_AFTER_S,
    now: dt.datetime | None = None,
) -> int:
    """Hand the broker the tasks still waiting: never handed over (their hook failed, or its process
    died) or handed over long ago and not done. Stops at the first failure: the broker is away, the
    next run tries again. Returns how many went."""
    now = now or timezone.now()
    due = Q(handed_over_at__isnull=True, created_at__lte=now - dt.timedelta(seconds=older_than_s)) | Q(
        handed_over_at__lte=now - dt.timedelta(seconds=requeue_after_s)
    )
    rows = OutboxTask.objects.filter(due, attempts__lt=MAX_ATTEMPTS).order_by("created_at", "id")[:BATCH]
    sent = 0
    for row in rows:
        task = current_app.tasks.get(row.task)
        if task is None:
            log.error("outbox row %s names no known task %r; left for an operator", row.pk, row.task)
            continue
        if not _hand_over(row.pk, task, row.args):
            break
        sent += 1
    return sent
