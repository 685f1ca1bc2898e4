"""Domain actions of reminders and push delivery.

Scheduling creates ``Reminder`` rows (once per dedupe key); delivery pushes them from Celery
tasks queued after commit and logs every attempt; the phone also receives pending reminders in
each check-in answer and acknowledges them. Critical alerts wake the staff of their office.
Views, tasks, the admin and other modules call these functions; none of them writes the models.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from backend.accounts.models import OFFICE_ROLES, User
from backend.config.db import hot_cursor
from backend.reminders import push, rules
from backend.reminders.models import DeliveryAttempt, Reminder, StaffPushToken, token_prefix
from backend.supervision.models import Device, Subject
from notifications import DeliveryResult, Message

log = logging.getLogger(__name__)

Kind, PushStatus, Result = Reminder.Kind, Reminder.PushStatus, DeliveryAttempt.Result

# A worker that claimed a reminder and has not finished within this time is presumed dead; the
# dispatcher may then claim the reminder again.
CLAIM_LEASE = dt.timedelta(minutes=5)
# A retry task may arrive a little before its countdown by another machine's clock.
CLOCK_TOLERANCE = dt.timedelta(seconds=5)
# This many reminders in a row whose push finally failed make the person "unreachable".
UNREACHABLE_AFTER_FAILED_REMINDERS = 3
# How many pending reminders one check-in answer carries at most (the oldest first).
MAX_PENDING_IN_ANSWER = 20


def _queue_after_commit(task: Any, *args: Any) -> None:
    """Queue a Celery task once the current transaction commits (at once outside one)."""
    if hasattr(task, "delay_on_commit"):
        task.delay_on_commit(*args)
    else:  # a Celery app without the Django task class
        transaction.on_commit(lambda: task.delay(*args))


# ---------------------------------------------------------------------------------------------
# Scheduling
# ---------------------------------------------------------------------------------------------


def _validated_data(title: str, body: str, data: dict[str, Any] | None) -> dict[str, str]:
    data = dict(data or {})
    # Build the push once now, so a bad value (not a string, a key FCM reserves, too long a text)
    # fails in the module that scheduled it rather than later in a worker.
    push.reminder_message(reminder_id=0, kind="other", title=title, body=body, data=data, urgent=False,
                          tokens=("validation",), ttl_seconds=None)
    return data


def schedule_reminder_once(subject: Subject, kind: str, due_at: dt.datetime, title: str, body: str,
                           data: dict[str, Any] | None, dedupe_key: str, urgent: bool = False,
                           expires_at: dt.datetime | None = None) -> tuple[Reminder, bool]:
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
                subject=subject, kind=kind, dedupe_key=dedupe_key, title=title, body=body, data=clean,
                urgent=urgent, due_at=due_at, send_at=send_at, expires_at=expires_at, push_next_at=send_at,
            )
    except IntegrityError:  # a concurrent run of the same job created it first
        return Reminder.objects.get(subject=subject, dedupe_key=dedupe_key), False
    if send_at <= timezone.now():
        from backend.reminders.tasks import send_reminder

        _queue_after_commit(send_reminder, reminder.pk)
    return reminder, True


def schedule_reminder(subject: Subject, kind: str, due_at: dt.datetime, title: str, body: str,
                      data: dict[str, Any] | None, dedupe_key: str, urgent: bool = False,
                      expires_at: dt.datetime | None = None) -> Reminder:
    """Schedule a reminder for ``subject``'s phone, once per ``dedupe_key``. Idempotent.

    ``due_at`` is when it should reach the phone; a non-urgent one due in the quiet hours is held
    until they end. ``dedupe_key`` must name the kind and the period or event
    (``"education:12:session-7:day_before"``) so that running a job again creates nothing.
    ``data`` (str to str) reaches the app with the push and in check-in answers. A reminder
    stops being delivered at ``expires_at`` (None: only acknowledging ends it).
    """
    reminder, _created = schedule_reminder_once(subject, kind, due_at, title, body, data, dedupe_key, urgent,
                                                expires_at)
    return reminder


def _active_device_exists() -> Any:
    from django.db.models import Exists, OuterRef

    return Exists(Device.objects.filter(subject=OuterRef("subject_id"), revoked_at__isnull=True))


def schedule_checkin_prompts(now: dt.datetime | None = None) -> int:
    """Prompt every enrolled phone whose check-in is due soon or just passed. Safe to run often.

    The lead depends on the supervision level (``rules.CHECKIN_PROMPT_LEAD``); one prompt per
    due time, so the five-minute job creates it once.
    """
    from backend.monitoring.models import MonitorState

    now = now or timezone.now()
    states = (MonitorState.objects.select_related("subject")
              .filter(subject__status=Subject.Status.IN_SUPERVISION,
                      next_checkin_due__gt=now - rules.OFFLINE_GRACE,
                      next_checkin_due__lte=now + rules.MAX_CHECKIN_PROMPT_LEAD)
              .filter(_active_device_exists()))
    created = 0
    for state in states:
        subject, due = state.subject, state.next_checkin_due
        assert due is not None
        prompt_at, expires_at = rules.checkin_prompt_times(due, subject.supervision_level)
        if now < prompt_at:
            continue
        text = rules.checkin_prompt_text(due, now)
        _reminder, new = schedule_reminder_once(
            subject, Kind.CHECKIN, prompt_at, text.title, text.body, {"checkin_due": rules.local(due).isoformat()},
            dedupe_key=f"checkin:{subject.pk}:{due.isoformat()}", expires_at=expires_at)
        created += new
    return created


def schedule_monthly_report_reminders(now: dt.datetime | None = None) -> int:
    """From the 25th, remind every subject in supervision to hand in this month's report (思想汇报)."""
    now = now or timezone.now()
    window = rules.monthly_report_window(now)
    if window is None:
        return 0
    subjects = Subject.objects.filter(status=Subject.Status.IN_SUPERVISION,
                                      supervision_start__lte=window.due_at.date()).only("pk", "office_id")
    already = set(Reminder.objects.filter(kind=Kind.MONTHLY_REPORT, dedupe_key__endswith=f":{window.period}")
                  .values_list("subject_id", flat=True))
    created = 0
    text = rules.MONTHLY_REPORT_TEXT
    for subject in subjects.iterator():
        if subject.pk in already:
            continue
        _reminder, new = schedule_reminder_once(
            subject, Kind.MONTHLY_REPORT, window.due_at, text.title, text.body, {"period": window.period},
            dedupe_key=f"monthly_report:{subject.pk}:{window.period}", expires_at=window.expires_at)
        created += new
    return created


