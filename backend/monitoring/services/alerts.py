"""Alerts: raise one (once per dedupe key), publish it to the consoles, wake the office's staff
for a critical one; acknowledge (签收) and resolve (处置) it; the shared risk warnings (low battery,
unreachable phone).
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from backend.accounts.models import User
from backend.core.outbox import queue_on_commit
from backend.monitoring.events import next_sequence, publish_event
from backend.monitoring.models import Alert, Zone
from backend.monitoring.payloads import AlertSerializer
from backend.monitoring.signals import alert_resolved
from backend.reminders.services import Delivery, StaffAlert, wake_office_staff
from backend.supervision.models import Subject
from backend.supervision.rules import cached_policies, policy_for

Kind, Severity, Category = Alert.Kind, Alert.Severity, Alert.Category
RISK_KINDS = frozenset(
    {
        Kind.MOCK_LOCATION,
        Kind.TELEPORT,
        Kind.PERMISSION_OFF,
        Kind.LOW_BATTERY,
        Kind.OFFLINE,
        Kind.LOST_CONTACT,
        Kind.UNSUPERVISED,
        Kind.TERM_ENDED,
        Kind.APP_REMOVED,
        Kind.UNREACHABLE,
        Kind.EVALUATION_FAILED,
    }
)


_payload_serializer = threading.local()


def alert_payload(alert: Alert) -> dict[str, Any]:
    """The JSON shape of an alert, the same in the staff API and on the console websocket.

    One serializer per thread serves every alert: building a ModelSerializer's fields costs
    more than serializing an alert with them (most of a millisecond, on every alert raised).
    """
    serializer = getattr(_payload_serializer, "instance", None)
    if serializer is None:
        serializer = _payload_serializer.instance = AlertSerializer()
    return dict(serializer.to_representation(alert))


def raise_alert(
    subject: Subject,
    *,
    kind: str,
    severity: str,
    occurred_at: dt.datetime,
    dedupe_key: str,
    zone: Zone | None = None,
    late: bool = False,
    evidence: dict[str, Any] | None = None,
) -> Alert:
    """Create an alert once per ``dedupe_key`` and publish it to the consoles. Idempotent."""
    existing = Alert.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing
    alert = Alert.objects.create(
        seq=next_sequence(),
        dedupe_key=dedupe_key[:120],
        category=Category.RISK if kind in RISK_KINDS else Category.POSITION,
        kind=kind,
        severity=severity,
        subject=subject,
        office_id=subject.office_id,
        zone=zone,
        occurred_at=occurred_at,
        late=late,
        evidence=evidence or {},
    )
    # What the payload shows of its relations is at hand (a new alert has no acknowledger or
    # resolver): no re-read of the row with five joins, the dearest step of raising an alert.
    alert.office = subject.office
    publish_event(subject.office_id, "alert.created", alert_payload(alert), seq=alert.seq)
    if alert.severity == Severity.CRITICAL:
        _wake_staff_after_commit(alert)
    return alert


def _locked_alert(alert: Alert) -> Alert:
    return (
        Alert.objects.select_for_update(of=("self",))
        .select_related("subject", "office", "zone", "acknowledged_by", "resolved_by")
        .get(pk=alert.pk)
    )


def acknowledge_alert(alert: Alert, user: User) -> Alert:
    """Mark an open alert as seen and being handled (签收). Acknowledging twice changes nothing."""
    with transaction.atomic():
        alert = _locked_alert(alert)
        if alert.status == Alert.Status.RESOLVED:
            raise ValidationError({"status": [_("This alert is already resolved.")]}, code="already_resolved")
        if alert.status == Alert.Status.OPEN:
            alert.status = Alert.Status.ACKNOWLEDGED
            alert.acknowledged_by, alert.acknowledged_at = user, timezone.now()
            alert.save(update_fields=["status", "acknowledged_by", "acknowledged_at"])
            publish_event(alert.office_id, "alert.updated", alert_payload(alert))
    return alert


def resolve_alert(alert: Alert, user: User, resolution: str, note: str) -> Alert:
    """Close an alert with what was done (处置): false alarm, verbal warning, 训诫/警告 proposal..."""
    if resolution not in Alert.Resolution.values:
        raise ValidationError({"resolution": [_("Unknown resolution.")]})
    if resolution != Alert.Resolution.FALSE_ALARM and not note.strip():
        raise ValidationError({"note": [_("Describe what was done.")]}, code="note_required")
    with transaction.atomic():
        alert = _locked_alert(alert)
        if alert.status == Alert.Status.RESOLVED:
            raise ValidationError({"status": [_("This alert is already resolved.")]}, code="already_resolved")
        now = timezone.now()
        if alert.acknowledged_at is None:
            alert.acknowledged_by, alert.acknowledged_at = user, now
        alert.status, alert.resolved_by, alert.resolved_at = Alert.Status.RESOLVED, user, now
        alert.resolution, alert.resolution_note = resolution, note.strip()
        alert.save()
        alert_resolved.send(sender=Alert, alert=alert, user=user)
        publish_event(alert.office_id, "alert.updated", alert_payload(alert))
    return alert


def _warn_low_battery(
    subject: Subject, battery: float | None, charging: bool | None, at: dt.datetime, evidence: dict[str, Any]
) -> None:
    """One low-battery risk warning per person and local day, from a fix or a heartbeat, at or
    below their level's threshold."""
    if battery is None or charging or battery > 100:
        return
    threshold = policy_for(subject.supervision_level, cached_policies()).low_battery_percent
    if battery <= threshold:
        raise_alert(
            subject,
            kind=Kind.LOW_BATTERY,
            severity=Severity.INFO,
            occurred_at=at,
            dedupe_key=f"low_battery:{subject.pk}:{timezone.localtime(at).date().isoformat()}",
            evidence={"battery": battery, "threshold": threshold, **evidence},
        )


def phone_unreachable(
    sender: Any, *, subject: Subject, at: dt.datetime, day: str, evidence: dict[str, Any], **kwargs: Any
) -> Alert:
    """Reminders found pushes no longer reach the person's phone (``backend.reminders.upstream``):
    an "unreachable" risk warning, once per person and day."""
    return raise_alert(
        subject,
        kind=Kind.UNREACHABLE,
        severity=Severity.WARNING,
        occurred_at=at,
        dedupe_key=f"unreachable:{subject.pk}:{day}",
        evidence=evidence,
    )


# ---------------------------------------------------------------------------------------------
# Waking staff for critical alerts
# ---------------------------------------------------------------------------------------------


def _wake_staff_after_commit(alert: Alert) -> None:
    """Queue the push that wakes the office's staff once the alert is committed."""
    from backend.monitoring.tasks import push_alert_to_staff

    queue_on_commit(push_alert_to_staff, alert.pk)


def notify_staff_of_alert(alert_id: int) -> Delivery | None:
    """Push a critical alert, HIGH priority, to the staff phones of its office. Idempotent.

    Nothing is sent once someone has acknowledged the alert; the delivery itself (each token
    once, retries, the log) is reminders' ``wake_office_staff``. Returns the countdown to a
    retry, if any.
    """
    alert = Alert.objects.select_related("subject").filter(pk=alert_id).first()
    if alert is None or alert.severity != Severity.CRITICAL or alert.status != Alert.Status.OPEN:
        return None
    return wake_office_staff(
        StaffAlert(
            alert_id=alert.pk,
            seq=alert.seq,
            kind=alert.kind,
            subject_id=alert.subject_id,
            subject_name=alert.subject.name,
            office_id=alert.office_id,
            occurred_at=alert.occurred_at,
        )
    )
