"""The duty tests share the reminders tests' scripted push transport."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from tests.backend.reminders.conftest import FakeTransport, no_quiet_hours, transport  # noqa: F401


def raise_alert(subject: Any, severity: str = "critical", kind: str = "left_zone", key: str = "k1") -> Any:
    from backend.monitoring.services import raise_alert as monitoring_raise_alert

    with transaction.atomic():
        return monitoring_raise_alert(
            subject, kind=kind, severity=severity, occurred_at=timezone.now(), dedupe_key=f"test:{key}"
        )


def shift(office: Any, user: Any, starts: dt.datetime | None = None, hours: float = 8) -> Any:
    from backend.duty.models import DutyShift

    starts = starts or timezone.now() - dt.timedelta(hours=1)
    return DutyShift.objects.create(
        office=office, user=user, starts_at=starts, ends_at=starts + dt.timedelta(hours=hours)
    )


@pytest.fixture
def fake_transport(transport: FakeTransport) -> FakeTransport:  # noqa: F811
    return transport