def schedule_education_reminders(subject: Subject, *, session_key: str, starts_at: dt.datetime,
                                 topic: str = "集中教育", place: str = "") -> list[Reminder]:
    """The day-before and hour-before reminders of one education session (入矫教育, 集中教育).

    For the education module, which does not exist yet: call it when a subject is assigned to a
    session, with ``session_key`` naming the session (its id). Both expire when the session starts.
    """
    reminders = []
    for label, due_at in rules.education_reminder_times(starts_at):
        text = rules.education_text(label, starts_at, topic, place)
        reminders.append(schedule_reminder(
            subject, Kind.EDUCATION, due_at, text.title, text.body,
            {"session": session_key, "starts_at": rules.local(starts_at).isoformat()},
            dedupe_key=f"education:{subject.pk}:{session_key}:{label}", expires_at=starts_at))
    return reminders


def schedule_leave_return_reminders(subject: Subject, *, leave_key: str,
                                    return_due_at: dt.datetime) -> list[Reminder]:
    """The day-before and two-hours-before reminders that an approved leave (外出请假) ends.

    For the leave module, which does not exist yet: call it when a leave is approved (and again
    with a new ``leave_key`` when it is extended). Both expire when the leave ends.
    """
    reminders = []
    for label, due_at in rules.leave_return_reminder_times(return_due_at):
        text = rules.leave_return_text(label, return_due_at)
        reminders.append(schedule_reminder(
            subject, Kind.LEAVE_RETURN, due_at, text.title, text.body,
            {"leave": leave_key, "return_due_at": rules.local(return_due_at).isoformat()},
            dedupe_key=f"leave_return:{subject.pk}:{leave_key}:{label}", expires_at=return_due_at))
    return reminders


