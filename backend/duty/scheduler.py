"""The periodic jobs' scheduler: django-celery-beat's database schedule, for `celery beat` and for
the embedded default.

The schedule is data (``django_celery_beat.PeriodicTask``) that staff see and change in the admin.
Its entries come from one place, ``CELERY_BEAT_SCHEDULE`` in the settings: a migration seeded
today's (with descriptions for staff), and `migrate` and the scheduler's start add a line they do
not find in the database, but never overwrite an entry that exists (django-celery-beat's own scheduler would reset what staff
changed at every start).

Without a broker (``make run``: SQLite, eager tasks) the same scheduler runs in a thread of the
server process (``start_embedded_scheduler``), so an overdue phone still becomes an alert.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from celery import Celery
from celery.beat import EmbeddedService
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler, ModelEntry

log = logging.getLogger(__name__)

SCHEDULER = "backend.duty.scheduler:ProjectScheduler"


def add_missing_jobs(mapping: dict[str, Any]) -> list[PeriodicTask]:
    """Add each job of ``mapping`` (``CELERY_BEAT_SCHEDULE``'s shape) that the database schedule
    lacks, by name; an entry that exists is left as staff made it. Returns the entries added."""
    existing = set(PeriodicTask.objects.filter(name__in=list(mapping)).values_list("name", flat=True))
    added = []
    for name, fields in mapping.items():
        if name in existing:
            continue
        try:
            # django-celery-beat's own translation of a beat entry into its models.
            defaults = ModelEntry._unpack_fields(**fields)
            added.append(PeriodicTask.objects.get_or_create(name=name, defaults=defaults)[0])
        except Exception:
            log.exception("periodic job %s could not be added to the schedule", name)
    return added


def add_jobs_after_migrate(**kwargs: Any) -> None:
    """``post_migrate``: a line added to ``CELERY_BEAT_SCHEDULE`` is in the schedule after `migrate`."""
    if PeriodicTask._meta.db_table in connection.introspection.table_names():
        add_missing_jobs(settings.CELERY_BEAT_SCHEDULE)


class ProjectScheduler(DatabaseScheduler):  # type: ignore[misc]
    """django-celery-beat's scheduler that adds missing entries and keeps the existing ones."""

    def update_from_dict(self, mapping: dict[str, Any]) -> None:
        added = {
            model.name: self.Entry(model, app=self.app)
            for model in add_missing_jobs(mapping)
            if model.enabled
        }
        self.schedule.update(added)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        # A long-lived thread or process: drop connections past their age, and survive a
        # database that went away for a moment (the next tick tries again).
        close_old_connections()
        try:
            return float(super().tick(*args, **kwargs))
        except DatabaseError:
            log.exception("the periodic job scheduler could not read the database")
            close_old_connections()
            return float(self.max_interval)


# ---------------------------------------------------------------------------------------------
# The embedded scheduler (make run)
# ---------------------------------------------------------------------------------------------

_lock = threading.Lock()
_started: dict[int, Any] = {}  # pid -> the running service thread


def start_embedded_scheduler(app: Celery, *, force: bool = False) -> Any | None:
    """Start the scheduler in a daemon thread of this process, once per process.

    Only when ``EMBEDDED_SCHEDULER`` is on (the default without a broker, outside production and
    the test suite) or ``force``. Tasks then run eagerly in that thread. Returns the thread, or
    None when not started.
    """
    if not (force or settings.EMBEDDED_SCHEDULER):
        return None
    with _lock:
        running = _started.get(os.getpid())
        if running is not None and running.is_alive():
            return running
        # The tasks must be registered in this process, or beat would send them to the broker
        # (none here: memory://) instead of running them eagerly.
        app.loader.import_default_modules()
        thread: Any = EmbeddedService(app, thread=True, scheduler_cls=SCHEDULER)
        thread.name = "embedded-beat"
        thread.start()
        _started[os.getpid()] = thread
        log.info("embedded periodic job scheduler started")
        return thread


def stop_embedded_scheduler() -> None:
    """Stop this process's embedded scheduler (tests)."""
    with _lock:
        thread = _started.pop(os.getpid(), None)
    if thread is not None:
        thread.stop()
        thread.join(timeout=10)
