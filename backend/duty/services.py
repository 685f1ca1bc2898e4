"""Domain actions of duty: the roster (who is on duty when), who is woken for an alert, and the
escalation of alerts nobody acknowledged in time.

Reminders (below) asks ``staff_on_duty`` whom to wake for a critical alert; duty registers it in
``DutyConfig.ready``. Escalation writes the steps on monitoring's alert and publishes them with
monitoring's one publish path (``publish_event``), as ``alert.updated``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied, ValidationError

from backend.accounts.models import OFFICE_ROLES, Office, Role, User
from backend.core.outbox import queue_on_commit
from backend.core.vocabulary import PUSH_LANGUAGE
from backend.duty.models import MAX_SHIFT_DAYS, DutyShift, EscalationPolicy
from backend.monitoring.events import publish_event
from backend.monitoring.models import Alert
from backend.monitoring.services import alert_payload
from backend.reminders import push
from backend.reminders.models import StaffPushToken

# Who may stand bureau duty, and who edits which roster.
BUREAU_DUTY_ROLES = frozenset({Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.SYSADMIN})
ROSTER_EDITORS = frozenset({Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.SYSADMIN})
OFFICE_HEAD, BUREAU_DUTY = 1, 2


# ---------------------------------------------------------------------------------------------
# The roster
# ---------------------------------------------------------------------------------------------


def shifts_at(at: dt.datetime) -> QuerySet[DutyShift]:
    """Shifts running at ``at`` whose staff member is active."""
    return DutyShift.objects.filter(starts_at__lte=at, ends_at__gt=at, user__is_active=True)


def on_duty(office_id: int, at: dt.datetime) -> list[User]:
    """The staff on duty for an office (or the bureau) at ``at``, in shift order."""
    ids = list(
        shifts_at(at)
        .filter(office_id=office_id)
        .order_by("starts_at", "pk")
        .values_list("user_id", flat=True)
    )
    users = {user.pk: user for user in User.objects.filter(pk__in=ids)}
    return [users[pk] for pk in dict.fromkeys(ids) if pk in users]


def staff_on_duty(office_id: int, at: dt.datetime) -> list[int] | None:
    """Whom to wake for an office's critical alert: the ids of its staff on duty now, or None
    when nobody is on its roster at that moment (then reminders wakes every officer, as before)."""
    ids = list(dict.fromkeys(shifts_at(at).filter(office_id=office_id).values_list("user_id", flat=True)))
    return ids or None


def bureau_on_duty(at: dt.datetime) -> list[User]:
    """The bureau's staff on duty at ``at``; with nobody on its roster, the bureau heads."""
    people: list[User] = []
    for office_id in Office.objects.filter(kind=Office.Kind.BUREAU).values_list("pk", flat=True):
        people += on_duty(office_id, at)
    if not people:
        people = list(User.objects.filter(is_active=True, role=Role.BUREAU_HEAD).order_by("pk"))
    return list({user.pk: user for user in people}.values())


def may_edit_roster(user: User, office: Office) -> bool:
    """Bureau staff and heads edit every roster; an office head edits the office's own."""
    if user.is_read_only:
        return False
    if user.is_superuser or user.role in ROSTER_EDITORS:
        return True
    return user.role == Role.OFFICE_HEAD and user.office_id == office.pk


