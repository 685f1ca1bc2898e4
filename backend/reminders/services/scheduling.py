"""Scheduling reminders: one ``Reminder`` row per dedupe key, its push queued after commit.

The check-in prompts are scheduled by monitoring, which knows when each check-in is due
(``backend.monitoring.services.schedule_checkin_prompts``), through ``schedule_reminder_once``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from backend.core.outbox import queue_on_commit
from backend.reminders import push, rules
from backend.reminders.models import Reminder
from backend.reminders.upstream import monthly_report_in
from backend.supervision.models import Subject

Kind = Reminder.Kind


def _validated_data(title: str, body: str, data: dict[str, Any] | None) -> dict[str, str]:
    data = dict(data or {})
    # Build the push once now, so a bad value (not a string, a key FCM reserves, too long a text)
    # fails in the module that scheduled it rather than later in a worker.
    push.reminder_message(
        reminder_id=0,
        kind="other",
        title=title,
        body=body,
        data=data,
        urgent=False,
        tokens=("validation",),
        ttl_seconds=None,
    )
    return data


def schedule_reminder_once(
    subject: Subject,
    kind: str,
    due_at: dt.datetime,
    title: str,
    body: str,
    data: dict[str, Any] | None,
    dedupe_key: str,
    urgent: bool = False,
    expires_at: dt.datetime | None = None,
) -> tuple[Reminder, bool]:
    """``schedule_reminder``, also saying whether the reminder was created now."""
    if kind not in Kind.values:
        raise ValueError(f"unknown reminder kind {kind!r}")
    if not dedupe_key or len(dedupe_key) > 120:
        raise ValueError("dedupe_key must be 1 to 120 characters")
    if not title.strip() or len(title) > 100 or len(body) > 500:
        raise ValueError("a reminder needs a title of at most 100 characters and a text of at most 500")
    clean = _validated_data(title, body, data)
    existing = Reminder.objects.filter(subject=subject, dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing, False
    send_at = rules.send_time(due_at, urgent=urgent)
    try:
        with transaction.atomic():
            reminder = Reminder.objects.create(
                subject=subject,
                kind=kind,
                dedupe_key=dedupe_key,
                title=title,
                body=body,
                data=clean,
                urgent=urgent,
                due_at=due_at,
                send_at=send_at,
                expires_at=expires_at,
                push_next_at=send_at,
            )
    except IntegrityError:  # a concurrent run of the same job created it first
        return Reminder.objects.get(subject=subject, dedupe_key=dedupe_key), False
    if send_at <= timezone.now():
        from backend.reminders.tasks import send_reminder

        queue_on_commit(send_reminder, reminder.pk)
    return reminder, True


def schedule_reminder(
    subject: Subject,
    kind: str,
    due_at: dt.datetime,
    title: str,
    body: str,
    data: dict[str, Any] | None,
    dedupe_key: str,
    urgent: bool = False,
    expires_at: dt.datetime | None = None,
) -> Reminder:
    """Schedule a reminder for ``subject``'s phone, once per ``dedupe_key``. Idempotent.

    ``due_at`` is when it should reach the phone; a non-urgent one due in the quiet hours is held
    until they end. ``dedupe_key`` must name the kind and the period or event
    (``"education:12:session-7:day_before"``) so that running a job again creates nothing.
    ``data`` (str to str) reaches the app with the push and in check-in answers. A reminder
    stops being delivered at ``expires_at`` (None: only acknowledging ends it).
    """
    reminder, _created = schedule_reminder_once(
        subject, kind, due_at, title, body, data, dedupe_key, urgent, expires_at
    )
    return reminder


def schedule_monthly_report_reminders(now: dt.datetime | None = None) -> int:
    """From the 25th, remind every subject in supervision to hand in this month's report (思想汇报)."""
    now = now or timezone.now()
    window = rules.monthly_report_window(now)
    if window is None:
        return 0
    subjects = Subject.objects.filter(
        status=Subject.Status.IN_SUPERVISION, supervision_start__lte=window.due_at.date()
    ).only("pk", "office_id")
    already = set(
        Reminder.objects.filter(
            kind=Kind.MONTHLY_REPORT, dedupe_key__endswith=f":{window.period}"
        ).values_list("subject_id", flat=True)
    )
    created = 0
    text = rules.MONTHLY_REPORT_TEXT
    for subject in subjects.iterator():
        if subject.pk in already or monthly_report_in(subject.pk, window.period):
            continue
        _reminder, new = schedule_reminder_once(
            subject,
            Kind.MONTHLY_REPORT,
            window.due_at,
            text.title,
            text.body,
            {"period": window.period},
            dedupe_key=f"monthly_report:{subject.pk}:{window.period}",
            expires_at=window.expires_at,
        )
        created += new
    return created


