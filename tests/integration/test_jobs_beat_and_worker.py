"""celery beat with the database scheduler and a real worker, on the real broker and PostgreSQL:
the schedule's entries fire by themselves (an overdue phone becomes an alert, an unacknowledged
critical alert escalates to the office head)."""

from __future__ import annotations

import datetime as dt
import subprocess
import time
from typing import Any

import pytest
from django.utils import timezone

from tests.integration.realservices import (
    BIN,
    ROOT,
    require_postgres,
    require_redis,
    server_env,
    stop_process_group,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def celery(*args: str, env: dict[str, str]) -> subprocess.Popen[Any]:
    return subprocess.Popen(
        [str(BIN / "celery"), "-A", "backend.config.celery_app", *args, "-l", "warning"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )


def every_second(name: str, task: str) -> None:
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    interval, _ = IntervalSchedule.objects.get_or_create(every=1, period="seconds")
    PeriodicTask.objects.update_or_create(
        name=name, defaults={"task": task, "interval": interval, "enabled": True}
    )


def test_beat_on_the_database_schedule_and_a_worker_run_the_jobs(
    subject_a: Any, head_a: Any, tmp_path: Any
) -> None:
    require_postgres()
    redis_url = require_redis()
    from django.conf import settings
    from django.db import transaction

    from backend.duty.models import EscalationPolicy
    from backend.monitoring.models import Alert, MonitorState
    from backend.monitoring.services import raise_alert

    if settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("CELERY_TASK_ALWAYS_EAGER is on; the beat test needs a broker (REDIS_URL)")
    MonitorState.objects.create(subject=subject_a, next_checkin_due=timezone.now() - dt.timedelta(hours=2))
    EscalationPolicy.objects.update_or_create(
        severity="critical", defaults={"office_head_after_minutes": 10, "bureau_after_minutes": 30}
    )
    with transaction.atomic():
        critical = raise_alert(
            subject_a,
            kind="left_zone",
            severity="critical",
            occurred_at=timezone.now(),
            dedupe_key="beat-test",
        )
    Alert.objects.filter(pk=critical.pk).update(raised_at=timezone.now() - dt.timedelta(minutes=12))
    # The schedule is data: two of its entries every second, so the test need not wait minutes.
    every_second("detect-offline-phones", "backend.monitoring.tasks.detect_offline_phones")
    every_second("escalate-alerts", "backend.duty.tasks.escalate_unacknowledged_alerts")

    env = server_env(REDIS_URL=redis_url)
    worker = celery(
        "worker", "--pool", "solo", "--without-heartbeat", "--without-gossip", "--without-mingle", env=env
    )
    beat = celery(
        "beat",
        "--scheduler",
        "backend.duty.scheduler:ProjectScheduler",
        "--pidfile",
        str(tmp_path / "beat.pid"),
        env=env,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            offline = Alert.objects.filter(subject=subject_a, kind="offline").count()
            critical.refresh_from_db()
            if offline and critical.escalation_level == 1:
                break
            assert beat.poll() is None and worker.poll() is None, "beat or the worker stopped"
            assert time.monotonic() < deadline, (offline, critical.escalation_level)
            time.sleep(0.5)
        time.sleep(3)  # a few more runs of both entries: still one alert, still one step
    finally:
        stop_process_group(beat)
        stop_process_group(worker)

    from django_celery_beat.models import PeriodicTask

    assert Alert.objects.filter(subject=subject_a, kind="offline").count() == 1
    critical.refresh_from_db()
    assert [step["level"] for step in critical.escalations] == [1]
    assert critical.escalations[0]["to"][0]["id"] == head_a.pk
    runs = dict(PeriodicTask.objects.values_list("name", "total_run_count"))
    assert runs["detect-offline-phones"] >= 2 and runs["escalate-alerts"] >= 2
