"""A scripted push transport for the reminder tests, and builders for reminders and staff tokens."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from django.utils import timezone

from notifications import DeliveryResult, Message, Transport, TransportError

TEMPORARY = TransportError("Service unavailable", code="UNAVAILABLE", permanent=False, retry_after=None)
DEAD_TOKEN = TransportError(
    "Requested entity was not found.", code="UNREGISTERED", permanent=True, forget_token=True
)
OUR_FAULT = TransportError("APNs auth error", code="THIRD_PARTY_AUTH_ERROR", permanent=True)


class FakeTransport(Transport):
    """Delivers everything, unless told to fail: ``fail_next`` errors are used one per send."""

    name: ClassVar[str] = "fake"

    def __init__(self) -> None:
        self.sent: list[Message] = []
        self.fail_next: list[TransportError] = []
        self.fail_tokens: dict[str, TransportError] = {}
        self._ids = itertools.count(1)

    def send(self, message: Message) -> list[DeliveryResult]:
        self.sent.append(message)
        error = self.fail_next.pop(0) if self.fail_next else None
        results = []
        for token in message.tokens:
            failure = self.fail_tokens.get(token) or error
            if failure is not None:
                results.append(DeliveryResult.failed(token, failure))
            else:
                results.append(DeliveryResult.delivered(token, f"projects/test/messages/{next(self._ids)}"))
        return results


@pytest.fixture(autouse=True)
def no_quiet_hours(settings: Any) -> None:
    """Quiet hours off, so a test does not depend on the hour it runs at (the quiet-hours tests set them)."""
    settings.QUIET_HOURS = "off"


@pytest.fixture
def transport() -> Iterator[FakeTransport]:
    """The process's push transport replaced by a ``FakeTransport`` for one test."""
    from backend.reminders.push import use_transport

    fake = FakeTransport()
    use_transport(fake)
    yield fake
    use_transport(None)


# FCM tokens are long; the log must keep only the first few characters.
def long_token(name: str) -> str:
    return f"{name}:APA91b" + "x" * 140


@pytest.fixture
def phone_a(subject_a: Any, officer_a: Any) -> Any:
    """subject_a's enrolled phone with a push token: ``(device, device_token)``."""
    from tests.conftest import enroll_phone

    device, token = enroll_phone(subject_a, officer_a)
    device.push_token = long_token("phone-a")
    device.save(update_fields=["push_token"])
    return device, token


def add_reminder(
    subject: Any,
    key: str = "test:1",
    *,
    due_at: dt.datetime | None = None,
    urgent: bool = False,
    kind: str = "other",
    expires_at: dt.datetime | None = None,
    **data: str,
) -> Any:
    """A reminder due now (or at ``due_at``), created through the service without queuing a push."""
    from backend.reminders.services import schedule_reminder

    return schedule_reminder(
        subject,
        kind,
        due_at or timezone.now() - dt.timedelta(minutes=1),
        "测试提醒",
        "这是一条测试提醒。",
        data,
        dedupe_key=key,
        urgent=urgent,
        expires_at=expires_at,
    )


def staff_token(user: Any, name: str, platform: str = "android") -> Any:
    from backend.reminders.services import register_staff_push_token

    return register_staff_push_token(user, long_token(name), platform)