def end_monthly_report_reminder(subject_id: int, period: str, now: dt.datetime | None = None) -> int:
    """The report of ``period`` arrived: its reminder, if still pending, expires now (not pushed
    again, gone from the check-in answers). The number of reminders ended."""
    now = now or timezone.now()
    return (
        Reminder.objects.filter(
            subject_id=subject_id,
            kind=Kind.MONTHLY_REPORT,
            dedupe_key=f"monthly_report:{subject_id}:{period}",
            acknowledged_at__isnull=True,
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .update(expires_at=now)
    )


def schedule_education_reminders(
    subject: Subject, *, session_key: str, starts_at: dt.datetime, topic: str = "集中教育", place: str = ""
) -> list[Reminder]:
    """The day-before and hour-before reminders of one education session (入矫教育, 集中教育).

    For the education module, which does not exist yet: call it when a subject is assigned to a
    session, with ``session_key`` naming the session (its id). Both expire when the session starts.
    """
    reminders = []
    for label, due_at in rules.education_reminder_times(starts_at):
        text = rules.education_text(label, starts_at, topic, place)
        reminders.append(
            schedule_reminder(
                subject,
                Kind.EDUCATION,
                due_at,
                text.title,
                text.body,
                {"session": session_key, "starts_at": rules.local(starts_at).isoformat()},
                dedupe_key=f"education:{subject.pk}:{session_key}:{label}",
                expires_at=starts_at,
            )
        )
    return reminders


def schedule_leave_return_reminders(
    subject: Subject, *, leave_key: str, return_due_at: dt.datetime
) -> list[Reminder]:
    """The day-before and two-hours-before reminders that an approved leave (外出请假) ends.

    For the leave module, which does not exist yet: call it when a leave is approved (and again
    with a new ``leave_key`` when it is extended). Both expire when the leave ends.
    """
    reminders = []
    for label, due_at in rules.leave_return_reminder_times(return_due_at):
        text = rules.leave_return_text(label, return_due_at)
        reminders.append(
            schedule_reminder(
                subject,
                Kind.LEAVE_RETURN,
                due_at,
                text.title,
                text.body,
                {"leave": leave_key, "return_due_at": rules.local(return_due_at).isoformat()},
                dedupe_key=f"leave_return:{subject.pk}:{leave_key}:{label}",
                expires_at=return_due_at,
            )
        )
    return reminders


def withdraw_leave_return_reminders(
    subject: Subject, *, leave_key: str, now: dt.datetime | None = None
) -> int:
    """The person reported back early (or the leave stopped applying): its return reminders not yet
    acknowledged expire now, and those not yet pushed are never pushed. Returns how many."""
    now = now or timezone.now()
    waiting = Reminder.objects.filter(
        subject=subject, kind=Kind.LEAVE_RETURN, data__leave=leave_key, acknowledged_at__isnull=True
    ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    unsent = (Reminder.PushStatus.PENDING, Reminder.PushStatus.RETRYING, Reminder.PushStatus.NO_TOKEN)
    waiting.filter(push_status__in=unsent).update(
        push_status=Reminder.PushStatus.SKIPPED, push_finished_at=now, push_next_at=None
    )
    return waiting.update(expires_at=now)
