"""Screening jobs. Thin: take ids, call a service, safe to run twice.

For the beat schedule:

* ``backend.screening.tasks.start_quarterly_screening`` at each quarter's start,
  ``crontab(minute=30, hour=1, day_of_month=1, month_of_year="1,4,7,10")`` (county time): screens
  the quarter that just ended, county-wide, once.
* ``backend.screening.tasks.resume_screenings`` every 5 minutes: runs whose workers were lost.

A worker also resumes every unfinished run when it starts (``worker_ready``), so a run whose
worker was killed completes as soon as a worker is back.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from backend.screening import services
from backend.screening.services.runs import PARALLEL_TASKS, STALE_AFTER


@shared_task(acks_late=True, reject_on_worker_lost=True)
def plan_screening(screening_id: int) -> int:
    """Split a run into chunks, then queue the tasks that score them."""
    pending = services.plan_screening(screening_id)
    for _ in range(min(pending, PARALLEL_TASKS)):
        work_on_screening.delay(screening_id)
    return pending


@shared_task(acks_late=True, reject_on_worker_lost=True)
def work_on_screening(screening_id: int) -> int:
    """Score a run's pending chunks (shared with the other tasks of the run) and finish it."""
    return services.work_on(screening_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def start_quarterly_screening() -> int | None:
    screening = services.start_scheduled_screening()
    return None if screening is None else screening.pk


@shared_task(acks_late=True, reject_on_worker_lost=True)
def resume_screenings(all_unfinished: bool = False) -> int:
    """Queue the work of unfinished runs (all of them, or those begun a while ago)."""
    runs = services.unfinished(None if all_unfinished else STALE_AFTER)
    for screening_id, status in runs:
        if status == "queued":
            plan_screening.delay(screening_id)
        else:
            for _ in range(PARALLEL_TASKS):
                work_on_screening.delay(screening_id)
    return len(runs)


def _resume_on_worker_start(**kwargs: Any) -> None:
    resume_screenings.delay(all_unfinished=True)


def connect_worker_signals() -> None:
    from celery.signals import worker_ready

    worker_ready.connect(_resume_on_worker_start, weak=False, dispatch_uid="screening-resume-on-start")