# ---------------------------------------------------------------------------------------------
# The fallback channel: check-in answers and acknowledgements
# ---------------------------------------------------------------------------------------------


def pending_reminders(subject_id: int, now: dt.datetime | None = None,
                      last_upload: dt.datetime | None = None) -> QuerySet[Reminder]:
    """Reminders the phone should show: due, not acknowledged, not expired, not superseded.

    A check-in prompt is superseded by any upload received after it was created. The check-in
    path passes ``last_upload`` (the upload it is answering) to save a query.
    """
    now = now or timezone.now()
    queryset = (Reminder.objects.filter(subject_id=subject_id, acknowledged_at__isnull=True, send_at__lte=now)
                .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now)))
    last_upload = last_upload or _last_upload(subject_id)
    if last_upload is not None:
        queryset = queryset.exclude(kind=Kind.CHECKIN, created_at__lt=last_upload)
    return queryset.order_by("send_at", "id")


def _last_upload(subject_id: int) -> dt.datetime | None:
    from backend.monitoring.models import MonitorState

    return (MonitorState.objects.filter(subject_id=subject_id)
            .values_list("last_checkin_received_at", flat=True).first())


# The rule of ``pending_reminders`` written out for the check-in path (building the ORM query cost
# more than the rest of a single-fix upload): the person is ``{subject}``, the other parameters
# are ``pending_params``.
_PENDING_SQL = f"""
    SELECT id, kind, title, body, data, send_at FROM {Reminder._meta.db_table}
    WHERE subject_id = {{subject}} AND acknowledged_at IS NULL AND send_at <= %s
      AND (expires_at IS NULL OR expires_at > %s) AND NOT (kind = %s AND created_at < %s)
    ORDER BY send_at, id LIMIT %s
"""  # noqa: S608


def pending_json_sql(subject: str) -> str:
    """The same rows as one JSON array, for a statement that carries them along (PostgreSQL);
    ``subject`` is an SQL expression of the person's id."""
    return ("(SELECT COALESCE(json_agg(json_build_array(r.id, r.kind, r.title, r.body, r.data) "  # noqa: S608
            f"ORDER BY r.send_at, r.id), '[]') FROM ({_PENDING_SQL.format(subject=subject)}) AS r)")


def pending_params(uploaded_at: dt.datetime) -> list[Any]:
    """The parameters of the pending reminders' SQL (after the person) for the upload ``uploaded_at``."""
    prepare = connection.ops.adapt_datetimefield_value
    now = prepare(timezone.now())
    return [now, now, Kind.CHECKIN, prepare(uploaded_at), MAX_PENDING_IN_ANSWER]


def pending_payload(device: Device, uploaded_at: dt.datetime | None = None,
                    rows: Any = None) -> list[dict[str, Any]]:
    """Pending reminders in the check-in answer's shape: ``{id, type, title, body, data}``.

    With ``uploaded_at`` (the check-in path, once per upload) the rule of ``pending_reminders``
    runs as one plain statement, unless the upload's own statement already brought the rows
    (``rows``: ``pending_json_sql``'s array, as JSON text or decoded).
    """
    if uploaded_at is None:
        found = pending_reminders(device.subject_id).values_list("pk", "kind", "title", "body", "data")
        return [_pending_item(*row) for row in found[:MAX_PENDING_IN_ANSWER]]
    if rows is not None:
        return [_pending_item(*row) for row in (json.loads(rows) if isinstance(rows, str) else rows)]
    with hot_cursor() as cursor:
        cursor.execute(_PENDING_SQL.format(subject="%s"), [device.subject_id, *pending_params(uploaded_at)])
        found = cursor.fetchall()
    data_field = Reminder._meta.get_field("data")
    return [_pending_item(pk, kind, title, body, data_field.from_db_value(data, None, connection))
            for pk, kind, title, body, data, _send_at in found]


def _pending_item(pk: int, kind: str, title: str, body: str, data: Any) -> dict[str, Any]:
    return {"id": str(pk), "type": kind, "title": title, "body": body, "data": dict(data)}


