"""Nobody lost, nobody forgotten (防脱管、防漏管): the periodic checks of silence and of people
nobody watches. Each check is idempotent (one alert per dedupe key, the state row locked while
deciding) and is run by a task of ``monitoring.tasks``.

防脱管, two stages for one due time (the person's thresholds are in the monitoring state,
copied from their level's policy by ``services.expectations``):

1. ``offline`` "check-in overdue": silent ``overdue_grace`` past the due time;
2. ``lost_contact`` "suspected loss of contact" (疑似脱管): still silent ``lost_contact_after``
   past the same due time.

An upload with a valid fix ends the silence: it notes ``contact_resumed_at`` (in the upload's
own statement) and ``note_contact_resumed`` writes it into both warnings' evidence and sends
``alert.updated`` to the consoles.

防漏管: ``unsupervised`` (in supervision, no active phone ``unsupervised_after_days`` after the
supervision began), ``term_ended`` (the end date has passed and nobody ended the supervision;
where the level's policy says so it is ended automatically instead, by supervision's
``end_overdue_terms``), ``app_removed`` (silent, and the push service forgot the phone's token).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef, Q
from django.utils import timezone

from backend.monitoring.events import publish_event
from backend.monitoring.models import Alert, MonitorState
from backend.monitoring.services.alerts import Kind, Severity, alert_payload, raise_alert
from backend.reminders.models import DeliveryAttempt
from backend.supervision import rules
from backend.supervision.models import Device, Subject
from backend.supervision.services import end_overdue_terms

IN_SUPERVISION = Subject.Status.IN_SUPERVISION


def _past(threshold: str) -> ExpressionWrapper[Any]:
    return ExpressionWrapper(F("next_checkin_due") + F(threshold), output_field=DateTimeField())


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# ---------------------------------------------------------------------------------------------
# 防脱管: overdue, then suspected loss of contact
# ---------------------------------------------------------------------------------------------


def detect_offline(now: dt.datetime | None = None) -> int:
    """Stage 1: one "check-in overdue" alert per due time for every person silent past their
    grace. Returns how many were raised."""
    now = now or timezone.now()
    overdue = (
        MonitorState.objects.annotate(overdue_at=_past("overdue_grace"))
        .filter(subject__status=IN_SUPERVISION, overdue_at__lt=now, offline_alerted_at__isnull=True)
        .values_list("pk", flat=True)
    )
    raised = 0
    for pk in list(overdue):
        with transaction.atomic():
            state = MonitorState.objects.select_for_update().select_related("subject").get(pk=pk)
            due = state.next_checkin_due
            if state.offline_alerted_at is not None or due is None or due + state.overdue_grace >= now:
                continue
            subject = state.subject
            raise_alert(
                subject,
                kind=Kind.OFFLINE,
                severity=Severity.CRITICAL
                if subject.supervision_level == Subject.Level.STRICT
                else Severity.WARNING,
                occurred_at=due,
                dedupe_key=f"offline:{subject.pk}:{due.isoformat()}",
                evidence={
                    "due_at": due.isoformat(),
                    "grace_s": int(state.overdue_grace.total_seconds()),
                    "last_upload_at": _iso(state.last_checkin_received_at),
                    "last_fix_at": _iso(state.last_fix_at),
                },
            )
            MonitorState.objects.filter(pk=pk).update(offline_alerted_at=now)
            raised += 1
    return raised


def detect_lost_contact(now: dt.datetime | None = None) -> int:
    """Stage 2: one "suspected loss of contact" (疑似脱管) alert per due time for every person
    still silent ``lost_contact_after`` past it (stage 1 raised first if it had not been)."""
    now = now or timezone.now()
    detect_offline(now)
    silent = (
        MonitorState.objects.annotate(lost_at=_past("lost_contact_after"))
        .filter(subject__status=IN_SUPERVISION, lost_at__lt=now, lost_contact_alerted_at__isnull=True)
        .values_list("pk", flat=True)
    )
    raised = 0
    for pk in list(silent):
        with transaction.atomic():
            state = MonitorState.objects.select_for_update().select_related("subject").get(pk=pk)
            due = state.next_checkin_due
            if (
                state.lost_contact_alerted_at is not None
                or due is None
                or due + state.lost_contact_after >= now
            ):
                continue
            subject = state.subject
            raise_alert(
                subject,
                kind=Kind.LOST_CONTACT,
                severity=Severity.CRITICAL,
                occurred_at=due + state.lost_contact_after,
                dedupe_key=f"lost_contact:{subject.pk}:{due.isoformat()}",
                evidence={
                    "due_at": due.isoformat(),
                    "threshold_s": int(state.lost_contact_after.total_seconds()),
                    "last_upload_at": _iso(state.last_checkin_received_at),
                    "last_fix_at": _iso(state.last_fix_at),
                    "last_position": None
                    if state.last_lat is None
                    else {"lat": state.last_lat, "lon": state.last_lon, "accuracy_m": state.last_accuracy_m},
                },
            )
            MonitorState.objects.filter(pk=pk).update(lost_contact_alerted_at=now)
            raised += 1
    return raised


def note_contact_resumed(subject_id: int) -> int:
    """Write when contact resumed into the evidence of the silence warnings it ended, and send
    ``alert.updated`` to the consoles. Returns how many alerts were completed; safe to run twice."""
    with transaction.atomic():
        state = MonitorState.objects.select_for_update().filter(subject_id=subject_id).first()
        if state is None or state.contact_resumed_at is None:
            return 0
        resumed_at = state.contact_resumed_at
        alerts = list(
            Alert.objects.select_for_update(of=("self",))
            .select_related("subject", "office", "zone", "acknowledged_by", "resolved_by")
            .filter(
                subject_id=subject_id,
                kind__in=[Kind.OFFLINE, Kind.LOST_CONTACT, Kind.APP_REMOVED],
                occurred_at__lte=resumed_at,
            )
            .exclude(evidence__has_key="contact_resumed_at")
        )
        for alert in alerts:
            evidence = dict(alert.evidence or {})
            evidence["contact_resumed_at"] = resumed_at.isoformat()
            alert.evidence = evidence
            alert.save(update_fields=["evidence"])
            publish_event(alert.office_id, "alert.updated", alert_payload(alert))
        MonitorState.objects.filter(pk=state.pk, contact_resumed_at=resumed_at).update(
            contact_resumed_at=None
        )
    return len(alerts)


def note_all_contact_resumed() -> int:
    """``note_contact_resumed`` for everyone whose resumption is not yet noted (a safety net
    behind the task each upload queues)."""
    ids = MonitorState.objects.filter(contact_resumed_at__isnull=False).values_list("subject_id", flat=True)
    return sum(note_contact_resumed(pk) for pk in list(ids))


# ---------------------------------------------------------------------------------------------
# 防漏管: no phone, the term over, the app gone
# ---------------------------------------------------------------------------------------------


def detect_unsupervised(today: dt.date | None = None) -> int:
    """One ``unsupervised`` (漏管) alert per person and start of supervision for everyone in
    supervision without an active phone ``unsupervised_after_days`` (their level's) after it began."""
    today = today or timezone.localdate()
    known = rules.policies()
    active_phone = Exists(Device.objects.filter(subject=OuterRef("pk"), revoked_at__isnull=True))
    without = Subject.objects.filter(status=IN_SUPERVISION).exclude(active_phone)
    without = without.filter(
        _any_level(
            known, lambda p: Q(supervision_start__lte=today - dt.timedelta(days=p.unsupervised_after_days))
        )
    )
    raised = 0
    for subject in without.select_related("office"):
        days = rules.policy_for(subject.supervision_level, known).unsupervised_after_days
        last = (
            Device.objects.filter(subject=subject)
            .order_by("-revoked_at")
            .values("revoked_at", "revoked_reason")
            .first()
        )
        # A phone revoked later than the start restarts the count from its revocation.
        since = max(
            subject.supervision_start,
            timezone.localdate(last["revoked_at"]) if last else subject.supervision_start,
        )
        if since > today - dt.timedelta(days=days):
            continue
        key = f"unsupervised:{subject.pk}:{since.isoformat()}"
        if Alert.objects.filter(dedupe_key=key).exists():
            continue
        with transaction.atomic():  # raise_alert numbers it inside a transaction
            raise_alert(
                subject,
                kind=Kind.UNSUPERVISED,
                severity=Severity.CRITICAL,
                occurred_at=_start_of(since + dt.timedelta(days=days)),
                dedupe_key=key,
                evidence={
                    "supervision_start": subject.supervision_start.isoformat(),
                    "without_phone_since": since.isoformat(),
                    "days_allowed": days,
                    "last_phone_revoked_at": _iso(last["revoked_at"]) if last else None,
                    "last_phone_revoked_reason": last["revoked_reason"] if last else None,
                },
            )
        raised += 1
    return raised


def _any_level(known: dict[str, rules.Policy], condition: Any) -> Q:
    query = Q(pk__in=[])
    for level, policy in known.items():
        query |= Q(supervision_level=level) & condition(policy)
    return query


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def detect_term_ended(today: dt.date | None = None) -> int:
    """For everyone whose supervision end date has passed without ``end_supervision``: end it
    where the level's policy says so, otherwise one ``term_ended`` alert per person and end date.
    Returns how many alerts were raised."""
    today = today or timezone.localdate()
    end_overdue_terms(today)
    raised = 0
    for subject in Subject.objects.filter(status=IN_SUPERVISION, supervision_end__lt=today).select_related(
        "office"
    ):
        key = f"term_ended:{subject.pk}:{subject.supervision_end.isoformat()}"
        if Alert.objects.filter(dedupe_key=key).exists():
            continue
        with transaction.atomic():  # raise_alert numbers it inside a transaction
            raise_alert(
                subject,
                kind=Kind.TERM_ENDED,
                severity=Severity.WARNING,
                occurred_at=_start_of(subject.supervision_end + dt.timedelta(days=1)),
                dedupe_key=key,
                evidence={"supervision_end": subject.supervision_end.isoformat()},
            )
        raised += 1
    return raised


def detect_app_removed(now: dt.datetime | None = None) -> int:
    """One ``app_removed`` (app uninstalled, suspected) alert per forgotten token for everyone
    whose phone is overdue (past its grace) and whose push token the push service declared dead
    after the phone's last upload, with no new token since."""
    now = now or timezone.now()
    forgotten = DeliveryAttempt.objects.filter(device=OuterRef("pk"), token_forgotten=True).order_by("-at")
    phones = (
        Device.objects.filter(revoked_at__isnull=True, push_token="", subject__status=IN_SUPERVISION)
        .annotate(forgotten_at=forgotten.values("at")[:1], attempt_id=forgotten.values("pk")[:1])
        .filter(forgotten_at__isnull=False)
        .select_related("subject", "subject__office")
    )
    raised = 0
    for device in phones:
        state = MonitorState.objects.filter(subject_id=device.subject_id).first()
        if (
            state is None
            or state.next_checkin_due is None
            or state.next_checkin_due + state.overdue_grace >= now
        ):
            continue
        last_upload = state.last_checkin_received_at
        forgotten_at = device.forgotten_at
        if last_upload is not None and last_upload > forgotten_at:
            continue
        key = f"app_removed:{device.subject_id}:{device.attempt_id}"
        if Alert.objects.filter(dedupe_key=key).exists():
            continue
        with transaction.atomic():  # raise_alert numbers it inside a transaction
            raise_alert(
                device.subject,
                kind=Kind.APP_REMOVED,
                severity=Severity.CRITICAL,
                occurred_at=forgotten_at,
                dedupe_key=key,
                evidence={
                    "token_forgotten_at": forgotten_at.isoformat(),
                    "due_at": state.next_checkin_due.isoformat(),
                    "last_upload_at": _iso(last_upload),
                    "device_id": device.pk,
                },
            )
        raised += 1
    return raised
