"""Reminders by rule: check-in prompts by supervision level, the monthly report from the 25th,
education sessions and leave returns, all in Chinese."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import enroll_phone, make_subject

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


# ---------------------------------------------------------------------------------------------
# Pure rules
# ---------------------------------------------------------------------------------------------


def test_the_check_in_prompt_lead_grows_as_supervision_relaxes() -> None:
    from backend.reminders.rules import checkin_prompt_times

    due = at(2026, 11, 27, 14, 0)
    strict, normal, lenient = (
        checkin_prompt_times(due, level)[0] for level in ("strict", "normal", "lenient")
    )
    assert strict == at(2026, 11, 27, 13, 50)
    assert lenient < normal < strict
    # The prompt expires when the offline alert goes to staff.
    assert checkin_prompt_times(due, "strict")[1] == at(2026, 11, 27, 14, 30)


def test_the_check_in_prompt_says_when_and_turns_urgent_in_tone_once_overdue() -> None:
    from backend.reminders.rules import checkin_prompt_text

    due = at(2026, 11, 27, 14, 0)
    assert checkin_prompt_text(due, at(2026, 11, 27, 13, 50)).body == "请于14:00前打开APP完成定位签到。"
    assert "已超时" in checkin_prompt_text(due, at(2026, 11, 27, 14, 5)).body


def test_the_monthly_report_window_opens_on_the_25th_and_closes_at_month_end() -> None:
    from backend.reminders.rules import monthly_report_window

    assert monthly_report_window(at(2026, 11, 24, 9, 0)) is None
    window = monthly_report_window(at(2026, 11, 25, 9, 0))
    assert window is not None
    assert (window.period, window.due_at, window.expires_at) == (
        "2026-11",
        at(2026, 11, 25, 9, 0),
        at(2026, 12, 1, 0, 0),
    )
    december = monthly_report_window(at(2026, 12, 31, 23, 0))
    assert december is not None and december.expires_at == at(2027, 1, 1, 0, 0)
    # 24 November 17:00 UTC is already the 25th in Shanghai.
    assert monthly_report_window(dt.datetime(2026, 11, 24, 17, 0, tzinfo=dt.UTC)) is not None


def test_education_sessions_are_reminded_the_day_before_and_an_hour_before() -> None:
    from backend.reminders.rules import education_reminder_times, education_text

    starts = at(2026, 12, 3, 9, 30)
    assert education_reminder_times(starts) == [
        ("day_before", at(2026, 12, 2, 9, 30)),
        ("hour_before", at(2026, 12, 3, 8, 30)),
    ]
    assert education_text("day_before", starts, "集中教育", "司法所会议室").body.startswith(
        "您明天12月03日 09:30需参加集中教育"
    )


def test_the_end_of_a_leave_is_reminded_the_day_before_and_two_hours_before() -> None:
    from backend.reminders.rules import leave_return_reminder_times, leave_return_text

    due = at(2026, 12, 10, 18, 0)
    assert leave_return_reminder_times(due) == [
        ("day_before", at(2026, 12, 9, 18, 0)),
        ("two_hours_before", at(2026, 12, 10, 16, 0)),
    ]
    assert "销假" in leave_return_text("two_hours_before", due).body


# ---------------------------------------------------------------------------------------------
# Jobs
# ---------------------------------------------------------------------------------------------


def set_due(subject: Any, due: dt.datetime) -> None:
    from backend.monitoring.models import MonitorState

    MonitorState.objects.update_or_create(subject=subject, defaults={"next_checkin_due": due})


@pytest.mark.django_db
def test_a_phone_is_prompted_when_its_check_in_is_near_and_not_before(subject_a: Any, officer_a: Any) -> None:
    from backend.monitoring.services import schedule_checkin_prompts
    from backend.reminders.models import Reminder

    enroll_phone(subject_a, officer_a)
    due = at(2026, 11, 27, 14, 0)
    set_due(subject_a, due)
    assert schedule_checkin_prompts(at(2026, 11, 27, 13, 30)) == 0  # normal level: 20 minutes ahead
    assert schedule_checkin_prompts(at(2026, 11, 27, 13, 41)) == 1
    prompt = Reminder.objects.get()
    assert (prompt.kind, prompt.title, prompt.due_at) == ("checkin", "定位签到提醒", at(2026, 11, 27, 13, 40))
    assert prompt.expires_at == at(2026, 11, 27, 14, 30)
    assert prompt.data == {"checkin_due": due.isoformat()}


@pytest.mark.django_db
def test_a_check_in_that_just_passed_is_prompted_with_the_overdue_text(
    subject_a: Any, officer_a: Any
) -> None:
    from backend.monitoring.services import schedule_checkin_prompts
    from backend.reminders.models import Reminder

    enroll_phone(subject_a, officer_a)
    set_due(subject_a, at(2026, 11, 27, 14, 0))
    assert schedule_checkin_prompts(at(2026, 11, 27, 14, 10)) == 1
    assert "已超时" in Reminder.objects.get().body
    # Past the offline grace the offline alert has taken over: no prompt for a new due time then.
    set_due(subject_a, at(2026, 11, 27, 15, 0))
    assert schedule_checkin_prompts(at(2026, 11, 27, 15, 40)) == 0


@pytest.mark.django_db
def test_strict_people_are_prompted_later_than_lenient_ones(office_a: Any, officer_a: Any) -> None:
    from backend.monitoring.services import schedule_checkin_prompts

    strict = make_subject(office_a, officer_a, supervision_level="strict")
    lenient = make_subject(office_a, officer_a, supervision_level="lenient")
    for subject in (strict, lenient):
        enroll_phone(subject, officer_a)
        set_due(subject, at(2026, 11, 27, 14, 0))
    schedule_checkin_prompts(at(2026, 11, 27, 13, 45))
    assert [r.subject for r in lenient.reminders.all()] == [lenient]
    assert not strict.reminders.exists()


@pytest.mark.django_db
def test_people_without_an_active_phone_or_out_of_supervision_are_not_prompted(
    office_a: Any, officer_a: Any
) -> None:
    from backend.monitoring.services import schedule_checkin_prompts
    from backend.supervision.services import end_supervision

    no_phone = make_subject(office_a, officer_a)
    ended = make_subject(office_a, officer_a)
    enroll_phone(ended, officer_a)
    end_supervision(ended)
    for subject in (no_phone, ended):
        set_due(subject, at(2026, 11, 27, 14, 0))
    assert schedule_checkin_prompts(at(2026, 11, 27, 13, 55)) == 0


@pytest.mark.django_db
def test_every_subject_in_supervision_gets_the_monthly_report_reminder_from_the_25th(
    subject_a: Any, subject_b: Any, office_a: Any
) -> None:
    from backend.reminders.models import Reminder
    from backend.reminders.services import schedule_monthly_report_reminders

    make_subject(office_a, status="ended")
    make_subject(office_a, supervision_start=dt.date(2026, 12, 1))  # not yet under supervision
    assert schedule_monthly_report_reminders(at(2026, 11, 24, 9, 0)) == 0
    assert schedule_monthly_report_reminders(at(2026, 11, 25, 9, 0)) == 2
    rows = Reminder.objects.order_by("subject_id")
    assert [r.subject for r in rows] == [subject_a, subject_b]
    assert {(r.title, r.body) for r in rows} == {("思想汇报提醒", "本月思想汇报请于月底前提交")}
    assert {r.dedupe_key for r in rows} == {
        f"monthly_report:{subject_a.pk}:2026-11",
        f"monthly_report:{subject_b.pk}:2026-11",
    }
    assert {r.expires_at for r in rows} == {at(2026, 12, 1, 0, 0)}
    # Next month is a new period.
    assert schedule_monthly_report_reminders(at(2026, 12, 25, 9, 0)) == 3  # the late starter too


@pytest.mark.django_db
def test_education_and_leave_modules_get_their_reminders_through_one_call(subject_a: Any) -> None:
    from backend.reminders.services import schedule_education_reminders, schedule_leave_return_reminders

    session = schedule_education_reminders(
        subject_a, session_key="session-7", starts_at=at(2026, 12, 3, 9, 30), place="司法所会议室"
    )
    leave = schedule_leave_return_reminders(
        subject_a, leave_key="leave-3", return_due_at=at(2026, 12, 10, 18, 0)
    )
    assert [(r.kind, r.due_at, r.expires_at) for r in session] == [
        ("education", at(2026, 12, 2, 9, 30), at(2026, 12, 3, 9, 30)),
        ("education", at(2026, 12, 3, 8, 30), at(2026, 12, 3, 9, 30)),
    ]
    assert [r.dedupe_key for r in leave] == [
        f"leave_return:{subject_a.pk}:leave-3:day_before",
        f"leave_return:{subject_a.pk}:leave-3:two_hours_before",
    ]
    assert session[0].data == {"session": "session-7", "starts_at": at(2026, 12, 3, 9, 30).isoformat()}


@pytest.mark.django_db
def test_a_reminder_with_data_the_push_cannot_carry_is_refused_when_scheduled(subject_a: Any) -> None:
    from django.utils import timezone

    from backend.reminders.services import schedule_reminder

    with pytest.raises(ValueError, match="must be a string"):
        schedule_reminder(subject_a, "other", timezone.now(), "标题", "正文", {"count": 3}, "bad:1")
    with pytest.raises(ValueError, match="reserved"):
        schedule_reminder(subject_a, "other", timezone.now(), "标题", "正文", {"from": "x"}, "bad:2")
    with pytest.raises(ValueError, match="kind"):
        schedule_reminder(subject_a, "party", timezone.now(), "标题", "正文", {}, "bad:3")
