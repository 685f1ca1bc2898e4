"""The fallback channel: pending reminders ride back on every check-in answer until the phone acknowledges them."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.utils import timezone

from tests.backend.reminders.conftest import add_reminder
from tests.conftest import device_client, enroll_phone

pytestmark = pytest.mark.django_db


def checkin_body() -> dict[str, Any]:
    return {
        "checkins": [
            {
                "id": str(uuid.uuid4()),
                "recorded_at": "2026-11-27T10:00:00+08:00",
                "lat": 37.15,
                "lon": 122.35,
                "accuracy_m": 10,
                "crs": "wgs84",
            }
        ]
    }


def upload(client: Any) -> dict[str, Any]:
    response = client.post("/api/v1/mobile/checkins", checkin_body(), format="json")
    assert response.status_code == 200, response.content
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture
def phone(subject_a: Any, officer_a: Any) -> Any:
    _device, token = enroll_phone(subject_a, officer_a)
    return device_client(token)


def test_a_due_reminder_is_in_the_check_in_answer(phone: Any, subject_a: Any) -> None:
    reminder = add_reminder(subject_a, "notice:1", extra="值")
    answer = upload(phone)
    assert answer["reminders"] == [
        {
            "id": str(reminder.pk),
            "type": "other",
            "title": "测试提醒",
            "body": "这是一条测试提醒。",
            "data": {"extra": "值"},
        }
    ]
    assert answer["commands"] == []


def test_an_acknowledged_reminder_is_no_longer_returned(phone: Any, subject_a: Any) -> None:
    first = add_reminder(subject_a, "notice:1")
    second = add_reminder(subject_a, "notice:2")
    response = phone.post(f"/api/v1/mobile/reminders/{first.pk}/ack")
    assert response.status_code == 200, response.content
    assert response.json()["id"] == str(first.pk) and response.json()["acknowledged_at"]
    assert [item["id"] for item in upload(phone)["reminders"]] == [str(second.pk)]
    phone.post(f"/api/v1/mobile/reminders/{second.pk}/ack")
    assert upload(phone)["reminders"] == []


def test_acknowledging_twice_is_harmless_and_keeps_the_first_time(phone: Any, subject_a: Any) -> None:
    reminder = add_reminder(subject_a)
    first = phone.post(f"/api/v1/mobile/reminders/{reminder.pk}/ack").json()
    again = phone.post(f"/api/v1/mobile/reminders/{reminder.pk}/ack")
    assert again.status_code == 200
    assert again.json() == first


def test_a_phone_cannot_see_or_acknowledge_another_persons_reminder(phone: Any, subject_b: Any) -> None:
    other = add_reminder(subject_b)
    assert upload(phone)["reminders"] == []
    assert phone.post(f"/api/v1/mobile/reminders/{other.pk}/ack").status_code == 404
    other.refresh_from_db()
    assert other.acknowledged_at is None


def test_future_and_expired_reminders_are_not_returned(phone: Any, subject_a: Any) -> None:
    now = timezone.now()
    add_reminder(subject_a, "later", due_at=now + dt.timedelta(hours=2))
    add_reminder(
        subject_a, "gone", due_at=now - dt.timedelta(hours=2), expires_at=now - dt.timedelta(minutes=1)
    )
    assert upload(phone)["reminders"] == []


def test_a_check_in_prompt_disappears_once_the_phone_has_checked_in(phone: Any, subject_a: Any) -> None:
    from backend.monitoring.models import MonitorState
    from backend.monitoring.services import schedule_checkin_prompts
    from backend.reminders.services import pending_reminders

    MonitorState.objects.filter(subject=subject_a).update(
        next_checkin_due=timezone.now() + dt.timedelta(minutes=5)
    )
    schedule_checkin_prompts()
    assert pending_reminders(subject_a.pk).filter(kind="checkin").exists()
    # The upload that answers the prompt gets an answer without it.
    assert upload(phone)["reminders"] == []


def test_the_phone_can_also_fetch_its_pending_reminders(phone: Any, subject_a: Any) -> None:
    reminder = add_reminder(subject_a)
    response = phone.get("/api/v1/mobile/reminders")
    assert response.status_code == 200
    assert [item["id"] for item in response.json()] == [str(reminder.pk)]


def test_the_function_monitoring_calls_returns_the_same_items(subject_a: Any, officer_a: Any) -> None:
    from backend.reminders.services import pending_payload

    device, _token = enroll_phone(subject_a, officer_a)
    reminder = add_reminder(subject_a)
    assert [item["id"] for item in pending_payload(device)] == [str(reminder.pk)]
