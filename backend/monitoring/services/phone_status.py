"""Phone status and silent phones: heartbeats (permission or GPS off, low battery), the offline
(脱管) alerts of phones overdue for their check-in, the monitoring state of a newly enrolled
phone, and the check-in prompts (scheduled as reminders) of phones whose check-in is due.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from backend.monitoring.models import MonitorState
from backend.monitoring.rules import OFFLINE_GRACE, checkin_interval
from backend.monitoring.services.alerts import Kind, Severity, _warn_low_battery, raise_alert
from backend.reminders import rules as reminder_rules
from backend.reminders.models import Reminder
from backend.reminders.services import schedule_reminder_once
from backend.supervision.models import Device, Subject


def _lock_state(subject: Subject) -> MonitorState:
    # Only the columns the upload needs; the row lock serialises uploads of one person.
    fields = ("subject_id", "engine_state", "last_fix_at", "next_checkin_due")
    try:
        return MonitorState.objects.select_for_update().only(*fields).get(subject=subject)
    except MonitorState.DoesNotExist:
        MonitorState.objects.get_or_create(subject=subject)
        return MonitorState.objects.select_for_update().only(*fields).get(subject=subject)


def record_status(device: Device, status: dict[str, Any]) -> MonitorState:
    """Store a heartbeat; location permission or GPS switched off is a risk warning at once."""
    now = timezone.now()
    subject = device.subject
    with transaction.atomic():
        state = _lock_state(subject)
        state.last_status, state.last_status_at = {k: v for k, v in status.items() if v is not None}, now
        state.save(update_fields=["last_status", "last_status_at"])
        off = [name for name in ("location_permission", "gps_enabled") if status.get(name) is False]
        if off:
            hour = timezone.localtime(now).strftime("%Y-%m-%dT%H")
            raise_alert(
                subject,
                kind=Kind.PERMISSION_OFF,
                severity=Severity.WARNING,
                occurred_at=now,
                dedupe_key=f"permission_off:{subject.pk}:{hour}",
                evidence={"off": off, "status": status},
            )
        _warn_low_battery(subject, status.get("battery"), status.get("charging"), now, {})
    return state


def detect_offline(now: dt.datetime | None = None) -> int:
    """Raise one offline (脱管) alert per silent episode for every subject whose phone is overdue."""
    now = now or timezone.now()
    overdue = MonitorState.objects.select_related("subject").filter(
        subject__status=Subject.Status.IN_SUPERVISION,
        next_checkin_due__lt=now - OFFLINE_GRACE,
        offline_alerted_at__isnull=True,
    )
    raised = 0
    for state in overdue:
        with transaction.atomic():
            locked = MonitorState.objects.select_for_update().get(pk=state.pk)
            if locked.offline_alerted_at is not None or locked.next_checkin_due is None:
                continue
            due = locked.next_checkin_due
            raise_alert(
                state.subject,
                kind=Kind.OFFLINE,
                severity=Severity.CRITICAL
                if state.subject.supervision_level == Subject.Level.STRICT
                else Severity.WARNING,
                occurred_at=due,
                dedupe_key=f"offline:{state.subject_id}:{due.isoformat()}",
                evidence={
                    "due_at": due.isoformat(),
                    "last_fix_at": locked.last_fix_at.isoformat() if locked.last_fix_at else None,
                },
            )
            MonitorState.objects.filter(pk=locked.pk).update(offline_alerted_at=now)
            raised += 1
    return raised


def ensure_monitor_state(subject: Subject) -> MonitorState:
    """Start watching a newly enrolled phone: its first check-in is due one interval from now."""
    state, _created = MonitorState.objects.get_or_create(
        subject=subject,
        defaults={"next_checkin_due": timezone.now() + checkin_interval(subject.supervision_level)},
    )
    return state


def phone_enrolled(sender: Any, *, subject: Subject, **kwargs: Any) -> None:
    """Supervision enrolled a phone (``backend.supervision.signals``): start watching it, so a
    phone that never checks in is still watched."""
    ensure_monitor_state(subject)


def last_upload(subject_id: int) -> dt.datetime | None:
    """When the person's phone last uploaded (for reminders: it supersedes earlier check-in prompts)."""
    return (
        MonitorState.objects.filter(subject_id=subject_id)
        .values_list("last_checkin_received_at", flat=True)
        .first()
    )


def schedule_checkin_prompts(now: dt.datetime | None = None) -> int:
    """Prompt every enrolled phone whose check-in is due soon or just passed. Safe to run often.

    The lead depends on the supervision level (``reminders.rules.CHECKIN_PROMPT_LEAD``); one
    prompt per due time, so the five-minute job creates it once.
    """
    now = now or timezone.now()
    active_device = Exists(Device.objects.filter(subject=OuterRef("subject_id"), revoked_at__isnull=True))
    states = (
        MonitorState.objects.select_related("subject")
        .filter(
            subject__status=Subject.Status.IN_SUPERVISION,
            next_checkin_due__gt=now - OFFLINE_GRACE,
            next_checkin_due__lte=now + reminder_rules.MAX_CHECKIN_PROMPT_LEAD,
        )
        .filter(active_device)
    )
    created = 0
    for state in states:
        subject, due = state.subject, state.next_checkin_due
        assert due is not None
        prompt_at, expires_at = reminder_rules.checkin_prompt_times(due, subject.supervision_level)
        if now < prompt_at:
            continue
        text = reminder_rules.checkin_prompt_text(due, now)
        _reminder, new = schedule_reminder_once(
            subject,
            Reminder.Kind.CHECKIN,
            prompt_at,
            text.title,
            text.body,
            {"checkin_due": reminder_rules.local(due).isoformat()},
            dedupe_key=f"checkin:{subject.pk}:{due.isoformat()}",
            expires_at=expires_at,
        )
        created += new
    return created
