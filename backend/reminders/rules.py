"""When reminders go out and what they say: pure functions of a time, no database.

Texts are Chinese literals rather than gettext strings: they go to subjects' phones, which show
Chinese whatever the staff interface language is. The staff pushes name alerts by the alert
vocabulary's labels (``backend.core.vocabulary``), rendered in Chinese.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings

from backend.core.vocabulary import PUSH_LANGUAGE, AlertKind, AlertSeverity, label_in
from backend.supervision.identity import mask_name
from backend.supervision.models import Subject
from backend.supervision.rules import OFFLINE_GRACE

# ---------------------------------------------------------------------------------------------
# Quiet hours
# ---------------------------------------------------------------------------------------------

_QUIET_HOURS = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")


@dataclass(frozen=True)
class QuietHours:
    """A nightly window in which non-urgent reminders are held, e.g. 22:00–07:00 Asia/Shanghai.

    The window may wrap midnight (start after end). Start equal to end means no quiet hours.
    """

    start: dt.time
    end: dt.time
    tz: dt.tzinfo

    @classmethod
    def parse(cls, text: str, tz: str = "Asia/Shanghai") -> QuietHours | None:
        """``"22:00-07:00"`` → a window; ``""`` or ``"off"`` → None. Anything else is a ValueError."""
        if not text.strip() or text.strip().lower() == "off":
            return None
        match = _QUIET_HOURS.match(text)
        if match is None:
            raise ValueError(f"quiet hours {text!r} must look like 22:00-07:00 (or be off)")
        h1, m1, h2, m2 = (int(part) for part in match.groups())
        return cls(dt.time(h1, m1), dt.time(h2, m2), ZoneInfo(tz))

    def contains(self, when: dt.datetime) -> bool:
        local = when.astimezone(self.tz).time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def hold(self, when: dt.datetime) -> dt.datetime:
        """``when`` itself, or the end of the quiet window it falls in."""
        if not self.contains(when):
            return when
        local = when.astimezone(self.tz)
        end = dt.datetime.combine(local.date(), self.end, tzinfo=self.tz)
        if end <= local:  # in the evening part of a window that wraps midnight
            end = dt.datetime.combine(local.date() + dt.timedelta(days=1), self.end, tzinfo=self.tz)
        return end


def configured_quiet_hours() -> QuietHours | None:
    return QuietHours.parse(settings.QUIET_HOURS, settings.QUIET_HOURS_TIME_ZONE)


def send_time(due_at: dt.datetime, *, urgent: bool, quiet: QuietHours | None = None) -> dt.datetime:
    """When a reminder due at ``due_at`` may be pushed: urgent ones at once, others after quiet hours."""
    quiet = configured_quiet_hours() if quiet is None else quiet
    if urgent or quiet is None:
        return due_at
    return quiet.hold(due_at)


def local(when: dt.datetime) -> dt.datetime:
    return when.astimezone(ZoneInfo(settings.QUIET_HOURS_TIME_ZONE))


# ---------------------------------------------------------------------------------------------
# Check-in prompts (定位签到提醒)
# ---------------------------------------------------------------------------------------------

# How long before a check-in is due the phone is prompted, by supervision level: people checked
# every hour get a short lead, people checked twice a day a longer one.
CHECKIN_PROMPT_LEAD: dict[str, dt.timedelta] = {
    Subject.Level.STRICT: dt.timedelta(minutes=10),
    Subject.Level.NORMAL: dt.timedelta(minutes=20),
    Subject.Level.LENIENT: dt.timedelta(minutes=30),
}
MAX_CHECKIN_PROMPT_LEAD = max(CHECKIN_PROMPT_LEAD.values())


@dataclass(frozen=True)
class ReminderText:
    title: str
    body: str


def checkin_prompt_lead(level: str) -> dt.timedelta:
    return CHECKIN_PROMPT_LEAD.get(level, CHECKIN_PROMPT_LEAD[Subject.Level.NORMAL])


def checkin_prompt_times(next_due: dt.datetime, level: str) -> tuple[dt.datetime, dt.datetime]:
    """``(prompt_at, expires_at)`` for a check-in due at ``next_due``.

    The prompt is worthless once the offline alert has gone to staff, so it expires then.
    """
    return next_due - checkin_prompt_lead(level), next_due + OFFLINE_GRACE


def checkin_prompt_text(next_due: dt.datetime, now: dt.datetime) -> ReminderText:
    due = local(next_due).strftime("%H:%M")
    if now > next_due:
        return ReminderText("定位签到提醒", f"您的定位签到已超时（应于{due}前完成），请立即打开APP签到。")
    return ReminderText("定位签到提醒", f"请于{due}前打开APP完成定位签到。")


# ---------------------------------------------------------------------------------------------
# Monthly report (每月思想汇报)
# ---------------------------------------------------------------------------------------------

MONTHLY_REPORT_DAY = 25
MONTHLY_REPORT_TIME = dt.time(9, 0)
MONTHLY_REPORT_TEXT = ReminderText("思想汇报提醒", "本月思想汇报请于月底前提交")


@dataclass(frozen=True)
class MonthlyReportWindow:
    period: str  # "2026-11"
    due_at: dt.datetime
    expires_at: dt.datetime


def monthly_report_window(now: dt.datetime) -> MonthlyReportWindow | None:
    """From the 25th of a month to its end, the window in which this month's reminder is due.

    Before the 25th there is none. A job that missed the 25th still finds the window later in
    the month, and the period in the dedupe key keeps it to one reminder a month.
    """
    today = local(now)
    if today.day < MONTHLY_REPORT_DAY:
        return None
    tz = today.tzinfo
    due_at = dt.datetime.combine(today.date().replace(day=MONTHLY_REPORT_DAY), MONTHLY_REPORT_TIME, tzinfo=tz)
    first_of_next = (today.date().replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    expires_at = dt.datetime.combine(first_of_next, dt.time(0, 0), tzinfo=tz)
    return MonthlyReportWindow(period=today.strftime("%Y-%m"), due_at=due_at, expires_at=expires_at)


# ---------------------------------------------------------------------------------------------
# Education sessions and leave (their modules do not exist yet; the times and texts are ready)
# ---------------------------------------------------------------------------------------------

EDUCATION_REMINDERS = (("day_before", dt.timedelta(days=1)), ("hour_before", dt.timedelta(hours=1)))
LEAVE_RETURN_REMINDERS = (("day_before", dt.timedelta(days=1)), ("two_hours_before", dt.timedelta(hours=2)))


def education_reminder_times(starts_at: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """``[(label, due_at)]``: the day before and an hour before an education session."""
    return [(label, starts_at - lead) for label, lead in EDUCATION_REMINDERS]


def education_text(label: str, starts_at: dt.datetime, topic: str, place: str) -> ReminderText:
    start = local(starts_at)
    where = f"，地点：{place}" if place else ""
    if label == "day_before":
        body = f"您明天{start:%m月%d日 %H:%M}需参加{topic}{where}。请准时参加，不得无故缺席。"
    else:
        body = f"您参加的{topic}将于{start:%H:%M}开始{where}，请准时到场签到。"
    return ReminderText("教育学习提醒", body)


def leave_return_reminder_times(return_due_at: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """``[(label, due_at)]``: the day before and two hours before an approved leave ends."""
    return [(label, return_due_at - lead) for label, lead in LEAVE_RETURN_REMINDERS]


def leave_return_text(label: str, return_due_at: dt.datetime) -> ReminderText:
    due = local(return_due_at)
    if label == "day_before":
        body = f"您的外出请假将于{due:%m月%d日 %H:%M}到期，请按时返回居住地并向司法所销假。"
    else:
        body = f"您的外出请假将于{due:%H:%M}到期，请尽快返回居住地并销假。"
    return ReminderText("销假提醒", body)


# ---------------------------------------------------------------------------------------------
# Staff alert pushes
# ---------------------------------------------------------------------------------------------


def staff_alert_text(kind: str, subject_name: str, occurred_at: dt.datetime) -> ReminderText:
    """The push that wakes staff for a critical alert, in Chinese whatever language is active.

    The words are the alert vocabulary's own labels (the console's, the admin's and the API's).
    The person is named by surname only: the push passes through the push provider's servers
    (FCM, Huawei), which need nothing of them; the app opens the alert by its id.
    """
    what = label_in(PUSH_LANGUAGE, AlertKind(kind)) if kind in AlertKind.values else kind
    severity = label_in(PUSH_LANGUAGE, AlertSeverity.CRITICAL)
    return ReminderText(
        f"{severity}预警：{mask_name(subject_name)}",
        f"{what}（{local(occurred_at):%m-%d %H:%M}），请立即处置。",
    )
