"""Phone status: heartbeats (permission or GPS off, low battery), the monitoring state of a
newly enrolled phone, and the check-in prompts (scheduled as reminders) of phones whose check-in
is due. The silence checks are ``services.contact``'s.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef
from django.utils import timezone

from backend.monitoring.models import MonitorState, PhoneCommand, SamplingRegime
from backend.monitoring.services.alerts import Kind, Severity, _warn_low_battery, raise_alert
from backend.monitoring.services.commands import send_command
from backend.monitoring.services.expectations import expectations_for, sampling_payload, state_defaults
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


def ensure_monitor_state(subject: Subject) -> MonitorState:
    """Start watching a newly enrolled phone: what is expected of the person
    (``expectations``), the first check-in due one interval from now."""
    state = MonitorState.objects.filter(subject=subject).first()
    if state is None:
        state, _created = MonitorState.objects.get_or_create(
            subject=subject, defaults=state_defaults(subject, timezone.now())
        )
    return state


def phone_enrolled(sender: Any, *, subject: Subject, device: Device, **kwargs: Any) -> None:
    """Supervision enrolled a phone (``backend.supervision.signals``): start watching it, so a
    phone that never checks in is still watched. A new phone of someone under continuous
    positioning is told so (the old phone may have acknowledged the order already)."""
    state = ensure_monitor_state(subject)
    if state.sampling_regime == SamplingRegime.CONTINUOUS:
        expected = expectations_for(subject)
        send_command(
            subject,
            PhoneCommand.Kind.SAMPLING,
            sampling_payload(expected),
            dedupe_key=f"sampling:phone:{device.pk}",
        )


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
    overdue_at = ExpressionWrapper(F("next_checkin_due") + F("overdue_grace"), output_field=DateTimeField())
    states = (
        MonitorState.objects.select_related("subject")
        .annotate(overdue_at=overdue_at)
        .filter(
            subject__status=Subject.Status.IN_SUPERVISION,
            overdue_at__gt=now,
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
