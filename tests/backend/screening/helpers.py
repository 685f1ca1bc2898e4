"""Records the screening factors read, made directly (alerts, phones, reminders) for a quarter."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A past quarter, screened as of a moment well after it ended.
QUARTER = "2026Q3"
IN_QUARTER = dt.datetime(2026, 8, 15, 10, 0, tzinfo=SHANGHAI)
BEFORE_QUARTER = dt.datetime(2026, 6, 1, 10, 0, tzinfo=SHANGHAI)
PREVIOUS_QUARTER = "2026Q2"
IN_PREVIOUS = dt.datetime(2026, 5, 15, 10, 0, tzinfo=SHANGHAI)

_seq = itertools.count(1_000_000)


def add_phone(
    subject: Any, enrolled_at: dt.datetime = BEFORE_QUARTER, revoked_at: dt.datetime | None = None
) -> Any:
    from backend.supervision.models import Device

    device = Device.objects.create(
        subject=subject,
        token_hash=uuid.uuid4().hex,
        token_prefix="abcd1234",
        platform="android",
        revoked_at=revoked_at,
    )
    Device.objects.filter(pk=device.pk).update(enrolled_at=enrolled_at)
    return device


def add_alerts(subject: Any, kind: str, n: int, at: dt.datetime = IN_QUARTER) -> None:
    from backend.monitoring.models import Alert

    for _ in range(n):
        seq = next(_seq)
        Alert.objects.create(
            seq=seq,
            dedupe_key=f"test:{seq}",
            category="risk",
            kind=kind,
            severity="warning",
            subject=subject,
            office=subject.office,
            occurred_at=at,
        )


def add_reminders(
    subject: Any,
    n: int,
    acknowledged: bool = False,
    at: dt.datetime = IN_QUARTER,
    kind: str = "monthly_report",
) -> None:
    from backend.reminders.models import Reminder

    for _ in range(n):
        Reminder.objects.create(
            subject=subject,
            kind=kind,
            dedupe_key=f"test:{next(_seq)}",
            title="t",
            body="b",
            due_at=at,
            send_at=at,
            acknowledged_at=at + dt.timedelta(hours=1) if acknowledged else None,
        )


def backdate(person: Any, when: dt.datetime = BEFORE_QUARTER) -> None:
    type(person).objects.filter(pk=person.pk).update(created_at=when)


def run_screening(quarter: str = QUARTER, office: Any = None, user: Any = None) -> Any:
    """Start and finish a screening here (tasks are eager in the unit tests)."""
    from django.db import transaction

    from backend.screening.services import plan_screening, start_screening, work_on

    with transaction.atomic():
        screening = start_screening(quarter=quarter, office=office, user=user, now=timezone.now())
    # The test database never commits: the queued task does not run; do its work here.
    plan_screening(screening.pk)
    work_on(screening.pk)
    screening.refresh_from_db()
    return screening
