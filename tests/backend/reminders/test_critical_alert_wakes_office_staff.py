"""A critical alert is pushed, HIGH priority, to the staff phones of its own office, and nowhere else."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone

from notifications import Priority
from tests.backend.reminders.conftest import DEAD_TOKEN, TEMPORARY, FakeTransport, long_token, staff_token
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db


def raise_alert(subject: Any, severity: str = "critical", kind: str = "left_zone", key: str = "k1") -> Any:
    from backend.monitoring.services import raise_alert as monitoring_raise_alert

    with transaction.atomic():
        return monitoring_raise_alert(
            subject, kind=kind, severity=severity, occurred_at=timezone.now(), dedupe_key=f"test:{key}"
        )


@pytest.fixture
def tokens(officer_a: Any, head_a: Any, officer_b: Any, bureau_head: Any, office_a: Any) -> dict[str, Any]:
    retired = make_staff("retired_a", "officer", office_a, is_active=False)
    return {
        "officer_a": staff_token(officer_a, "officer-a"),
        "head_a": staff_token(head_a, "head-a"),
        "officer_b": staff_token(officer_b, "officer-b"),
        "bureau": staff_token(bureau_head, "bureau"),
        "retired": staff_token(retired, "retired"),
    }


def test_a_critical_alert_wakes_the_officers_and_head_of_its_office_only(
    subject_a: Any, tokens: dict[str, Any], transport: FakeTransport, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        alert = raise_alert(subject_a)  # monitoring queues the wake-up after commit
    [message] = transport.sent
    assert set(message.tokens) == {long_token("officer-a"), long_token("head-a")}
    assert message.priority == Priority.HIGH
    # The name stops at the surname: the push crosses the push provider's servers.
    assert message.title == f"严重预警：{subject_a.name[0]}{'*' * (len(subject_a.name) - 1)}"
    assert subject_a.name not in message.title + message.body and "离开活动区域" in message.body
    assert message.data == {
        "kind": "alert",
        "alert_id": str(alert.pk),
        "subject_id": str(subject_a.pk),
        "seq": str(alert.seq),
    }


def test_each_staff_delivery_is_logged_per_person(
    subject_a: Any, officer_a: Any, head_a: Any, tokens: dict[str, Any], transport: FakeTransport
) -> None:
    from backend.monitoring.services import notify_staff_of_alert
    from backend.reminders.models import DeliveryAttempt

    alert = raise_alert(subject_a)
    notify_staff_of_alert(alert.pk)
    rows = DeliveryAttempt.objects.filter(alert=alert).order_by("staff_user_id")
    assert [(r.staff_user, r.recipient, r.result, r.subject) for r in rows] == [
        (officer_a, "staff", "ok", subject_a),
        (head_a, "staff", "ok", subject_a),
    ]
    assert {r.token_prefix for r in rows} == {long_token("officer-a")[:8], long_token("head-a")[:8]}


def test_warnings_and_infos_wake_nobody(
    subject_a: Any, tokens: dict[str, Any], transport: FakeTransport, django_capture_on_commit_callbacks: Any
) -> None:
    from backend.monitoring import tasks

    with (
        mock.patch.object(tasks.push_alert_to_staff, "apply_async") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        raise_alert(subject_a, severity="warning", kind="approaching", key="w")
        raise_alert(subject_a, severity="info", kind="low_battery", key="i")
    queued.assert_not_called()
    assert transport.sent == []


def test_the_push_is_queued_after_the_commit_not_sent_inside_it(
    subject_a: Any, tokens: dict[str, Any], transport: FakeTransport, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        raise_alert(subject_a)
        assert transport.sent == []
    for callback in callbacks:
        callback()
    assert len(transport.sent) == 1


def test_running_the_task_again_sends_nothing_more(
    subject_a: Any, tokens: dict[str, Any], transport: FakeTransport
) -> None:
    from backend.monitoring import tasks

    alert = raise_alert(subject_a)
    tasks.push_alert_to_staff(alert.pk)
    tasks.push_alert_to_staff(alert.pk)
    assert len(transport.sent) == 1


def test_only_the_tokens_that_failed_temporarily_are_retried(
    subject_a: Any, tokens: dict[str, Any], transport: FakeTransport
) -> None:
    from backend.monitoring import tasks

    transport.fail_tokens = {long_token("head-a"): TEMPORARY}
    alert = raise_alert(subject_a)
    with mock.patch.object(tasks.push_alert_to_staff, "apply_async") as later:
        tasks.push_alert_to_staff(alert.pk)
    assert 0 <= later.call_args.kwargs["countdown"] <= 2.0
    transport.fail_tokens = {}
    tasks.push_alert_to_staff(alert.pk)
    assert [m.tokens for m in transport.sent] == [
        (long_token("officer-a"), long_token("head-a")),
        (long_token("head-a"),),
    ]


def test_a_dead_staff_token_is_forgotten(
    subject_a: Any, tokens: dict[str, Any], transport: FakeTransport
) -> None:
    from backend.monitoring.services import notify_staff_of_alert

    transport.fail_tokens = {long_token("officer-a"): DEAD_TOKEN}
    notify_staff_of_alert(raise_alert(subject_a).pk)
    tokens["officer_a"].refresh_from_db()
    assert tokens["officer_a"].forgotten_at is not None
    notify_staff_of_alert(raise_alert(subject_a, key="k2").pk)
    assert transport.sent[-1].tokens == (long_token("head-a"),)


def test_an_alert_acknowledged_before_the_push_wakes_nobody(
    subject_a: Any, officer_a: Any, tokens: dict[str, Any], transport: FakeTransport
) -> None:
    from backend.monitoring.services import acknowledge_alert, notify_staff_of_alert

    alert = raise_alert(subject_a)
    acknowledge_alert(alert, officer_a)
    assert notify_staff_of_alert(alert.pk) is None
    assert transport.sent == []


def test_office_b_staff_are_woken_for_office_b_people(
    subject_b: Any, tokens: dict[str, Any], transport: FakeTransport
) -> None:
    from backend.monitoring.services import notify_staff_of_alert

    notify_staff_of_alert(raise_alert(subject_b).pk)
    assert [m.tokens for m in transport.sent] == [(long_token("officer-b"),)]
