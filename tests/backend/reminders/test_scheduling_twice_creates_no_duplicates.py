"""Every scheduling job may run twice (beat restarts, a retried task): the second run creates nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import enroll_phone, make_subject

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def count() -> int:
    from backend.reminders.models import Reminder

    return Reminder.objects.count()


def test_running_the_check_in_prompt_job_twice_prompts_once(office_a: Any, officer_a: Any) -> None:
    from backend.monitoring.models import MonitorState
    from backend.monitoring.services import schedule_checkin_prompts

    for level in ("strict", "normal", "lenient"):
        subject = make_subject(office_a, officer_a, supervision_level=level)
        enroll_phone(subject, officer_a)
        MonitorState.objects.filter(subject=subject).update(next_checkin_due=at(2026, 11, 27, 14, 0))
    assert schedule_checkin_prompts(at(2026, 11, 27, 13, 55)) == 3
    assert schedule_checkin_prompts(at(2026, 11, 27, 13, 55)) == 0
    # Five minutes later (the next beat) the same due time is still prompted only once.
    assert schedule_checkin_prompts(at(2026, 11, 27, 14, 0)) == 0
    assert count() == 3


def test_running_the_monthly_report_job_twice_and_on_later_days_reminds_once(
    subject_a: Any, subject_b: Any
) -> None:
    from backend.reminders.services import schedule_monthly_report_reminders

    assert schedule_monthly_report_reminders(at(2026, 11, 25, 9, 0)) == 2
    assert schedule_monthly_report_reminders(at(2026, 11, 25, 9, 0)) == 0
    assert schedule_monthly_report_reminders(at(2026, 11, 26, 9, 0)) == 0
    assert count() == 2


def test_the_beat_tasks_themselves_are_safe_to_run_twice(
    subject_a: Any, officer_a: Any, settings: Any
) -> None:
    from django.utils import timezone

    from backend.monitoring import tasks as monitoring_tasks
    from backend.monitoring.models import MonitorState
    from backend.reminders import tasks

    enroll_phone(subject_a, officer_a)
    MonitorState.objects.filter(subject=subject_a).update(
        next_checkin_due=timezone.now() + dt.timedelta(minutes=5)
    )
    assert monitoring_tasks.schedule_checkin_prompts.delay().get() == 1
    assert monitoring_tasks.schedule_checkin_prompts.delay().get() == 0
    tasks.schedule_monthly_report_reminders.delay().get()
    before = count()
    assert tasks.schedule_monthly_report_reminders.delay().get() == 0
    assert count() == before


def test_a_module_scheduling_the_same_event_twice_gets_the_same_reminders(subject_a: Any) -> None:
    from backend.reminders.services import schedule_education_reminders, schedule_reminder

    first = schedule_education_reminders(subject_a, session_key="s-1", starts_at=at(2026, 12, 3, 9, 30))
    again = schedule_education_reminders(subject_a, session_key="s-1", starts_at=at(2026, 12, 3, 9, 30))
    assert [r.pk for r in first] == [r.pk for r in again]
    one = schedule_reminder(subject_a, "other", at(2026, 12, 1, 10, 0), "提醒", "正文", {}, "other:x")
    two = schedule_reminder(subject_a, "other", at(2026, 12, 1, 11, 0), "提醒", "正文", {}, "other:x")
    assert one.pk == two.pk
    assert count() == 3


def test_the_same_key_for_two_people_is_two_reminders(subject_a: Any, subject_b: Any) -> None:
    from backend.reminders.services import schedule_reminder

    for subject in (subject_a, subject_b):
        schedule_reminder(subject, "other", at(2026, 12, 1, 10, 0), "提醒", "正文", {}, "notice:2026-12")
    assert count() == 2


def test_the_database_refuses_a_duplicate_even_if_a_racing_job_skips_the_check(subject_a: Any) -> None:
    from django.db import IntegrityError, transaction

    from backend.reminders.models import Reminder
    from backend.reminders.services import schedule_reminder

    schedule_reminder(subject_a, "other", at(2026, 12, 1, 10, 0), "提醒", "正文", {}, "race:1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(
            subject=subject_a,
            kind="other",
            dedupe_key="race:1",
            title="t",
            body="b",
            due_at=at(2026, 12, 1, 10, 0),
            send_at=at(2026, 12, 1, 10, 0),
        )
