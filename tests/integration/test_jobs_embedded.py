"""`make run`'s way, in a real server process: SQLite, no broker, eager tasks. The periodic jobs
run in a thread of the uvicorn process, so a phone overdue for its check-in becomes an offline
alert without anyone calling the job (and without Redis or a worker)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.realservices import ROOT, asgi_server

pytestmark = pytest.mark.integration

SETUP = """
import datetime as dt
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from backend.accounts.models import Office
from backend.monitoring.models import MonitorState
from tests.conftest import make_subject

bureau = Office.objects.create(code="bureau", name="测试县司法局", kind="bureau")
office = Office.objects.create(code="office-a", name="甲司法所", parent=bureau)
subject = make_subject(office)
MonitorState.objects.create(subject=subject, next_checkin_due=timezone.now() - dt.timedelta(hours=2))
# The seeded job runs every 5 minutes; staff may change that in the admin, here to 2 seconds.
every, _ = IntervalSchedule.objects.get_or_create(every=2, period="seconds")
PeriodicTask.objects.filter(name="detect-offline-phones").update(interval=every)
"""


def offline_alerts(database: Path) -> int:
    with sqlite3.connect(database, timeout=10) as connection:
        return int(
            connection.execute("SELECT count(*) FROM monitoring_alert WHERE kind = 'offline'").fetchone()[0]
        )


def test_make_runs_server_raises_the_offline_alert_by_itself(tmp_path: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "CELERY_", "EMBEDDED_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="backend.config.settings",
        DJANGO_ENV="development",
        VAR_DIR=str(tmp_path),
        PYTHONPATH=str(ROOT),
        LOG_LEVEL="WARNING",
    )
    manage = [sys.executable, "backend/manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    subprocess.run([*manage, "shell", "-c", SETUP], cwd=ROOT, env=env, check=True, timeout=120)
    database = tmp_path / "db.sqlite3"
    assert offline_alerts(database) == 0
    with asgi_server(env):
        deadline = time.monotonic() + 60
        while offline_alerts(database) == 0:
            assert time.monotonic() < deadline, "no offline alert within 60 s"
            time.sleep(0.5)
        time.sleep(5)  # it runs again and again: still one alert
    assert offline_alerts(database) == 1
