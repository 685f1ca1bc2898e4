"""Pushing reminders: after commit, once, retried with backoff when the failure is temporary,
forgetting dead tokens, and logging every attempt with only a prefix of the token."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import pytest
from django.utils import timezone

from notifications import Priority, TransportError, register_transport, unregister_transport
from tests.backend.reminders.conftest import (
    DEAD_TOKEN,
    OUR_FAULT,
    TEMPORARY,
    FakeTransport,
    add_reminder,
    long_token,
)

pytestmark = pytest.mark.django_db


def deliver(reminder: Any) -> Any:
    from backend.reminders.services import deliver_reminder

    return deliver_reminder(reminder.pk)


def attempts() -> list[Any]:
    from backend.reminders.models import DeliveryAttempt

    return list(DeliveryAttempt.objects.order_by("id"))


def retry_is_due_now(reminder: Any) -> None:
    """Let the retry countdown pass."""
    from backend.reminders.models import Reminder

    Reminder.objects.filter(pk=reminder.pk).update(push_next_at=timezone.now())


def test_a_reminder_is_pushed_by_a_worker_after_the_commit(
    phone_a: Any, subject_a: Any, transport: FakeTransport, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        add_reminder(subject_a)
    assert transport.sent == [] and len(callbacks) == 1  # nothing leaves inside the transaction
    callbacks[0]()  # the commit: the (eager) task runs
    [message] = transport.sent
    assert message.tokens == (long_token("phone-a"),)
    assert (message.title, message.body, message.priority) == (
        "测试提醒",
        "这是一条测试提醒。",
        Priority.NORMAL,
    )
    assert message.data["reminder_id"] == str(subject_a.reminders.get().pk)


def test_a_delivered_push_is_logged_with_the_token_prefix_only(
    phone_a: Any, subject_a: Any, transport: FakeTransport
) -> None:
    device, _token = phone_a
    reminder = add_reminder(subject_a)
    assert deliver(reminder).status == "sent"
    [row] = attempts()
    assert (row.reminder, row.subject, row.device, row.recipient) == (reminder, subject_a, device, "subject")
    assert (row.transport, row.attempt, row.result, row.error_code) == ("fake", 1, "ok", "")
    assert row.message_id == "projects/test/messages/1"
    assert row.token_prefix == long_token("phone-a")[:8]
    reminder.refresh_from_db()
    assert reminder.push_status == "sent" and reminder.push_finished_at is not None


def test_a_delivered_reminder_is_not_sent_again(
    phone_a: Any, subject_a: Any, transport: FakeTransport
) -> None:
    from backend.reminders import tasks

    reminder = add_reminder(subject_a)
    assert tasks.send_reminder(reminder.pk) == "sent"
    assert tasks.send_reminder(reminder.pk) is None  # a redelivered task message, or a second dispatcher run
    assert len(transport.sent) == 1 and len(attempts()) == 1


def test_an_urgent_reminder_is_pushed_with_high_priority(
    phone_a: Any, subject_a: Any, transport: FakeTransport
) -> None:
    deliver(add_reminder(subject_a, urgent=True))
    assert transport.sent[0].priority == Priority.HIGH


def test_a_temporary_failure_is_retried_with_a_countdown(
    phone_a: Any, subject_a: Any, transport: FakeTransport
) -> None:
    from backend.reminders import tasks

    reminder = add_reminder(subject_a)
    transport.fail_next = [TEMPORARY]
    with mock.patch.object(tasks.send_reminder, "apply_async") as later:
        assert tasks.send_reminder(reminder.pk) == "retrying"
    later.assert_called_once()
    countdown = later.call_args.kwargs["countdown"]
    assert later.call_args.kwargs["args"] == (reminder.pk,)
    assert 0 <= countdown <= 2.0  # RetryPolicy.delay_for(1): full jitter up to base_delay_s
    [failed] = attempts()
    assert (failed.result, failed.error_code, failed.attempt) == ("temporary", "UNAVAILABLE", 1)
    assert failed.next_retry_at is not None
    reminder.refresh_from_db()
    assert reminder.push_status == "retrying"

    retry_is_due_now(reminder)
    assert tasks.send_reminder(reminder.pk) == "sent"
    assert [(a.attempt, a.result) for a in attempts()] == [(1, "temporary"), (2, "ok")]


def test_the_providers_retry_after_is_honoured(
    phone_a: Any, subject_a: Any, transport: FakeTransport
) -> None:
    from backend.reminders import tasks

    transport.fail_next = [TransportError("quota", code="QUOTA_EXCEEDED", permanent=False, retry_after=120.0)]
    with mock.patch.object(tasks.send_reminder, "apply_async") as later:
        tasks.send_reminder(add_reminder(subject_a).pk)
    assert later.call_args.kwargs["countdown"] == 120.0


def test_temporary_failures_stop_after_the_configured_number_of_sends(
    phone_a: Any, subject_a: Any, transport: FakeTransport, settings: Any
) -> None:
    settings.PUSH_MAX_ATTEMPTS = 3
    reminder = add_reminder(subject_a)
    transport.fail_next = [TEMPORARY] * 10
    outcomes = []
    for _ in range(5):
        delivery = deliver(reminder)
        outcomes.append(delivery and (delivery.status, delivery.retry_in is not None))
        retry_is_due_now(reminder)
    assert outcomes == [("retrying", True), ("retrying", True), ("failed", False), None, None]
    assert len(transport.sent) == 3


def test_a_retry_cannot_run_before_its_countdown(
    phone_a: Any, subject_a: Any, transport: FakeTransport
) -> None:
    from backend.reminders.models import Reminder

    reminder = add_reminder(subject_a)
    transport.fail_next = [TEMPORARY]
    deliver(reminder)
    Reminder.objects.filter(pk=reminder.pk).update(push_next_at=timezone.now() + dt.timedelta(minutes=3))
    assert deliver(reminder) is None
    assert len(transport.sent) == 1


def test_a_dead_token_is_forgotten_and_the_failure_logged(
    phone_a: Any, subject_a: Any, transport: FakeTransport
) -> None:
    from backend.reminders import tasks
    from backend.reminders.services import pending_reminders

    device, _token = phone_a
    reminder = add_reminder(subject_a)
    transport.fail_next = [DEAD_TOKEN]
    with mock.patch.object(tasks.send_reminder, "apply_async") as later:
        assert tasks.send_reminder(reminder.pk) == "failed"
    later.assert_not_called()  # a permanent failure is not retried
    device.refresh_from_db()
    assert device.push_token == ""
    [row] = attempts()
    assert (row.result, row.error_code, row.token_forgotten) == ("permanent", "UNREGISTERED", True)
    # The reminder still reaches the phone in its next check-in answer.
    assert list(pending_reminders(subject_a.pk)) == [reminder]


def test_a_permanent_failure_that_is_not_the_tokens_fault_keeps_the_token(
    phone_a: Any, subject_a: Any, transport: FakeTransport
) -> None:
    device, _token = phone_a
    transport.fail_next = [OUR_FAULT]
    assert deliver(add_reminder(subject_a)).status == "failed"
    device.refresh_from_db()
    assert device.push_token == long_token("phone-a")
    assert [(a.result, a.token_forgotten) for a in attempts()] == [("permanent", False)]


def test_log_rows_hold_only_a_prefix_of_the_token(
    phone_a: Any, subject_a: Any, transport: FakeTransport
) -> None:
    transport.fail_next = [TEMPORARY, None, DEAD_TOKEN]  # type: ignore[list-item]
    for key in ("a", "b"):
        reminder = add_reminder(subject_a, key)
        deliver(reminder)
        retry_is_due_now(reminder)
        deliver(reminder)
    token = long_token("phone-a")
    rows = attempts()
    assert len(rows) >= 3
    for row in rows:
        assert len(row.token_prefix) == 8 and token.startswith(row.token_prefix)
        for model_field in row._meta.fields:
            assert token not in str(getattr(row, model_field.attname)), model_field.name


def test_acknowledged_expired_and_tokenless_reminders_are_not_pushed(
    subject_a: Any, officer_a: Any, phone_a: Any, transport: FakeTransport
) -> None:
    from backend.reminders.services import acknowledge_reminder, set_device_push_token

    device, _token = phone_a
    acknowledged = add_reminder(subject_a, "acked")
    acknowledge_reminder(device, acknowledged.pk)
    expired = add_reminder(subject_a, "expired", expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert deliver(acknowledged).status == "skipped"
    assert deliver(expired).status == "skipped"
    set_device_push_token(device, "")
    assert deliver(add_reminder(subject_a, "no-token")).status == "no_token"
    assert transport.sent == [] and attempts() == []


def test_the_dispatcher_queues_due_and_stuck_pushes(
    phone_a: Any, subject_a: Any, transport: FakeTransport, django_capture_on_commit_callbacks: Any
) -> None:
    from backend.reminders.models import Reminder
    from backend.reminders.services import dispatch_due_reminders

    reminder = add_reminder(subject_a)
    # A worker claimed it and died: after the lease it is picked up again.
    Reminder.objects.filter(pk=reminder.pk).update(
        push_status="sending", push_next_at=timezone.now() - dt.timedelta(seconds=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch_due_reminders() == 1
    reminder.refresh_from_db()
    assert reminder.push_status == "sent" and len(transport.sent) == 1


def test_a_transport_that_raises_is_a_temporary_failure(
    phone_a: Any, subject_a: Any, transport: FakeTransport
) -> None:
    transport.send = mock.Mock(side_effect=RuntimeError("bug"))  # type: ignore[method-assign]
    delivery = deliver(add_reminder(subject_a))
    assert delivery.status == "retrying"
    assert [(a.result, a.error_code) for a in attempts()] == [("temporary", "transport_exception")]


def test_the_transport_named_in_settings_is_built_once_per_process(
    phone_a: Any, subject_a: Any, settings: Any
) -> None:
    from backend.reminders.push import get_transport, use_transport

    built: list[FakeTransport] = []

    def factory() -> FakeTransport:
        built.append(FakeTransport())
        return built[-1]

    register_transport("fake-for-test", factory)
    try:
        use_transport(None)
        settings.PUSH_TRANSPORT = "fake-for-test"
        assert get_transport() is get_transport()
        deliver(add_reminder(subject_a, "one"))
        deliver(add_reminder(subject_a, "two"))
        assert len(built) == 1 and len(built[0].sent) == 2
        assert {a.transport for a in attempts()} == {"fake"}
    finally:
        unregister_transport("fake-for-test")
        use_transport(None)


def test_the_default_transport_is_the_console(settings: Any) -> None:
    from backend.reminders.push import get_transport, use_transport

    use_transport(None)
    assert settings.PUSH_TRANSPORT == "console"
    assert get_transport().name == "console"
