"""casework's periodic jobs on a real Celery worker, through the real broker, against PostgreSQL:
the curfew check (at home, away, asked, no answer), the leave return check and the expiry of a
positioning order; each run twice changes nothing more."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

HOME = (37.15, 122.35)
AWAY = (36.07, 120.38)


def curfew_zone(subject: Any, opened: dt.datetime) -> Any:
    """A curfew zone around the home whose window opened at ``opened`` and runs three hours."""
    from backend.casework import rules
    from backend.monitoring.models import Zone

    start = opened.astimezone(rules.LOCAL_TZ)
    end = start + dt.timedelta(hours=3)
    return Zone.objects.create(
        office_id=subject.office_id,
        subject=subject,
        name="宵禁",
        kind="inclusion",
        purpose="curfew",
        geometry={"type": "Point", "coordinates": [subject.home_lon, subject.home_lat]},
        radius_m=300,
        schedule={
            "tz": "Asia/Shanghai",
            "windows": [],
            "extra_windows": [
                {"start": start.replace(tzinfo=None).isoformat(), "end": end.replace(tzinfo=None).isoformat()}
            ],
        },
    )


def test_the_curfew_jobs_run_on_a_worker(worker: None, office_a: Any, officer_a: Any) -> None:
    from backend.casework.models import CurfewCheck
    from backend.casework.tasks import check_curfews, settle_curfew_answers
    from backend.monitoring.models import Alert, PhoneCommand
    from tests.backend.casework.helpers import set_last_fix
    from tests.conftest import enroll_phone, make_subject

    now = timezone.now()
    opened = (now - dt.timedelta(minutes=20)).replace(second=0, microsecond=0)
    at_home, away, silent = (make_subject(office_a, officer_a) for _ in range(3))
    for subject in (at_home, away, silent):
        enroll_phone(subject, officer_a)
        curfew_zone(subject, opened)
    set_last_fix(at_home, *HOME, at=now - dt.timedelta(minutes=5))
    set_last_fix(away, *AWAY, at=now - dt.timedelta(minutes=5))
    counts = check_curfews.delay().get(timeout=60)
    assert (counts["compliant"], counts["non_compliant"], counts["asked"]) == (1, 1, 1)
    assert sum(check_curfews.delay().get(timeout=60).values()) == 0
    assert Alert.objects.get(kind="curfew").subject_id == away.pk
    assert PhoneCommand.objects.get(kind="fix_now").subject_id == silent.pk
    # The asked phone stays silent past its answer's due time.
    CurfewCheck.objects.filter(subject=silent).update(answer_due=timezone.now() - dt.timedelta(seconds=1))
    assert settle_curfew_answers.delay().get(timeout=60)["no_answer"] == 1
    assert sum(settle_curfew_answers.delay().get(timeout=60).values()) == 0
    assert Alert.objects.get(kind="curfew_no_answer").subject_id == silent.pk


def test_the_leave_and_order_jobs_run_on_a_worker(
    worker: None, subject_a: Any, officer_a: Any, head_a: Any, bureau_head: Any, bureau: Any
) -> None:
    from backend.casework import rules
    from backend.casework.models import LeaveRequest, PositioningOrder
    from backend.casework.services import approve_leave, approve_order, request_order
    from backend.casework.tasks import check_leave_returns, expire_positioning_orders
    from backend.monitoring.models import Alert, MonitorState
    from tests.backend.casework.helpers import make_leave, set_last_fix
    from tests.conftest import enroll_phone

    device, _token = enroll_phone(subject_a, officer_a)
    leave = approve_leave(make_leave(device, start=timezone.now() - dt.timedelta(hours=10), days=1), head_a)
    LeaveRequest.objects.filter(pk=leave.pk).update(ends_at=timezone.now() - dt.timedelta(hours=3))
    set_last_fix(subject_a, *AWAY, at=timezone.now() - dt.timedelta(minutes=10))
    assert check_leave_returns.delay().get(timeout=60) == 1
    assert check_leave_returns.delay().get(timeout=60) == 0
    assert Alert.objects.get(kind="leave_overdue").evidence["leave_request"] == leave.pk

    order = request_order(
        subject_a, bureau_head, ground="police_penalty", reason="x", ends_on=rules.local_date(timezone.now())
    )
    approve_order(order, bureau_head)
    assert MonitorState.objects.get(subject=subject_a).sampling_regime == "continuous"
    PositioningOrder.objects.filter(pk=order.pk).update(ends_at=timezone.now() - dt.timedelta(seconds=1))
    assert expire_positioning_orders.delay().get(timeout=60) == 1
    assert expire_positioning_orders.delay().get(timeout=60) == 0
    order.refresh_from_db()
    assert order.status == "expired"
    assert MonitorState.objects.get(subject=subject_a).sampling_regime == "verification"
