"""Not back by the leave's end plus grace (no report-back, no fix in the county): leave_overdue,
once. The return reminders were scheduled at the approval."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.backend.casework.helpers import FAR_AWAY, make_leave, set_last_fix
from tests.backend.casework.test_leave_switches_the_zones import shorten

pytestmark = pytest.mark.django_db


@pytest.fixture
def ended_leave(phone_a: Any, head_a: Any, county_zone: Any) -> Any:
    from backend.casework.services import approve_leave

    device, _client = phone_a
    leave = approve_leave(make_leave(device, start=timezone.now() - dt.timedelta(hours=10), days=1), head_a)
    shorten(leave, timezone.now() - dt.timedelta(hours=3))
    return leave


def test_a_person_neither_back_nor_seen_raises_leave_overdue_once(ended_leave: Any) -> None:
    from backend.casework.services import check_leave_returns
    from backend.monitoring.models import Alert

    set_last_fix(ended_leave.subject, *FAR_AWAY, at=timezone.now() - dt.timedelta(minutes=10))
    assert check_leave_returns() == 1
    alert = Alert.objects.get(kind="leave_overdue")
    assert alert.subject_id == ended_leave.subject_id and alert.evidence["leave_request"] == ended_leave.pk
    assert check_leave_returns() == 0
    assert Alert.objects.filter(kind="leave_overdue").count() == 1


def test_a_fix_in_the_county_after_the_end_counts_as_back(ended_leave: Any) -> None:
    from backend.casework.services import check_leave_returns
    from backend.monitoring.models import Alert

    set_last_fix(ended_leave.subject, 37.15, 122.35, at=timezone.now() - dt.timedelta(minutes=30))
    assert check_leave_returns() == 0
    ended_leave.refresh_from_db()
    assert ended_leave.seen_back_at is not None
    assert not Alert.objects.filter(kind="leave_overdue").exists()


def test_a_fix_in_the_county_from_before_the_leave_ended_is_no_proof(ended_leave: Any) -> None:
    from backend.casework.services import check_leave_returns

    set_last_fix(ended_leave.subject, 37.15, 122.35, at=ended_leave.ends_at - dt.timedelta(hours=5))
    assert check_leave_returns() == 1


def test_a_report_back_or_the_grace_keeps_it_quiet(ended_leave: Any, officer_a: Any) -> None:
    from backend.casework.models import LeaveRequest
    from backend.casework.services import check_leave_returns, report_back

    LeaveRequest.objects.filter(pk=ended_leave.pk).update(ends_at=timezone.now() - dt.timedelta(hours=1))
    assert check_leave_returns() == 0  # still within the 2 h grace
    report_back(ended_leave, officer_a)
    assert check_leave_returns(timezone.now() + dt.timedelta(hours=5)) == 0


def test_the_approval_scheduled_the_return_reminders(ended_leave: Any) -> None:
    from backend.reminders.models import Reminder

    keys = set(Reminder.objects.filter(kind="leave_return").values_list("dedupe_key", flat=True))
    assert keys == {
        f"leave_return:{ended_leave.subject_id}:{ended_leave.pk}:day_before",
        f"leave_return:{ended_leave.subject_id}:{ended_leave.pk}:two_hours_before",
    }
