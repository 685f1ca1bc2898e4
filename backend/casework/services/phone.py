"""What casework tells a person's phone: an order (a command riding on the check-in and status
answers, monitoring's ``send_command``) and a push through reminders (which FCM may or may not
deliver in mainland China; the command is what the phone surely gets)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from backend.monitoring.models import PhoneCommand
from backend.monitoring.services.commands import send_command
from backend.reminders.models import Reminder
from backend.reminders.services import schedule_reminder
from backend.supervision.models import Subject

CommandKind = PhoneCommand.Kind


def push(
    subject: Subject,
    title: str,
    body: str,
    *,
    data: dict[str, str],
    dedupe_key: str,
    expires_at: dt.datetime | None = None,
) -> Reminder:
    """An urgent push to the person's phone now (kept in check-in answers until acknowledged)."""
    return schedule_reminder(
        subject,
        Reminder.Kind.OTHER,
        timezone.now(),
        title,
        body,
        data,
        dedupe_key=dedupe_key[:120],
        urgent=True,
        expires_at=expires_at,
    )


def ask_for_fix(subject: Subject, reason: str, *, key: str, expires_at: dt.datetime) -> PhoneCommand:
    """``fix_now``: take a fix and upload it now; with a push to wake the app."""
    command = send_command(
        subject, CommandKind.FIX_NOW, {"reason": reason}, expires_at=expires_at, dedupe_key=f"fix_now:{key}"
    )
    push(
        subject,
        "定位核查",
        "请立即打开APP完成一次定位签到。",
        data={"command": str(command.pk), "reason": reason},
        dedupe_key=f"fix_now:{subject.pk}:{key}",
        expires_at=expires_at,
    )
    return command


def tell_leave_decision(subject: Subject, leave_id: int, status: str, note: str) -> Any:
    """``leave_decision``: the decision rides back on the answers and is pushed."""
    command = send_command(
        subject,
        CommandKind.LEAVE_DECISION,
        {"leave_request": leave_id, "status": status, "note": note[:500]},
        dedupe_key=f"leave_decision:{leave_id}:{status}",
    )
    verdict = "已批准" if status == "approved" else "未批准"
    push(
        subject,
        "外出请假审批结果",
        f"您的外出请假申请{verdict}。{note[:200]}".strip(),
        data={"leave_request": str(leave_id), "status": status, "command": str(command.pk)},
        dedupe_key=f"leave_decision:{subject.pk}:{leave_id}:{status}",
    )
    return command