def acknowledge_reminder(device: Device, reminder_id: int) -> Reminder:
    """The phone has shown the reminder: stop returning and pushing it. Acknowledging twice is fine."""
    reminder = Reminder.objects.filter(pk=reminder_id, subject_id=device.subject_id).first()
    if reminder is None:
        raise Http404
    now = timezone.now()
    Reminder.objects.filter(pk=reminder.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=now, acknowledged_device=device)
    reminder.refresh_from_db(fields=["acknowledged_at", "acknowledged_device"])
    return reminder


# ---------------------------------------------------------------------------------------------
# Push tokens
# ---------------------------------------------------------------------------------------------


def set_device_push_token(device: Device, token: str | None) -> Device:
    """Store (or with an empty value clear) the phone's push token.

    A token belongs to one app installation, so it is taken off any other phone record holding
    it: a handed-on phone must not receive its previous owner's reminders. When the token changes,
    reminders still pending that could not be pushed are queued again.
    """
    token = (token or "").strip()
    with transaction.atomic():
        previous = Device.objects.select_for_update().values_list("push_token", flat=True).get(pk=device.pk)
        if token:
            Device.objects.filter(push_token=token).exclude(pk=device.pk).update(push_token="")
        Device.objects.filter(pk=device.pk).update(push_token=token)
        device.push_token = token
        if token and token != previous:
            # A new token gets a fresh set of tries; the log numbers its attempts from 1 again.
            (pending_reminders(device.subject_id)
             .filter(push_status__in=[PushStatus.NO_TOKEN, PushStatus.FAILED])
             .update(push_status=PushStatus.PENDING, push_attempts=0, push_next_at=timezone.now(),
                     push_finished_at=None))
    return device


def register_staff_push_token(user: User, token: str, platform: str) -> StaffPushToken:
    """Register the push token of the phone or browser ``user`` is logged in on.

    A token moves to whoever registers it last (a shared duty phone), and registering again
    revives a token that was forgotten.
    """
    token = token.strip()
    if not token:
        raise ValidationError({"push_token": [_("This field may not be blank.")]})
    record, _created = StaffPushToken.objects.update_or_create(
        token=token, defaults={"user": user, "platform": platform, "forgotten_at": None, "forgotten_reason": ""})
    return record


def unregister_staff_push_token(user: User, token: str) -> int:
    """Stop pushing to ``token`` (logout on that phone). Returns how many tokens were forgotten."""
    return StaffPushToken.objects.filter(user=user, token=token.strip(), forgotten_at__isnull=True).update(
        forgotten_at=timezone.now(), forgotten_reason="unregistered by the staff member")


# ---------------------------------------------------------------------------------------------
# Delivery of reminders
# ---------------------------------------------------------------------------------------------


def dispatch_due_reminders(now: dt.datetime | None = None, limit: int = 2000) -> int:
    """Queue a send for every reminder whose push is due, and retire those no longer worth sending.

    Picks up reminders held past the quiet hours, retries whose countdown task was lost, and
    claims whose worker died. Queuing one twice is harmless: the send claims it first.
    """
    from backend.reminders.tasks import send_reminder

    now = now or timezone.now()
    Reminder.objects.filter(push_status__in=[PushStatus.PENDING, PushStatus.RETRYING]).filter(
        Q(acknowledged_at__isnull=False) | Q(expires_at__lte=now)).update(
        push_status=PushStatus.SKIPPED, push_finished_at=now, push_next_at=None)
    due = list(Reminder.objects.filter(_claimable(now)).order_by("send_at", "id").values_list("pk", flat=True)[:limit])
    for reminder_id in due:
        _queue_after_commit(send_reminder, reminder_id)
    return len(due)


def _claimable(now: dt.datetime) -> Q:
    return (Q(push_status=PushStatus.PENDING, send_at__lte=now)
            | Q(push_status__in=[PushStatus.RETRYING, PushStatus.SENDING], push_next_at__lte=now))


def _claim(reminder_id: int, now: dt.datetime) -> int | None:
    """Take the reminder for this worker with a conditional UPDATE; the attempt number, or None."""
    claimed = Reminder.objects.filter(_claimable(now + CLOCK_TOLERANCE), pk=reminder_id).update(
        push_status=PushStatus.SENDING, push_next_at=now + CLAIM_LEASE, push_attempts=F("push_attempts") + 1)
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
        last_upload = _last_upload(reminder.subject_id)
        if last_upload is not None and reminder.created_at < last_upload:
            return "superseded by a check-in"
    return None


