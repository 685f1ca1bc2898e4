"""load_demo's duty step: a week's roster of every office and of the bureau, day and night shifts
taking turns, replaced (not doubled) when the demo is loaded again."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_the_demo_roster_covers_now_for_every_office_and_the_bureau(
    officer_a: Any, head_a: Any, officer_b: Any, bureau_head: Any, bureau_staff: Any, auditor: Any
) -> None:
    from backend.core.demo import demo_steps
    from backend.duty import services
    from backend.duty.models import DutyShift

    [step] = [step for step in demo_steps() if step.name == "duty roster"]
    assert step.run().endswith("over 7 days")
    count = DutyShift.objects.count()
    assert step.run() and DutyShift.objects.count() == count  # idempotent
    now = timezone.now()
    assert services.staff_on_duty(officer_a.office_id, now)[0] in {officer_a.pk, head_a.pk}
    assert services.staff_on_duty(officer_b.office_id, now) == [officer_b.pk]
    [on_bureau_duty] = services.staff_on_duty(bureau_head.office_id, now)
    assert on_bureau_duty in {bureau_head.pk, bureau_staff.pk}  # never the auditor
    # Every shift passes the roster's own checks.
    for shift in DutyShift.objects.select_related("office", "user"):
        services.check_shift(shift.office, shift.user, shift.starts_at, shift.ends_at)
