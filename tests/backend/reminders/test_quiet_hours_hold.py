"""Non-urgent reminders due in the quiet hours (22:00–07:00 Asia/Shanghai by default) wait until 07:00."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def default_quiet_hours(settings: Any) -> None:
    settings.QUIET_HOURS = "22:00-07:00"
    settings.QUIET_HOURS_TIME_ZONE = "Asia/Shanghai"


@pytest.mark.parametrize(
    ("due", "sent"),
    [
        (at(2026, 11, 27, 23, 30), at(2026, 11, 28, 7, 0)),  # evening: held to the next morning
        (at(2026, 11, 28, 3, 15), at(2026, 11, 28, 7, 0)),  # night: held to the same morning
        (at(2026, 11, 27, 22, 0), at(2026, 11, 28, 7, 0)),  # the window starts at 22:00 sharp
        (at(2026, 11, 28, 7, 0), at(2026, 11, 28, 7, 0)),  # and is over at 07:00 sharp
        (at(2026, 11, 27, 21, 59), at(2026, 11, 27, 21, 59)),
        (at(2026, 11, 27, 12, 0), at(2026, 11, 27, 12, 0)),
    ],
)
def test_a_non_urgent_reminder_is_held_until_the_quiet_hours_end(due: dt.datetime, sent: dt.datetime) -> None:
    from backend.reminders.rules import send_time

    assert send_time(due, urgent=False) == sent


def test_an_urgent_reminder_goes_out_at_night() -> None:
    from backend.reminders.rules import send_time

    assert send_time(at(2026, 11, 27, 23, 30), urgent=True) == at(2026, 11, 27, 23, 30)


def test_the_hours_are_read_in_shanghai_time_whatever_the_server_zone() -> None:
    from backend.reminders.rules import send_time

    utc_afternoon = dt.datetime(2026, 11, 27, 15, 30, tzinfo=dt.UTC)  # 23:30 in Shanghai
    assert send_time(utc_afternoon, urgent=False) == at(2026, 11, 28, 7, 0)


def test_the_quiet_hours_are_configurable_and_can_be_switched_off(settings: Any) -> None:
    from backend.reminders.rules import QuietHours, send_time

    settings.QUIET_HOURS = "21:30-06:30"
    assert send_time(at(2026, 11, 27, 21, 45), urgent=False) == at(2026, 11, 28, 6, 30)
    settings.QUIET_HOURS = "off"
    assert send_time(at(2026, 11, 27, 23, 30), urgent=False) == at(2026, 11, 27, 23, 30)
    # A window that does not cross midnight works too.
    noon = QuietHours.parse("12:00-14:00")
    assert noon is not None and noon.hold(at(2026, 11, 27, 13, 0)) == at(2026, 11, 27, 14, 0)
    with pytest.raises(ValueError):
        QuietHours.parse("10pm-7am")


@pytest.mark.django_db
def test_a_held_reminder_is_neither_shown_nor_pushed_before_seven(
    subject_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from backend.reminders.models import Reminder
    from backend.reminders.services import dispatch_due_reminders, pending_reminders, schedule_reminder

    reminder = schedule_reminder(subject_a, "other", at(2026, 11, 27, 23, 30), "提醒", "正文", {}, "night:1")
    assert reminder.send_at == at(2026, 11, 28, 7, 0)
    with (
        mock.patch("backend.reminders.tasks.send_reminder.apply_async") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert dispatch_due_reminders(at(2026, 11, 27, 23, 45)) == 0
        assert not pending_reminders(subject_a.pk, at(2026, 11, 27, 23, 45)).exists()
        assert dispatch_due_reminders(at(2026, 11, 28, 7, 1)) == 1
    assert queued.call_count == 1 and queued.call_args.kwargs["args"] == [reminder.pk]
    assert list(pending_reminders(subject_a.pk, at(2026, 11, 28, 7, 1))) == [reminder]
    assert Reminder.objects.get().due_at == at(2026, 11, 27, 23, 30)  # when it was asked for stays on record


@pytest.mark.django_db
def test_a_check_in_prompt_held_past_its_expiry_is_never_sent(
    subject_a: Any, officer_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from backend.monitoring.models import MonitorState
    from backend.monitoring.services import schedule_checkin_prompts
    from backend.reminders.services import dispatch_due_reminders
    from tests.conftest import enroll_phone

    enroll_phone(subject_a, officer_a)
    MonitorState.objects.filter(subject=subject_a).update(next_checkin_due=at(2026, 11, 28, 2, 0))
    schedule_checkin_prompts(at(2026, 11, 28, 1, 45))
    prompt = subject_a.reminders.get()
    assert prompt.send_at == at(2026, 11, 28, 7, 0) and prompt.expires_at == at(2026, 11, 28, 2, 30)
    with (
        mock.patch("backend.reminders.tasks.send_reminder.apply_async") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert dispatch_due_reminders(at(2026, 11, 28, 7, 1)) == 0
    queued.assert_not_called()
    prompt.refresh_from_db()
    assert prompt.push_status == "skipped"
