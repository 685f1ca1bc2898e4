"""Under `make run`'s settings (no broker: eager tasks, SQLite, in-memory channel layer) the
periodic jobs run in a thread of the server process: an overdue phone becomes an alert without
anyone calling the job."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

PROJECT = Path(__file__).resolve().parents[3]


def alert_raised(subject: Any) -> bool:
    from django.db import OperationalError

    from backend.monitoring.models import Alert

    try:
        return Alert.objects.filter(subject=subject, kind="offline").exists()
    except OperationalError:  # the test database is shared-cache SQLite: a table locked by the thread
        return False


@pytest.mark.django_db(transaction=True)
def test_an_overdue_phone_becomes_an_alert_by_itself(subject_a: Any, settings: Any) -> None:
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from backend.config.celery_app import app
    from backend.duty.scheduler import start_embedded_scheduler, stop_embedded_scheduler
    from backend.monitoring.models import Alert, MonitorState

    assert settings.CELERY_TASK_ALWAYS_EAGER and settings.CELERY_BROKER_URL == "memory://"
    assert not settings.EMBEDDED_SCHEDULER  # never on by itself in the test suite
    assert start_embedded_scheduler(app) is None
    MonitorState.objects.create(subject=subject_a, next_checkin_due=timezone.now() - dt.timedelta(hours=2))
    # Staff may shorten a job's interval in the admin; here to a second so the test is quick. (An
    # earlier transactional test may have emptied the seeded schedule: the entry is made again.)
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period="seconds")
    PeriodicTask.objects.update_or_create(
        name="detect-offline-phones",
        defaults={"task": "backend.monitoring.tasks.detect_offline_phones", "interval": every_second},
    )

    settings.EMBEDDED_SCHEDULER = True
    thread = start_embedded_scheduler(app)
    try:
        assert thread is not None and start_embedded_scheduler(app) is thread  # once per process
        deadline = time.monotonic() + 20
        while not alert_raised(subject_a):
            assert time.monotonic() < deadline, "no offline alert within 20 s"
            time.sleep(0.2)
    finally:
        stop_embedded_scheduler()
    assert Alert.objects.filter(subject=subject_a, kind="offline").count() == 1
    assert PeriodicTask.objects.get(name="detect-offline-phones").total_run_count >= 1


PRINT = (
    "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'backend.config.settings'); "
    "django.setup(); from django.conf import settings; "
    "print(settings.EMBEDDED_SCHEDULER, settings.CELERY_BEAT_SCHEDULER)"
)


@pytest.mark.parametrize(
    "env, expected",
    [
        ({}, "True"),  # make run: no broker
        ({"REDIS_URL": "redis://127.0.0.1:6379/3"}, "False"),  # Celery runs the schedule (beat)
        ({"CELERY_BROKER_URL": "amqp://broker"}, "False"),
        ({"REDIS_URL": "redis://127.0.0.1:6379/3", "EMBEDDED_SCHEDULER": "1"}, "True"),
        ({"EMBEDDED_SCHEDULER": "off"}, "False"),
    ],
)
def test_the_embedded_scheduler_is_on_only_without_a_broker(
    tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "VAR_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", PRINT],
        cwd=PROJECT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [expected, "backend.duty.scheduler:ProjectScheduler"]