def _finish(reminder_id: int, status: str, now: dt.datetime) -> None:
    Reminder.objects.filter(pk=reminder_id).update(push_status=status, push_finished_at=now, push_next_at=None)


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
        reminder_id=reminder.pk, kind=reminder.kind, title=reminder.title, body=reminder.body, data=reminder.data,
        urgent=reminder.urgent, tokens=(device.push_token,), ttl_seconds=push.ttl_until(reminder.expires_at, now))
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
        logged = _log_attempt(result, transport.name, attempt, sent_at, next_at, forgotten, reminder=reminder,
                              subject_id=reminder.subject_id, device=device)
        Reminder.objects.filter(pk=reminder.pk).update(
            push_status=status, push_next_at=next_at,
            push_finished_at=sent_at if status in (PushStatus.SENT, PushStatus.FAILED) else None)
        if status == PushStatus.FAILED:
            check_unreachable(reminder.subject, sent_at, token_forgotten=forgotten)
    return Delivery(status, logged, retry_in)


def _forget_device_token(token: str) -> bool:
    """Clear a dead token from every phone record holding it (it may have been replaced meanwhile)."""
    return Device.objects.filter(push_token=token).update(push_token="") > 0


def _log_attempt(result: DeliveryResult, transport: str, attempt: int, at: dt.datetime,
                 next_retry_at: dt.datetime | None, forgotten: bool, *, subject_id: int,
                 reminder: Reminder | None = None, device: Device | None = None, alert_id: int | None = None,
                 staff_token: StaffPushToken | None = None) -> DeliveryAttempt:
    error = result.error
    if result.ok:
        outcome = Result.OK
    else:
        outcome = Result.PERMANENT if error is not None and error.permanent else Result.TEMPORARY
    return DeliveryAttempt.objects.create(
        reminder=reminder, alert_id=alert_id, subject_id=subject_id,
        recipient=DeliveryAttempt.Recipient.STAFF if staff_token else DeliveryAttempt.Recipient.SUBJECT,
        device=device, staff_user_id=staff_token.user_id if staff_token else None, staff_token=staff_token,
        token_prefix=token_prefix(result.token), transport=transport[:20], attempt=attempt, at=at, result=outcome,
        error_code=(error.code if error else "")[:60], error_message=(error.message if error else "")[:300],
        message_id=(result.message_id or "")[:200], token_forgotten=forgotten, next_retry_at=next_retry_at,
    )


# ---------------------------------------------------------------------------------------------
# Unreachable people
# ---------------------------------------------------------------------------------------------


def check_unreachable(subject: Subject, now: dt.datetime, *, token_forgotten: bool = False) -> Any:
    """Raise an "unreachable" risk warning (once per person and day) when pushes do not arrive.

    That is when the push service has declared the phone's token dead while reminders wait for
    it, or when the last ``UNREACHABLE_AFTER_FAILED_REMINDERS`` reminders whose push finished all
    failed (each after its retries, so one outage of a few seconds does not count).
    Returns the alert, or None.
    """
    from backend.monitoring.models import Alert
    from backend.monitoring.services import raise_alert

    evidence: dict[str, Any]
    if token_forgotten and pending_reminders(subject.pk, now).exists():
        evidence = {"reason": "token_forgotten",
                    "pending_reminders": list(pending_reminders(subject.pk, now).values_list("pk", flat=True)[:20])}
    else:
        finished = list(Reminder.objects.filter(subject=subject, push_status__in=[PushStatus.SENT, PushStatus.FAILED])
                        .order_by("-push_finished_at", "-id")
                        .values_list("pk", "push_status")[:UNREACHABLE_AFTER_FAILED_REMINDERS])
        if len(finished) < UNREACHABLE_AFTER_FAILED_REMINDERS or any(s != PushStatus.FAILED for _pk, s in finished):
            return None
        evidence = {"reason": "failed_deliveries", "failed_reminders": [pk for pk, _s in finished]}
    day = rules.local(now).date().isoformat()
    with transaction.atomic():
        return raise_alert(subject, kind=Alert.Kind.UNREACHABLE, severity=Alert.Severity.WARNING, occurred_at=now,
                           dedupe_key=f"unreachable:{subject.pk}:{day}", evidence=evidence)


