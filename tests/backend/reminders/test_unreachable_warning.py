"""A person whose pushes keep failing becomes an "unreachable" risk warning, once per person and day."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from tests.backend.reminders.conftest import DEAD_TOKEN, OUR_FAULT, TEMPORARY, FakeTransport, add_reminder

pytestmark = pytest.mark.django_db


def unreachable_alerts() -> list[Any]:
    from backend.monitoring.models import Alert

    return list(Alert.objects.filter(kind="unreachable"))


def push(subject: Any, key: str) -> Any:
    from backend.reminders.models import Reminder
    from backend.reminders.services import deliver_reminder

    reminder = add_reminder(subject, key)
    delivery = deliver_reminder(reminder.pk)
    while delivery is not None and delivery.status == "retrying":
        Reminder.objects.filter(pk=reminder.pk).update(push_next_at=timezone.now())
        delivery = deliver_reminder(reminder.pk)
    return delivery


def test_three_failed_reminders_in_a_row_raise_one_unreachable_warning(
    phone_a: Any, subject_a: Any, transport: FakeTransport
) -> None:
    transport.fail_next = [OUR_FAULT] * 4
    push(subject_a, "r1")
    push(subject_a, "r2")
    assert unreachable_alerts() == []
    push(subject_a, "r3")
    [alert] = unreachable_alerts()
    assert (alert.subject, alert.office_id, alert.severity, alert.category) == (
        subject_a,
        subject_a.office_id,
        "warning",
        "risk",
    )
    assert alert.evidence["reason"] == "failed_deliveries"
    assert len(alert.evidence["failed_reminders"]) == 3
    assert alert.dedupe_key.startswith(f"unreachable:{subject_a.pk}:")
    push(subject_a, "r4")  # still failing the same day: no second warning
    assert len(unreachable_alerts()) == 1


def test_a_success_in_between_resets_the_count(
    phone_a: Any, subject_a: Any, transport: FakeTransport
) -> None:
    transport.fail_next = [OUR_FAULT, OUR_FAULT, None, OUR_FAULT, OUR_FAULT]  # type: ignore[list-item]
    for n in range(5):
        push(subject_a, f"r{n}")
    assert unreachable_alerts() == []


def test_temporary_failures_that_succeed_on_retry_do_not_count(
    phone_a: Any, subject_a: Any, transport: FakeTransport
) -> None:
    # A few seconds of provider trouble fail many attempts, but every reminder arrives in the end.
    transport.fail_next = [TEMPORARY, TEMPORARY, None, TEMPORARY, None, TEMPORARY, TEMPORARY, None]  # type: ignore[list-item]
    for n in range(3):
        assert push(subject_a, f"r{n}").status == "sent"
    assert unreachable_alerts() == []


def test_retries_exhausted_three_times_is_unreachable(
    phone_a: Any, subject_a: Any, transport: FakeTransport, settings: Any
) -> None:
    settings.PUSH_MAX_ATTEMPTS = 2
    transport.fail_next = [TEMPORARY] * 6
    for n in range(3):
        assert push(subject_a, f"r{n}").status == "failed"
    assert len(unreachable_alerts()) == 1


def test_a_forgotten_token_with_reminders_waiting_is_unreachable_at_once(
    phone_a: Any, subject_a: Any, transport: FakeTransport
) -> None:
    transport.fail_next = [DEAD_TOKEN]
    push(subject_a, "r1")
    [alert] = unreachable_alerts()
    assert alert.evidence["reason"] == "token_forgotten"
    assert alert.evidence["pending_reminders"] == [subject_a.reminders.get().pk]


def test_a_phone_that_never_had_a_push_token_is_not_unreachable(
    subject_a: Any, officer_a: Any, transport: FakeTransport
) -> None:
    from tests.conftest import enroll_phone

    enroll_phone(subject_a, officer_a)  # reminders reach it in check-in answers
    for n in range(4):
        assert push(subject_a, f"r{n}").status == "no_token"
    assert unreachable_alerts() == []
