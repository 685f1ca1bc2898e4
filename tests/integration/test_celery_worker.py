"""A real Celery worker, on the real broker, runs the offline-detection job against PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.integration.realservices import (
    require_postgres,
    require_redis,
    server_env,
    start_celery_worker,
    stop_process_group,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_worker_runs_the_offline_detection_task(subject_a: Any) -> None:
    require_postgres()
    redis_url = require_redis()
    from django.conf import settings

    from backend.monitoring.models import Alert, MonitorState
    from backend.monitoring.tasks import detect_offline_phones

    if settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("CELERY_TASK_ALWAYS_EAGER is on; the worker test needs a broker (REDIS_URL)")
    MonitorState.objects.create(subject=subject_a, next_checkin_due=timezone.now() - dt.timedelta(hours=2))
    env = server_env(REDIS_URL=redis_url)
    worker = start_celery_worker(env)
    try:
        result = detect_offline_phones.delay()
        assert result.get(timeout=60) == 1
        assert Alert.objects.get().kind == "offline"
        # Run twice: the job is idempotent, no second alert.
        assert detect_offline_phones.delay().get(timeout=60) == 0
    finally:
        stop_process_group(worker)