# ---------------------------------------------------------------------------------------------
# Waking staff for critical alerts
# ---------------------------------------------------------------------------------------------


def alert_raised(alert: Any) -> None:
    """Called by monitoring for every new alert: a critical one wakes its office's staff after commit."""
    from backend.monitoring.models import Alert

    if alert.severity != Alert.Severity.CRITICAL:
        return
    from backend.reminders.tasks import push_alert_to_staff

    _queue_after_commit(push_alert_to_staff, alert.pk)


def staff_to_wake(office_id: int) -> QuerySet[StaffPushToken]:
    """Live push tokens of the officers and the head of an office.

    There is no duty roster yet, so every officer of the office is woken; a roster would narrow
    this query.
    """
    return (StaffPushToken.objects.select_related("user")
            .filter(forgotten_at__isnull=True, user__is_active=True, user__office_id=office_id,
                    user__role__in=list(OFFICE_ROLES))
            .order_by("pk"))


def _tokens_still_to_notify(alert_id: int, tokens: Iterable[StaffPushToken], max_attempts: int
                            ) -> list[tuple[StaffPushToken, int]]:
    """``(token, attempt number)`` for tokens not yet delivered, not failed for good, with tries left."""
    history: dict[int, list[str]] = {}
    for token_id, result in DeliveryAttempt.objects.filter(alert_id=alert_id).values_list("staff_token_id", "result"):
        history.setdefault(token_id, []).append(result)
    todo = []
    for token in tokens:
        results = history.get(token.pk, [])
        if Result.OK in results or Result.PERMANENT in results or len(results) >= max_attempts:
            continue
        todo.append((token, len(results) + 1))
    return todo


def notify_staff_of_alert(alert_id: int) -> Delivery | None:
    """Push a critical alert, HIGH priority, to the staff phones of its office. Idempotent.

    Each token gets the alert once: tokens already delivered or permanently failed are skipped,
    so running again only retries temporary failures (bounded by ``PUSH_MAX_ATTEMPTS``). Nothing
    is sent once someone has acknowledged the alert. Returns the countdown to a retry, if any.
    """
    from backend.monitoring.models import Alert

    alert = Alert.objects.select_related("subject").filter(pk=alert_id).first()
    if alert is None or alert.severity != Alert.Severity.CRITICAL or alert.status != Alert.Status.OPEN:
        return None
    policy = push.retry_policy()
    todo = _tokens_still_to_notify(alert.pk, staff_to_wake(alert.office_id), policy.max_attempts)
    if not todo:
        return None
    text = rules.staff_alert_text(alert.kind, alert.subject.name, alert.occurred_at)
    transport = push.get_transport()
    message: Message = push.staff_alert_message(alert_id=alert.pk, subject_id=alert.subject_id, seq=alert.seq,
                                                title=text.title, body=text.body,
                                                tokens=tuple(token.token for token, _n in todo))
    results = push.send_once(transport, message)
    at = timezone.now()
    by_token = {token.token: (token, attempt) for token, attempt in todo}
    retry_in: float | None = None
    with transaction.atomic():
        for result in results:
            token, attempt = by_token[result.token]
            delay = None
            if result.should_retry and attempt < policy.max_attempts:
                delay = policy.delay_for(attempt, retry_after=result.error.retry_after if result.error else None)
                retry_in = max(retry_in or 0.0, delay)
            forgotten = False
            if result.should_forget_token:
                forgotten = StaffPushToken.objects.filter(pk=token.pk, forgotten_at__isnull=True).update(
                    forgotten_at=at, forgotten_reason=f"push service: {result.error.code if result.error else ''}"[:100]
                ) > 0
            _log_attempt(result, transport.name, attempt, at,
                         at + dt.timedelta(seconds=delay) if delay is not None else None, forgotten,
                         subject_id=alert.subject_id, alert_id=alert.pk, staff_token=token)
    return Delivery("sent", None, retry_in)
