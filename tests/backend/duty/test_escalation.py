"""An alert nobody acknowledges in time escalates: the office head, then the bureau on duty."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.backend.duty.conftest import raise_alert, shift
from tests.backend.reminders.conftest import FakeTransport, long_token, staff_token

pytestmark = pytest.mark.django_db


def age(alert: Any, minutes: float) -> None:
    from backend.monitoring.models import Alert

    Alert.objects.filter(pk=alert.pk).update(raised_at=timezone.now() - dt.timedelta(minutes=minutes))


def escalate(capture: Any) -> int:
    from backend.duty.tasks import escalate_unacknowledged_alerts

    with capture(execute=True):
        return int(escalate_unacknowledged_alerts.delay().get())


def test_the_seeded_policy_is_critical_ten_minutes_warning_an_hour() -> None:
    from backend.duty.models import EscalationPolicy

    policies = {
        p.severity: (p.office_head_after_minutes, p.bureau_after_minutes)
        for p in EscalationPolicy.objects.all()
    }
    assert policies == {"critical": (10, 30), "warning": (60, 240)}


def test_a_critical_alert_goes_to_the_office_head_after_ten_minutes_then_to_the_bureau_on_duty(
    subject_a: Any,
    head_a: Any,
    bureau,
    bureau_staff: Any,
    bureau_head: Any,
    fake_transport: FakeTransport,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from backend.monitoring.models import Alert, ConsoleEvent

    alert = raise_alert(subject_a)
    staff_token(head_a, "head-a")
    staff_token(bureau_staff, "bureau-staff")
    shift(bureau, bureau_staff)
    age(alert, 9)
    assert escalate(django_capture_on_commit_callbacks) == 0

    age(alert, 11)
    fake_transport.sent.clear()
    assert escalate(django_capture_on_commit_callbacks) == 1
    alert.refresh_from_db()
    assert alert.escalation_level == 1 and alert.escalated_at is not None
    [step] = alert.escalations
    assert step["level"] == 1 and step["to"] == [{"id": head_a.pk, "name": "测head_a"}]
    event = ConsoleEvent.objects.filter(type="alert.updated").latest("seq")
    assert event.payload["id"] == alert.pk and event.payload["escalation_level"] == 1
    [push] = fake_transport.sent
    assert push.tokens == (long_token("head-a"),) and "所长" in push.title

    # Run again at once: nothing more (idempotent), no second push.
    assert escalate(django_capture_on_commit_callbacks) == 0
    assert len(fake_transport.sent) == 1

    age(alert, 31)
    assert escalate(django_capture_on_commit_callbacks) == 1
    alert.refresh_from_db()
    assert alert.escalation_level == 2 and [s["level"] for s in alert.escalations] == [1, 2]
    assert alert.escalations[1]["to"] == [{"id": bureau_staff.pk, "name": "测bureau_staff"}]
    assert fake_transport.sent[-1].tokens == (long_token("bureau-staff"),)
    assert "局值班" in fake_transport.sent[-1].title
    assert Alert.objects.get(pk=alert.pk).status == "open"


def test_with_nobody_on_bureau_duty_the_bureau_heads_are_told(
    subject_a: Any, head_a: Any, bureau_head: Any, django_capture_on_commit_callbacks: Any
) -> None:
    alert = raise_alert(subject_a)
    age(alert, 45)  # both deadlines passed (the escalator was down): both steps, at once
    assert escalate(django_capture_on_commit_callbacks) == 1
    alert.refresh_from_db()
    assert alert.escalation_level == 2
    assert [s["to"] for s in alert.escalations] == [
        [{"id": head_a.pk, "name": "测head_a"}],
        [{"id": bureau_head.pk, "name": "测bureau_head"}],
    ]
    assert [s["after_minutes"] for s in alert.escalations] == [10, 30]


def test_an_acknowledged_alert_is_not_escalated(
    subject_a: Any, officer_a: Any, head_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from backend.monitoring.services import acknowledge_alert

    alert = raise_alert(subject_a)
    acknowledge_alert(alert, officer_a)
    age(alert, 500)
    assert escalate(django_capture_on_commit_callbacks) == 0
    alert.refresh_from_db()
    assert alert.escalation_level == 0 and alert.escalations == []


def test_warnings_wait_an_hour_and_infos_never_escalate(
    subject_a: Any, head_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    warning = raise_alert(subject_a, severity="warning", key="w")
    info = raise_alert(subject_a, severity="info", key="i")
    age(warning, 59)
    age(info, 10_000)
    assert escalate(django_capture_on_commit_callbacks) == 0
    age(warning, 61)
    assert escalate(django_capture_on_commit_callbacks) == 1
    warning.refresh_from_db()
    info.refresh_from_db()
    assert (warning.escalation_level, info.escalation_level) == (1, 0)


def test_the_policy_is_data(subject_a: Any, head_a: Any, django_capture_on_commit_callbacks: Any) -> None:
    from backend.duty.models import EscalationPolicy

    EscalationPolicy.objects.filter(severity="critical").update(
        office_head_after_minutes=2, bureau_after_minutes=None
    )
    alert = raise_alert(subject_a)
    age(alert, 3)
    assert escalate(django_capture_on_commit_callbacks) == 1
    age(alert, 3000)
    assert escalate(django_capture_on_commit_callbacks) == 0
    alert.refresh_from_db()
    assert alert.escalation_level == 1


def test_the_escalation_is_in_the_alert_api(
    api: Any, subject_a: Any, officer_a: Any, head_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    alert = raise_alert(subject_a)
    age(alert, 15)
    escalate(django_capture_on_commit_callbacks)
    body = api(officer_a).get(f"/api/v1/alerts/{alert.pk}").json()
    assert body["escalation_level"] == 1 and body["escalated_at"]
    assert body["escalations"][0]["to"] == [{"id": head_a.pk, "name": "测head_a"}]
