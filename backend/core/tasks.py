"""The core's job: hand the broker the tasks the outbox still holds (``backend.core.outbox``)."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_ready

from backend.core import outbox

log = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def publish_outbox(at_start: bool = False) -> int:
    """Every 30 s: queue again the tasks whose hand-over failed (the broker was away) or that were
    handed over and never done (a worker died with them)."""
    if at_start:
        return outbox.publish_waiting(older_than_s=0.0, requeue_after_s=0.0)
    return outbox.publish_waiting()


@worker_ready.connect
def _publish_at_start(**kwargs: object) -> None:
    """A worker that starts (after an outage, often) does not wait for the next run of the job."""
    try:
        # Everything waiting, however young: a worker that starts is often one that replaces a
        # killed one, whose tasks the broker would hold for an hour. A task handed over twice
        # runs twice, harmlessly.
        publish_outbox.apply_async(kwargs={"at_start": True}, retry=False, ignore_result=True)
    except Exception as exc:  # the broker went away again: the periodic job will do it
        log.warning("could not queue the outbox's hand-over at the worker's start: %s", exc)
