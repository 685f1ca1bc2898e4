"""A screening on real Celery workers (Redis broker, PostgreSQL) survives a SIGKILL in the middle:
after a worker is back, the run completes and every person is scored exactly once."""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from typing import Any

import pytest
from django.db import transaction

from tests.integration.realservices import require_postgres, require_redis, server_env, start_celery_worker

# Two workers start, one is killed mid-run: minutes on a busy machine.
pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True), pytest.mark.timeout(600)]

PEOPLE = 1200
CHUNK = 10


def _population(office: Any) -> None:
    from backend.monitoring.models import Alert
    from backend.supervision.models import Subject

    Subject.objects.bulk_create(
        Subject(
            office=office,
            name=f"对象{i}",
            gender="male",
            id_number=f"37108219850312{i:04d}"[:18],
            home_address="村",
            case_number=f"(2026)排{i}号",
            sentence_type="probation",
            supervision_start=dt.date(2026, 1, 1),
            supervision_end=dt.date(2027, 12, 31),
        )
        for i in range(PEOPLE)
    )
    subjects = list(Subject.objects.values_list("pk", flat=True))
    from django.utils import timezone

    from backend.supervision.models import Device

    Device.objects.bulk_create(
        Device(subject_id=pk, token_hash=f"{pk:064d}", token_prefix="it", platform="android")
        for pk in subjects
    )

    Alert.objects.bulk_create(
        Alert(
            seq=i + 1,
            dedupe_key=f"it:{i}",
            category="risk",
            kind="lost_contact",
            severity="critical",
            subject_id=pk,
            office=office,
            occurred_at=timezone.now() - dt.timedelta(minutes=5),
        )
        for i, pk in enumerate(subjects[::3])
    )


def _rule_table() -> None:
    """The migration's first rule table: a transactional test before this one may have flushed it."""
    from backend.screening.models import RuleTable
    from backend.screening.rules import DEFAULT_RULES

    if not RuleTable.objects.filter(is_active=True).exists():
        RuleTable.objects.create(version=1, name="季度风险排查规则（第1版）", rules=DEFAULT_RULES)


def test_a_run_completes_after_its_worker_is_killed(office_a: Any) -> None:
    require_postgres()
    redis_url = require_redis()
    from django.conf import settings

    from backend.screening.models import Screening, ScreeningChunk, ScreeningResult
    from backend.screening.services import start_screening

    if settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("CELERY_TASK_ALWAYS_EAGER is on; the worker test needs a broker (REDIS_URL)")
    _population(office_a)
    _rule_table()
    env = server_env(REDIS_URL=redis_url, SCREENING_CHUNK_SIZE=str(CHUNK))
    first = start_celery_worker(env, pool="prefork", concurrency=2)
    try:
        with transaction.atomic():
            screening = start_screening()  # queued to the worker after the commit
        deadline = time.monotonic() + 120
        while True:
            screening.refresh_from_db()
            if screening.chunks_done >= 5:
                break
            assert time.monotonic() < deadline, "the worker did not start the run"
            time.sleep(0.01)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    screening.refresh_from_db()
    assert screening.status == Screening.Status.RUNNING, "the run ended before the kill: make it longer"
    pending_after_kill = ScreeningChunk.objects.filter(screening=screening, done_at__isnull=True).count()
    assert pending_after_kill > 0
    # Nothing half-written: every result belongs to a chunk marked done.
    assert ScreeningResult.objects.filter(screening=screening).count() == screening.done

    second = start_celery_worker(
        env, pool="prefork", concurrency=2
    )  # resumes every unfinished run when it is ready
    try:
        deadline = time.monotonic() + 180
        while True:
            screening.refresh_from_db()
            if screening.status == Screening.Status.FINISHED:
                break
            assert time.monotonic() < deadline, (
                f"not finished after the restart: {screening.done}/{screening.total}"
            )
            time.sleep(0.2)
    finally:
        os.kill(second.pid, signal.SIGTERM)  # a warm shutdown of the main process
        second.wait(timeout=60)
    assert screening.total == PEOPLE
    keys = list(ScreeningResult.objects.filter(screening=screening).values_list("person_kind", "person_id"))
    assert len(keys) == len(set(keys)) == PEOPLE
    assert screening.done == PEOPLE
    assert not ScreeningChunk.objects.filter(screening=screening, done_at__isnull=True).exists()
    high_risk = ScreeningResult.objects.filter(screening=screening, score__gt=0).count()
    assert high_risk == len(range(0, PEOPLE, 3))
