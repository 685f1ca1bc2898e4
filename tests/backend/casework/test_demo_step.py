"""load_demo brings casework's records through the step casework registers."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

pytestmark = pytest.mark.django_db


@override_settings(DEMO_MODE=True)
def test_load_demo_brings_leaves_an_order_and_curfew_zones(capsys: Any) -> None:
    from backend.casework.models import LeaveRequest, PositioningOrder
    from backend.core.demo import demo_steps
    from backend.monitoring.models import Zone

    assert "casework" in [step.name for step in demo_steps()]
    call_command("load_demo", subjects=30, released=2, quiet=True)
    assert LeaveRequest.objects.filter(status="pending").exists()
    assert LeaveRequest.objects.filter(status="approved", destination_zone__isnull=False).exists()
    order = PositioningOrder.objects.get()
    assert order.status == "active" and order.approved_by.role == "bureau_head"
    assert Zone.objects.filter(purpose="curfew", subject__isnull=False).exists()
    counts = (LeaveRequest.objects.count(), PositioningOrder.objects.count())
    call_command("load_demo", subjects=30, released=2, quiet=True)  # idempotent
    assert (LeaveRequest.objects.count(), PositioningOrder.objects.count()) == counts
    assert "casework:" in capsys.readouterr().out
