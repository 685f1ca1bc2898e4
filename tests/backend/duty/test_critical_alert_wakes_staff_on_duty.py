"""A critical alert wakes the office's staff on duty; with nobody on its roster, every officer."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.backend.duty.conftest import raise_alert, shift
from tests.backend.reminders.conftest import FakeTransport, long_token, staff_token
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def phones(officer_a: Any, head_a: Any, office_a: Any, officer_b: Any) -> dict[str, Any]:
    second = make_staff("officer_a2", "officer", office_a)
    return {
        "officer_a": staff_token(officer_a, "officer-a"),
        "officer_a2": staff_token(second, "officer-a2"),
        "head_a": staff_token(head_a, "head-a"),
        "officer_b": staff_token(officer_b, "officer-b"),
        "second": second,
    }


def test_the_officer_on_duty_is_woken_and_nobody_else(
    subject_a: Any,
    office_a: Any,
    phones: dict[str, Any],
    fake_transport: FakeTransport,
    django_capture_on_commit_callbacks: Any,
) -> None:
    shift(office_a, phones["second"])
    with django_capture_on_commit_callbacks(execute=True):
        raise_alert(subject_a)
    [message] = fake_transport.sent
    assert message.tokens == (long_token("officer-a2"),)


def test_with_nobody_on_duty_now_every_officer_and_the_head_are_woken(
    subject_a: Any,
    office_a: Any,
    phones: dict[str, Any],
    fake_transport: FakeTransport,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # A shift that ended an hour ago and one of another office do not count.
    shift(office_a, phones["second"], starts=timezone.now() - dt.timedelta(hours=9))
    with django_capture_on_commit_callbacks(execute=True):
        raise_alert(subject_a)
    [message] = fake_transport.sent
    assert set(message.tokens) == {long_token("officer-a"), long_token("officer-a2"), long_token("head-a")}


def test_an_inactive_person_on_the_roster_does_not_count(
    subject_a: Any,
    office_a: Any,
    phones: dict[str, Any],
    fake_transport: FakeTransport,
    django_capture_on_commit_callbacks: Any,
) -> None:
    shift(office_a, phones["second"])
    phones["second"].is_active = False
    phones["second"].save()
    with django_capture_on_commit_callbacks(execute=True):
        raise_alert(subject_a)
    [message] = fake_transport.sent
    assert set(message.tokens) == {long_token("officer-a"), long_token("head-a")}
