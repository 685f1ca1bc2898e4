"""Delivery of reminders: the dispatcher, one push per send with its logged attempt, retries,
dead tokens, the "unreachable" risk warning, and the pushes that wake staff for critical alerts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from backend.accounts.models import OFFICE_ROLES
from backend.core.outbox import queue_on_commit
from backend.reminders import push, rules
from backend.reminders.models import DeliveryAttempt, Reminder, StaffPushToken, token_prefix
from backend.reminders.services.answers import pending_reminders
from backend.reminders.upstream import last_upload, phone_unreachable, staff_on_duty
from backend.supervision.models import Device, Subject
from notifications import DeliveryResult, Message

Kind, PushStatus, Result = Reminder.Kind, Reminder.PushStatus, DeliveryAttempt.Result

# A worker that claimed a reminder and has not finished within this time is presumed dead; the
# dispatcher may then claim the reminder again.
CLAIM_LEASE = dt.timedelta(minutes=5)
# A retry task may arrive a little before its countdown by another machine's clock.
CLOCK_TOLERANCE = dt.timedelta(seconds=5)
# This many reminders in a row whose push finally failed make the person "unreachable".
UNREACHABLE_AFTER_FAILED_REMINDERS = 3


def dispatch_due_reminders(now: dt.datetime | None = None, limit: int = 2000) -> int:
    """Queue a send for every reminder whose push is due, and retire those no longer worth sending.

    Picks up reminders held past the quiet hours, retries whose countdown task was lost, and
    claims whose worker died. Queuing one twice is harmless: the send claims it first.
    """
    from backend.reminders.tasks import send_reminder

    now = now or timezone.now()
    Reminder.objects.filter(push_status__in=[PushStatus.PENDING, PushStatus.RETRYING]).filter(
        Q(acknowledged_at__isnull=False) | Q(expires_at__lte=now)
    ).update(push_status=PushStatus.SKIPPED, push_finished_at=now, push_next_at=None)
    due = list(
        Reminder.objects.filter(_claimable(now))
        .order_by("send_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for reminder_id in due:
        queue_on_commit(send_reminder, reminder_id)
    return len(due)


def _claimable(now: dt.datetime) -> Q:
    return Q(push_status=PushStatus.PENDING, send_at__lte=now) | Q(
        push_status__in=[PushStatus.RETRYING, PushStatus.SENDING], push_next_at__lte=now
    )


def _claim(reminder_id: int, now: dt.datetime) -> int | None:
    """Take the reminder for this worker with a conditional UPDATE; the attempt number, or None."""
    claimed = Reminder.objects.filter(_claimable(now + CLOCK_TOLERANCE), pk=reminder_id).update(
        push_status=PushStatus.SENDING, push_next_at=now + CLAIM_LEASE, push_attempts=F("push_attempts") + 1
    )
    if not claimed:
        return None
    return int(Reminder.objects.values_list("push_attempts", flat=True).get(pk=reminder_id))


def _why_not_send(reminder: Reminder, now: dt.datetime) -> str | None:
    if reminder.acknowledged_at is not None:
        return "acknowledged"
    if reminder.expires_at is not None and reminder.expires_at <= now:
        return "expired"
    if reminder.subject.status != Subject.Status.IN_SUPERVISION:
        return "supervision ended"
    if reminder.kind == Kind.CHECKIN:
        uploaded = last_upload(reminder.subject_id)
        if uploaded is not None and reminder.created_at < uploaded:
            return "superseded by a check-in"
    return None


def _finish(reminder_id: int, status: str, now: dt.datetime) -> None:
    Reminder.objects.filter(pk=reminder_id).update(
        push_status=status, push_finished_at=now, push_next_at=None
    )


@dataclass(frozen=True)
class Delivery:
    """What one send of a reminder did; ``retry_in`` is the countdown to the next attempt, if any."""

    status: str
    attempt: DeliveryAttempt | None = None
    retry_in: float | None = None


def deliver_reminder(reminder_id: int) -> Delivery | None:
    """Push one reminder once and log the attempt. None when another worker has it or it is done.

    A reminder already delivered is never sent again. A temporary failure is retried after
    ``RetryPolicy.delay_for`` (the caller schedules it), up to ``PUSH_MAX_ATTEMPTS`` sends; a dead
    token is cleared from the phone record, as Traccar does.
    """
    now = timezone.now()
    attempt = _claim(reminder_id, now)
    if attempt is None:
        return None
    reminder = Reminder.objects.select_related("subject").get(pk=reminder_id)
    if _why_not_send(reminder, now):
        _finish(reminder_id, PushStatus.SKIPPED, now)
        return Delivery(PushStatus.SKIPPED)
    device = Device.objects.filter(subject_id=reminder.subject_id, revoked_at__isnull=True).first()
    if device is None or not device.push_token:
        # Nothing to push to; the reminder still reaches the phone in its next check-in answer.
        _finish(reminder_id, PushStatus.NO_TOKEN, now)
        return Delivery(PushStatus.NO_TOKEN)

    transport = push.get_transport()
    message = push.reminder_message(
        reminder_id=reminder.pk,
        kind=reminder.kind,
        title=reminder.title,
        body=reminder.body,
        data=reminder.data,
        urgent=reminder.urgent,
        tokens=(device.push_token,),
        ttl_seconds=push.ttl_until(reminder.expires_at, now),
    )
    [result] = push.send_once(transport, message)
    sent_at = timezone.now()
    policy = push.retry_policy()

    retry_in = None
    if result.ok:
        status = PushStatus.SENT
    elif result.should_retry and attempt < policy.max_attempts:
        status = PushStatus.RETRYING
        retry_in = policy.delay_for(attempt, retry_after=result.error.retry_after if result.error else None)
    else:
        status = PushStatus.FAILED
    next_at = sent_at + dt.timedelta(seconds=retry_in) if retry_in is not None else None
    with transaction.atomic():
        forgotten = result.should_forget_token and _forget_device_token(result.token)
        logged = _log_attempt(
            result,
            transport.name,
            attempt,
            sent_at,
            next_at,
            forgotten,
            reminder=reminder,
            subject_id=reminder.subject_id,
            device=device,
        )
        Reminder.objects.filter(pk=reminder.pk).update(
            push_status=status,
            push_next_at=next_at,
            push_finished_at=sent_at if status in (PushStatus.SENT, PushStatus.FAILED) else None,
        )
        if status == PushStatus.FAILED:
            check_unreachable(reminder.subject, sent_at, token_forgotten=forgotten)
    return Delivery(status, logged, retry_in)


def _forget_device_token(token: str) -> bool:
    """Clear a dead token from every phone record holding it (it may have been replaced meanwhile)."""
    return Device.objects.filter(push_token=token).update(push_token="") > 0


def _log_attempt(
    result: DeliveryResult,
    transport: str,
    attempt: int,
    at: dt.datetime,
    next_retry_at: dt.datetime | None,
    forgotten: bool,
    *,
    subject_id: int,
    reminder: Reminder | None = None,
    device: Device | None = None,
    alert_id: int | None = None,
    staff_token: StaffPushToken | None = None,
) -> DeliveryAttempt:
    error = result.error
    if result.ok:
        outcome = Result.OK
    else:
        outcome = Result.PERMANENT if error is not None and error.permanent else Result.TEMPORARY
    return DeliveryAttempt.objects.create(
        reminder=reminder,
        alert_id=alert_id,
        subject_id=subject_id,
        recipient=DeliveryAttempt.Recipient.STAFF if staff_token else DeliveryAttempt.Recipient.SUBJECT,
        device=device,
        staff_user_id=staff_token.user_id if staff_token else None,
        staff_token=staff_token,
        token_prefix=token_prefix(result.token),
        transport=transport[:20],
        attempt=attempt,
        at=at,
        result=outcome,
        error_code=(error.code if error else "")[:60],
        error_message=(error.message if error else "")[:300],
        message_id=(result.message_id or "")[:200],
        token_forgotten=forgotten,
        next_retry_at=next_retry_at,
    )


# ---------------------------------------------------------------------------------------------
# Unreachable people
# ---------------------------------------------------------------------------------------------


def check_unreachable(subject: Subject, now: dt.datetime, *, token_forgotten: bool = False) -> Any:
    """Raise an "unreachable" risk warning (once per person and day) when pushes do not arrive.

    That is when the push service has declared the phone's token dead while reminders wait for
    it, or when the last ``UNREACHABLE_AFTER_FAILED_REMINDERS`` reminders whose push finished all
    failed (each after its retries, so one outage of a few seconds does not count).
    Returns the alert, or None. The warning is raised by whoever listens to ``phone_unreachable``
    (monitoring), in this transaction.
    """
    evidence: dict[str, Any]
    if token_forgotten and pending_reminders(subject.pk, now).exists():
        evidence = {
            "reason": "token_forgotten",
            "pending_reminders": list(pending_reminders(subject.pk, now).values_list("pk", flat=True)[:20]),
        }
    else:
        finished = list(
            Reminder.objects.filter(subject=subject, push_status__in=[PushStatus.SENT, PushStatus.FAILED])
            .order_by("-push_finished_at", "-id")
            .values_list("pk", "push_status")[:UNREACHABLE_AFTER_FAILED_REMINDERS]
        )
        if len(finished) < UNREACHABLE_AFTER_FAILED_REMINDERS or any(
            s != PushStatus.FAILED for _pk, s in finished
        ):
            return None
        evidence = {"reason": "failed_deliveries", "failed_reminders": [pk for pk, _s in finished]}
    with transaction.atomic():
        answers = phone_unreachable.send(
            sender=Reminder,
            subject=subject,
            at=now,
            evidence=evidence,
            day=rules.local(now).date().isoformat(),
        )
    return next((alert for _receiver, alert in answers if alert is not None), None)


# ---------------------------------------------------------------------------------------------
# Waking staff for critical alerts
# ---------------------------------------------------------------------------------------------


def staff_to_wake(office_id: int) -> QuerySet[StaffPushToken]:
    """Live push tokens of the office's staff on duty now (``upstream.staff_on_duty``), or, with
    nobody on its roster, of every officer and the head of the office."""
    tokens = StaffPushToken.objects.select_related("user").filter(
        forgotten_at__isnull=True, user__is_active=True
    )
    on_duty = staff_on_duty(office_id, timezone.now())
    if on_duty is not None:
        return tokens.filter(user_id__in=on_duty).order_by("pk")
    return tokens.filter(user__office_id=office_id, user__role__in=list(OFFICE_ROLES)).order_by("pk")


def _tokens_still_to_notify(
    alert_id: int, tokens: Iterable[StaffPushToken], max_attempts: int
) -> list[tuple[StaffPushToken, int]]:
    """``(token, attempt number)`` for tokens not yet delivered, not failed for good, with tries left."""
    history: dict[int, list[str]] = {}
    for token_id, result in DeliveryAttempt.objects.filter(alert_id=alert_id).values_list(
        "staff_token_id", "result"
    ):
        history.setdefault(token_id, []).append(result)
    todo = []
    for token in tokens:
        results = history.get(token.pk, [])
        if Result.OK in results or Result.PERMANENT in results or len(results) >= max_attempts:
            continue
        todo.append((token, len(results) + 1))
    return todo


@dataclass(frozen=True)
class StaffAlert:
    """What the push that wakes staff says about an alert (monitoring owns alerts and gives it)."""

    alert_id: int
    seq: int
    kind: str
    subject_id: int
    subject_name: str
    office_id: int
    occurred_at: dt.datetime


def wake_office_staff(alert: StaffAlert) -> Delivery | None:
    """Push an alert, HIGH priority, to the staff phones of its office. Idempotent.

    Each token gets the alert once: tokens already delivered or permanently failed are skipped,
    so running again only retries temporary failures (bounded by ``PUSH_MAX_ATTEMPTS``). Which
    alerts wake staff, and until when, is the caller's rule (monitoring: critical ones, until
    someone acknowledges them). Returns the countdown to a retry, if any.
    """
    policy = push.retry_policy()
    todo = _tokens_still_to_notify(alert.alert_id, staff_to_wake(alert.office_id), policy.max_attempts)
    if not todo:
        return None
    text = rules.staff_alert_text(alert.kind, alert.subject_name, alert.occurred_at)
    transport = push.get_transport()
    message: Message = push.staff_alert_message(
        alert_id=alert.alert_id,
        subject_id=alert.subject_id,
        seq=alert.seq,
        title=text.title,
        body=text.body,
        tokens=tuple(token.token for token, _n in todo),
    )
    results = push.send_once(transport, message)
    at = timezone.now()
    by_token = {token.token: (token, attempt) for token, attempt in todo}
    retry_in: float | None = None
    with transaction.atomic():
        for result in results:
            token, attempt = by_token[result.token]
            delay = None
            if result.should_retry and attempt < policy.max_attempts:
                delay = policy.delay_for(
                    attempt, retry_after=result.error.retry_after if result.error else None
                )
                retry_in = max(retry_in or 0.0, delay)
            forgotten = False
            if result.should_forget_token:
                forgotten = (
                    StaffPushToken.objects.filter(pk=token.pk, forgotten_at__isnull=True).update(
                        forgotten_at=at,
                        forgotten_reason=f"push service: {result.error.code if result.error else ''}"[:100],
                    )
                    > 0
                )
            _log_attempt(
                result,
                transport.name,
                attempt,
                at,
                at + dt.timedelta(seconds=delay) if delay is not None else None,
                forgotten,
                subject_id=alert.subject_id,
                alert_id=alert.alert_id,
                staff_token=token,
            )
    return Delivery("sent", None, retry_in)
