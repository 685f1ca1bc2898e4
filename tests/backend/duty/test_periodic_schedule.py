"""The periodic jobs' schedule is django-celery-beat's data, seeded with every job of the
settings; every job is a registered task that is late-acked, rejected on a lost worker, and the
scheduler adds a new line without overwriting what staff changed."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_every_job_of_the_settings_is_in_the_database_schedule() -> None:
    from django_celery_beat.models import PeriodicTask

    stored = {task.name: task for task in PeriodicTask.objects.all()}
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert name in stored, name
        assert stored[name].task == entry["task"] and stored[name].enabled
    for name in ("detect-offline-phones", "escalate-alerts", "monthly-report-reminders"):
        assert stored[name].description  # staff read what today's jobs do, in Chinese
    assert str(stored["monthly-report-reminders"].crontab.timezone) == "Asia/Shanghai"
    assert stored["detect-offline-phones"].interval.every == 300


def test_every_periodic_task_exists_and_is_late_acked_and_rejected_on_a_lost_worker() -> None:
    from backend.config.celery_app import app

    app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        task = app.tasks[entry["task"]]
        assert task.acks_late and task.reject_on_worker_lost, name


# django-celery-beat closes "old" connections as it reads the schedule, which on PostgreSQL closes
# the one a test transaction holds: this test commits, and makes the entry it changes itself.
@pytest.mark.django_db(transaction=True)
def test_the_scheduler_adds_a_new_line_and_keeps_what_staff_changed() -> None:
    from celery.schedules import schedule
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from backend.config.celery_app import app
    from backend.duty.scheduler import ProjectScheduler

    PeriodicTask.objects.update_or_create(
        name="detect-offline-phones",
        defaults={
            "task": "backend.monitoring.tasks.detect_offline_phones",
            "interval": IntervalSchedule.objects.get_or_create(every=120, period="seconds")[0],
            "enabled": False,
        },
    )
    mapping: dict[str, Any] = {
        **settings.CELERY_BEAT_SCHEDULE,
        "a-new-job": {
            "task": "backend.duty.tasks.escalate_unacknowledged_alerts",
            "schedule": schedule(45.0),
        },
    }
    app.conf.beat_schedule = mapping
    try:
        scheduler = ProjectScheduler(app=app, lazy=True)
        scheduler.setup_schedule()
    finally:
        app.conf.beat_schedule = settings.CELERY_BEAT_SCHEDULE
    kept = PeriodicTask.objects.get(name="detect-offline-phones")
    assert (kept.interval.every, kept.enabled) == (120, False)
    added = PeriodicTask.objects.get(name="a-new-job")
    assert added.interval.every == 45 and added.enabled
    assert "a-new-job" in scheduler.schedule and "detect-offline-phones" not in scheduler.schedule
