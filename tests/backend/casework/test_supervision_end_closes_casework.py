"""When a supervision ends, casework closes what was open: the curfew zone, pending leave, orders."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.backend.casework.helpers import make_leave

pytestmark = pytest.mark.django_db


def test_ending_the_supervision_closes_curfew_leave_and_orders(
    phone_a: Any, bureau_head: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from backend.casework import rules
    from backend.casework.services import approve_order, request_order, sync_home_zones
    from backend.supervision.services import end_supervision

    device, _client = phone_a
    subject = device.subject
    curfew = sync_home_zones(subject)["curfew"]
    assert curfew is not None and curfew.is_active
    leave = make_leave(device)
    order = approve_order(
        request_order(
            subject,
            bureau_head,
            ground="revocation_pending",
            reason="拟提请撤销缓刑",
            ends_on=rules.local_date(timezone.now()) + dt.timedelta(days=10),
        ),
        bureau_head,
    )
    with django_capture_on_commit_callbacks(execute=True):
        end_supervision(subject)
    curfew.refresh_from_db()
    leave.refresh_from_db()
    order.refresh_from_db()
    assert curfew.is_active is False
    assert leave.status == "rejected" and leave.decision_note == "社区矫正已解除"
    assert order.status == "ended" and order.ends_at <= timezone.now()
    assert [c.kind for c in order.changes.all()] == ["approved", "ended"]