def check_shift(office: Office, user: User, starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    errors: dict[str, list[str]] = {}
    if not user.is_active:
        errors["user"] = [_("This staff member is not active.")]
    elif office.kind == Office.Kind.BUREAU:
        if not (user.is_superuser or user.role in BUREAU_DUTY_ROLES):
            errors["user"] = [_("Only bureau staff stand bureau duty.")]
    elif user.role not in OFFICE_ROLES or user.office_id != office.pk:
        errors["user"] = [_("Only the office's own staff stand its duty.")]
    if ends_at <= starts_at:
        errors["ends_at"] = [_("A shift ends after it starts.")]
    elif ends_at - starts_at > dt.timedelta(days=MAX_SHIFT_DAYS):
        errors["ends_at"] = [_("A shift lasts at most %(days)d days.") % {"days": MAX_SHIFT_DAYS}]
    if errors:
        raise ValidationError(errors)


def _check_editor(by: User, office: Office) -> None:
    if not may_edit_roster(by, office):
        raise PermissionDenied(_("You may not edit this roster."))


def create_shift(
    by: User, *, office: Office, user: User, starts_at: dt.datetime, ends_at: dt.datetime, note: str = ""
) -> DutyShift:
    """Put ``user`` on duty for ``office`` from ``starts_at`` to ``ends_at``."""
    _check_editor(by, office)
    check_shift(office, user, starts_at, ends_at)
    return DutyShift.objects.create(
        office=office, user=user, starts_at=starts_at, ends_at=ends_at, note=note.strip(), created_by=by
    )


def update_shift(by: User, shift: DutyShift, **changes: Any) -> DutyShift:
    """Change a shift's office, person, times or note (the editor must be allowed on both rosters)."""
    _check_editor(by, shift.office)
    for name in ("office", "user", "starts_at", "ends_at", "note"):
        if name in changes:
            setattr(shift, name, changes[name].strip() if name == "note" else changes[name])
    _check_editor(by, shift.office)
    check_shift(shift.office, shift.user, shift.starts_at, shift.ends_at)
    shift.save()
    return shift


def delete_shift(by: User, shift: DutyShift) -> None:
    _check_editor(by, shift.office)
    shift.delete()


# ---------------------------------------------------------------------------------------------
# Escalation
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One escalation step due for an alert."""

    alert_id: int
    level: int
    # The policy's deadline of every level up to this one: ``((level, minutes), ...)``.
    deadlines: tuple[tuple[int, int], ...]


def due_steps(now: dt.datetime) -> list[Step]:
    """The escalation steps due at ``now``: open alerts past their severity's deadlines."""
    steps: list[Step] = []
    for policy in EscalationPolicy.objects.filter(is_active=True):
        deadlines = [(OFFICE_HEAD, policy.office_head_after_minutes)]
        if policy.bureau_after_minutes is not None:
            deadlines.append((BUREAU_DUTY, policy.bureau_after_minutes))
        for level, minutes in deadlines:
            overdue = Alert.objects.filter(
                status=Alert.Status.OPEN,
                severity=policy.severity,
                escalation_level__lt=level,
                raised_at__lte=now - dt.timedelta(minutes=minutes),
            )
            upto = tuple(d for d in deadlines if d[0] <= level)
            steps += [
                Step(pk, level, upto) for pk in overdue.order_by("pk").values_list("pk", flat=True)[:1000]
            ]
    # The highest step due of an alert; the steps below it it has not had are recorded with it.
    highest: dict[int, Step] = {}
    for step in steps:
        if step.alert_id not in highest or step.level > highest[step.alert_id].level:
            highest[step.alert_id] = step
    return sorted(highest.values(), key=lambda step: step.alert_id)


def escalation_recipients(alert: Alert, level: int, at: dt.datetime) -> list[User]:
    """Step 1: the heads of the alert's office; step 2: the bureau on duty."""
    if level == OFFICE_HEAD:
        return list(
            User.objects.filter(is_active=True, role=Role.OFFICE_HEAD, office_id=alert.office_id).order_by(
                "pk"
            )
        )
    return bureau_on_duty(at)


def _name(user: User) -> str:
    return user.get_full_name() or user.username


def escalate_alert(step: Step, now: dt.datetime | None = None) -> Alert | None:
    """Record one escalation step on the alert and publish it. Idempotent: an alert already at
    the step (or acknowledged meanwhile) is left alone. Returns the alert when escalated."""
    now = now or timezone.now()
    with transaction.atomic():
        alert = (
            Alert.objects.select_for_update(of=("self",))
            .select_related("subject", "office", "zone", "acknowledged_by", "resolved_by")
            .filter(pk=step.alert_id)
            .first()
        )
        if alert is None or alert.status != Alert.Status.OPEN or alert.escalation_level >= step.level:
            return None
        # Steps that were due together (the scheduler was down) are each recorded and pushed.
        missed = [(level, minutes) for level, minutes in step.deadlines if level > alert.escalation_level]
        entries: list[dict[str, Any]] = []
        for level, minutes in missed:
            recipients = escalation_recipients(alert, level, now)
            entries.append(
                {
                    "level": level,
                    "at": now.isoformat(),
                    "to": [{"id": user.pk, "name": _name(user)} for user in recipients],
                    "reason": f"not acknowledged within {minutes} min",
                    "after_minutes": minutes,
                }
            )
        alert.escalation_level, alert.escalated_at = step.level, now
        alert.escalations = [*alert.escalations, *entries]
        alert.save(update_fields=["escalation_level", "escalated_at", "escalations"])
        publish_event(alert.office_id, "alert.updated", alert_payload(alert))
        for level, _minutes in missed:
            _push_after_commit(alert.pk, level)
    return alert


def escalate_overdue_alerts(now: dt.datetime | None = None) -> int:
    """Escalate every open alert past its deadline by one step or more. Safe to run twice."""
    now = now or timezone.now()
    return sum(escalate_alert(step, now) is not None for step in due_steps(now))


def _push_after_commit(alert_id: int, level: int) -> None:
    from backend.duty.tasks import push_escalation

    queue_on_commit(push_escalation, alert_id, level)


def notify_escalation(alert_id: int, level: int) -> int:
    """Push an escalation step, HIGH priority, to its recipients' staff phones. At most once per
    step (the step records its push before sending); nothing once the alert is acknowledged.
    Returns the number of phones it reached."""
    with transaction.atomic():
        alert = (
            Alert.objects.select_for_update(of=("self",))
            .select_related("subject")
            .filter(pk=alert_id)
            .first()
        )
        if alert is None or alert.status != Alert.Status.OPEN:
            return 0
        entries = [dict(entry) for entry in alert.escalations]
        entry = next((e for e in entries if e.get("level") == level), None)
        if entry is None or "pushed_at" in entry:
            return 0
        entry["pushed_at"] = timezone.now().isoformat()
        alert.escalations = entries
        alert.save(update_fields=["escalations"])
    user_ids = [person["id"] for person in entry.get("to", [])]
    tokens = tuple(
        StaffPushToken.objects.filter(user_id__in=user_ids, forgotten_at__isnull=True, user__is_active=True)
        .order_by("pk")
        .values_list("token", flat=True)
    )
    if not tokens:
        return 0
    with translation.override(PUSH_LANGUAGE):
        to = _("the office head") if level == OFFICE_HEAD else _("the bureau on duty")
        title = _("Alert escalated to %(to)s: %(name)s") % {"to": to, "name": alert.subject.name}
        body = _("%(kind)s, not acknowledged within %(minutes)s minutes.") % {
            "kind": alert.get_kind_display(),
            "minutes": entry.get("after_minutes", "?"),
        }
    message = push.staff_alert_message(
        alert_id=alert.pk, subject_id=alert.subject_id, seq=alert.seq, title=title, body=body, tokens=tokens
    )
    results = push.send_once(push.get_transport(), message)
    return sum(result.ok for result in results)


def escalated_names(alert: Alert) -> dict[int, list[str]]:
    """``{level: [names]}`` of an alert's escalation steps (what the console shows)."""
    return {int(e["level"]): [p["name"] for p in e.get("to", [])] for e in alert.escalations if "level" in e}


def shifts_between(
    queryset: QuerySet[DutyShift], start: dt.datetime | None, end: dt.datetime | None
) -> QuerySet[DutyShift]:
    """Shifts of ``queryset`` overlapping ``[start, end)``."""
    condition = Q()
    if start is not None:
        condition &= Q(ends_at__gt=start)
    if end is not None:
        condition &= Q(starts_at__lt=end)
    return queryset.filter(condition)
