"""Leave (外出请假, 社区矫正法第27条): requested on the phone, routed by length, decided by staff.

While an approved leave runs the county boundary is suspended for the person (a suspension
monitoring writes into the zone's schedule) and the destination zone applies (a zone of the
person whose schedule is the leave's period). Both switch at the leave's start and end by
themselves; a report-back (销假) ends both at once. A person neither back nor seen in the county
by the end plus grace raises ``leave_overdue``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied, ValidationError

import geofence as gf
from backend.accounts.models import Role, User
from backend.casework import rules
from backend.casework.models import LeaveRequest
from backend.casework.services import phone
from backend.monitoring.models import Alert, MonitorState, Zone
from backend.monitoring.services import raise_alert
from backend.monitoring.zones import (
    ZoneSuspension,
    active_zones_query,
    check_zone,
    to_engine_zone,
    zones_changed,
)
from backend.reminders.services import schedule_leave_return_reminders, withdraw_leave_return_reminders
from backend.supervision.models import Device, Subject

Status = LeaveRequest.Status
# The leaves that shape a person's zones: decided in favour, and not long over.
_ZONE_STATUSES = (Status.APPROVED, Status.REPORTED_BACK)
# Who may take a report-back (销假): the office's staff and the bureau, never the auditor.
REPORT_BACK_ROLES = frozenset({Role.OFFICER, Role.OFFICE_HEAD, Role.BUREAU_STAFF, Role.BUREAU_HEAD})


def _zones_changed_after_commit() -> None:
    # After commit: a process that reloaded a person's zones before the commit would otherwise
    # keep the old list under the new generation.
    transaction.on_commit(zones_changed)


# ---------------------------------------------------------------------------------------------
# The request and its routing
# ---------------------------------------------------------------------------------------------


def leave_days_around(
    subject: Subject, starts_at: dt.datetime, ends_at: dt.datetime, exclude: int | None = None
) -> float:
    """The person's days of leave (pending or granted, this one included) in the 60 days ending
    when this leave ends, or starting when it starts, whichever holds more."""
    windows = [(ends_at - rules.CUMULATIVE_WINDOW, ends_at), (starts_at, starts_at + rules.CUMULATIVE_WINDOW)]
    others = LeaveRequest.objects.filter(
        subject=subject, status__in=[Status.PENDING, *_ZONE_STATUSES]
    ).filter(starts_at__lt=ends_at + rules.CUMULATIVE_WINDOW, ends_at__gt=starts_at - rules.CUMULATIVE_WINDOW)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    spans = [(starts_at, ends_at), *((o.starts_at, o.effective_end) for o in others)]
    return max(sum(rules.days(rules.overlap(span, window)) for span in spans) for window in windows)


def route(
    subject: Subject, starts_at: dt.datetime, ends_at: dt.datetime, exclude: int | None = None
) -> tuple[str, bool]:
    return rules.leave_routing(ends_at - starts_at, leave_days_around(subject, starts_at, ends_at, exclude))


@transaction.atomic
def request_leave(
    device: Device,
    *,
    destination: str,
    reason: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    point: tuple[float, float] | None = None,
    radius_m: float | None = None,
) -> LeaveRequest:
    """A leave request from the person's phone (fields already checked one by one; ``point`` in
    WGS-84). Refused when it overlaps another pending or granted leave of theirs."""
    subject = Subject.objects.select_for_update().get(pk=device.subject_id)
    if subject.status != Subject.Status.IN_SUPERVISION:
        raise ValidationError({"non_field_errors": [_("The supervision has ended.")]})
    clash = LeaveRequest.objects.filter(
        subject=subject,
        status__in=[Status.PENDING, Status.APPROVED],
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    ).first()
    if clash is not None:
        raise ValidationError(
            {"starts_at": [_("This overlaps your leave request %(id)s.") % {"id": clash.pk}]}, code="overlap"
        )
    approver, flagged = route(subject, starts_at, ends_at)
    return LeaveRequest.objects.create(
        subject=subject,
        device=device,
        destination=destination,
        reason=reason,
        starts_at=starts_at,
        ends_at=ends_at,
        destination_lat=point[0] if point else None,
        destination_lon=point[1] if point else None,
        point_source=LeaveRequest.PointSource.PHONE if point else "",
        radius_m=rules.DEFAULT_RADIUS_M if radius_m is None else radius_m,
        approver=approver,
        flagged=flagged,
    )


# ---------------------------------------------------------------------------------------------
# Decisions
# ---------------------------------------------------------------------------------------------


def _locked(leave: LeaveRequest) -> LeaveRequest:
    return LeaveRequest.objects.select_for_update(of=("self",)).select_related("subject").get(pk=leave.pk)


_STRICTNESS: dict[str, int] = {
    LeaveRequest.Approver.OFFICE_HEAD: 0,
    LeaveRequest.Approver.BUREAU: 1,
    LeaveRequest.Approver.BUREAU_HEAD: 2,
}


def reroute(leave: LeaveRequest) -> None:
    """Leave granted since the request may have brought the person past 30 days in 60: the
    routing is taken again before a decision (and kept, even when the caller is then refused),
    and only ever made stricter."""
    with transaction.atomic():
        leave = _locked(leave)
        if leave.status != Status.PENDING:
            return
        approver, flagged = route(leave.subject, leave.starts_at, leave.ends_at, exclude=leave.pk)
        if _STRICTNESS[approver] > _STRICTNESS[leave.approver]:
            leave.approver, leave.flagged = approver, flagged
            leave.save(update_fields=["approver", "flagged"])


def check_may_decide(leave: LeaveRequest, user: User) -> None:
    """403 with who may decide, for anyone else."""
    if not rules.may_decide_leave(user, leave.approver):
        who = LeaveRequest.Approver(leave.approver).label
        raise PermissionDenied(
            _("Only %(who)s may decide this leave request (%(days).1f days%(flag)s).")
            % {
                "who": who,
                "days": rules.days(leave.ends_at - leave.starts_at),
                "flag": _(", flagged as a long leave") if leave.flagged else "",
            }
        )


def _pending(leave: LeaveRequest) -> None:
    if leave.status != Status.PENDING:
        raise ValidationError(
            {
                "status": [
                    _("This request is already decided (%(status)s).")
                    % {"status": leave.get_status_display()}
                ]
            },
            code="already_decided",
        )


def destination_zone_values(leave: LeaveRequest) -> dict[str, Any]:
    """The destination zone's fields: the drawn zone or the circle, scheduled by the leave's period."""
    local = rules.LOCAL_TZ
    schedule = {
        "tz": "Asia/Shanghai",
        "windows": [],
        "extra_windows": [
            {
                "start": leave.starts_at.astimezone(local).replace(tzinfo=None).isoformat(),
                "end": leave.effective_end.astimezone(local).replace(tzinfo=None).isoformat(),
            }
        ],
    }
    if leave.destination_geometry:
        geometry, radius = leave.destination_geometry, None
    else:
        geometry = {"type": "Point", "coordinates": [leave.destination_lon, leave.destination_lat]}
        radius = leave.radius_m
    return {
        "kind": Zone.Kind.INCLUSION,
        "geometry": geometry,
        "radius_m": radius,
        "schedule": schedule,
        "approach_buffer_m": 0.0,
        "confirm_fixes": 3,
        "confirm_seconds": 300,
        "clear_fixes": 2,
    }


def approve_leave(
    leave: LeaveRequest,
    user: User,
    *,
    note: str = "",
    point: tuple[float, float] | None = None,
    radius_m: float | None = None,
    geometry: dict[str, Any] | None = None,
) -> LeaveRequest:
    """Grant a pending request (only the roles its routing names). Staff confirm the destination:
    the phone's point, a point they set (``point``, WGS-84, e.g. from the geocoder) or a zone they
    drew (``geometry``); with none of them it cannot be granted."""
    reroute(leave)
    with transaction.atomic():
        leave = _locked(leave)
        _pending(leave)
        check_may_decide(leave, user)
        now = timezone.now()
        if leave.ends_at <= now:
            raise ValidationError({"ends_at": [_("This leave has already ended; it can only be rejected.")]})
        if geometry is not None:
            leave.destination_geometry = geometry
        elif point is not None:
            leave.destination_lat, leave.destination_lon = point
            leave.point_source = LeaveRequest.PointSource.STAFF
        if radius_m is not None:
            leave.radius_m = radius_m
        if not leave.destination_geometry and leave.destination_lat is None:
            raise ValidationError(
                {"destination_point": [_("Confirm the destination on the map (or draw its zone) first.")]},
                code="no_destination_point",
            )
        values = destination_zone_values(leave)
        try:
            checked = check_zone(values)
        except Exception as exc:  # ZoneNotEvaluable: the drawn zone or the radius the engine refuses
            problems = getattr(exc, "problems", {"geometry": [str(exc)]})
            field = {"geometry": "destination_zone", "radius_m": "radius_m"}
            raise ValidationError(
                {field.get(k, "destination_zone"): v for k, v in problems.items()}
            ) from None
        zone = Zone.objects.create(
            office_id=leave.subject.office_id,
            subject=leave.subject,
            name=f"外出目的地：{leave.destination}"[:100],
            purpose=Zone.Purpose.OTHER,
            created_by=user,
            **{**values, "geometry": checked.geometry, "radius_m": checked.radius_m},
        )
        leave.status, leave.decided_by, leave.decided_at = Status.APPROVED, user, now
        leave.decision_note, leave.destination_zone = note, zone
        leave.save()
        schedule_leave_return_reminders(leave.subject, leave_key=str(leave.pk), return_due_at=leave.ends_at)
        phone.tell_leave_decision(leave.subject, leave.pk, Status.APPROVED, note)
        _zones_changed_after_commit()
    return leave


def reject_leave(leave: LeaveRequest, user: User, *, reason: str) -> LeaveRequest:
    reroute(leave)
    with transaction.atomic():
        leave = _locked(leave)
        check_may_decide(leave, user)
        _pending(leave)
        leave.status, leave.decided_by, leave.decided_at = Status.REJECTED, user, timezone.now()
        leave.decision_note = reason
        leave.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        phone.tell_leave_decision(leave.subject, leave.pk, Status.REJECTED, reason)
    return leave


def report_back(leave: LeaveRequest, user: User) -> LeaveRequest:
    """The person reported back (销假): the leave stops applying now, if it still did."""
    if user.role not in REPORT_BACK_ROLES:
        raise PermissionDenied(_("Only the office's staff or the bureau may take a report-back."))
    with transaction.atomic():
        leave = _locked(leave)
        if leave.status != Status.APPROVED:
            raise ValidationError(
                {"status": [_("Only an approved leave can be reported back.")]}, code="not_approved"
            )
        now = timezone.now()
        leave.status, leave.reported_back_at, leave.reported_back_by = Status.REPORTED_BACK, now, user
        leave.save(update_fields=["status", "reported_back_at", "reported_back_by"])
        zone = leave.destination_zone
        if zone is not None:
            if now <= leave.starts_at:
                zone.is_active = False  # never started: nothing of it applies
            else:
                zone.schedule = destination_zone_values(leave)["schedule"]
            zone.save(update_fields=["is_active", "schedule", "updated_at"])
        # Back before the reminders to come back: the phone is told nothing more of this leave.
        withdraw_leave_return_reminders(leave.subject, leave_key=str(leave.pk), now=now)
        _zones_changed_after_commit()
    return leave


# ---------------------------------------------------------------------------------------------
# The zones while a leave runs, and the return
# ---------------------------------------------------------------------------------------------


# Away on approved leave, the person is held neither to the county nor to their home at night.
SUSPENDED_DURING_LEAVE = (Zone.Purpose.COUNTY, Zone.Purpose.CURFEW)


def leave_suspensions(subject: Subject) -> list[ZoneSuspension]:
    """Registered with monitoring: the county boundary and the curfew are suspended during the
    person's granted leaves (those over for a week no longer matter, even to late fixes)."""
    since = timezone.now() - rules.LEAVE_ZONES_KEPT_FOR
    leaves = LeaveRequest.objects.filter(subject_id=subject.pk, status__in=_ZONE_STATUSES, ends_at__gt=since)
    return [
        ZoneSuspension(purpose, leave.starts_at, leave.effective_end)
        for leave in leaves.only("starts_at", "ends_at", "reported_back_at")
        if leave.effective_end > leave.starts_at
        for purpose in SUSPENDED_DURING_LEAVE
    ]


def _in_county(subject: Subject, lat: float, lon: float, accuracy_m: float) -> bool | None:
    """Whether a position is inside the county zones that apply to the person (None: no county zone)."""
    verdicts = []
    for row in active_zones_query(subject).filter(purpose=Zone.Purpose.COUNTY, kind=Zone.Kind.INCLUSION):
        try:
            zone = to_engine_zone(row)
        except ValueError:
            continue
        verdicts.append(gf.verdict_for(zone, lat, lon, accuracy_m) is not gf.Verdict.OUTSIDE)
    return any(verdicts) if verdicts else None


def check_leave_returns(now: dt.datetime | None = None) -> int:
    """Granted leaves past their end plus grace with no report-back: seen back in the county (a
    fix there since shortly before the end), or a ``leave_overdue`` alert. Idempotent; returns
    the number of alerts raised."""
    now = now or timezone.now()
    due = LeaveRequest.objects.filter(
        status=Status.APPROVED,
        ends_at__lte=now - rules.LEAVE_RETURN_GRACE,
        overdue_alerted_at__isnull=True,
        seen_back_at__isnull=True,
    ).values_list("pk", flat=True)
    raised = 0
    for pk in list(due[:1000]):
        with transaction.atomic():
            leave = (
                LeaveRequest.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("subject__office")
                .filter(
                    pk=pk, status=Status.APPROVED, overdue_alerted_at__isnull=True, seen_back_at__isnull=True
                )
                .first()
            )
            if leave is None:
                continue
            state = MonitorState.objects.filter(subject_id=leave.subject_id).first()
            last = None
            if state is not None and state.last_fix_at is not None and state.last_lat is not None:
                last = state
                if state.last_fix_at >= leave.ends_at - rules.SEEN_BACK_TOLERANCE and _in_county(
                    leave.subject, state.last_lat, state.last_lon or 0.0, state.last_accuracy_m or 0.0
                ):
                    leave.seen_back_at = state.last_fix_at
                    leave.save(update_fields=["seen_back_at"])
                    continue
            raise_alert(
                leave.subject,
                kind=Alert.Kind.LEAVE_OVERDUE,
                severity=Alert.Severity.WARNING,
                occurred_at=leave.ends_at + rules.LEAVE_RETURN_GRACE,
                dedupe_key=f"leave_overdue:{leave.pk}",
                zone=leave.destination_zone,
                evidence={
                    "leave_request": leave.pk,
                    "destination": leave.destination,
                    "ends_at": leave.ends_at.isoformat(),
                    "last_fix_at": last.last_fix_at.isoformat() if last and last.last_fix_at else None,
                },
            )
            leave.overdue_alerted_at = now
            leave.save(update_fields=["overdue_alerted_at"])
            raised += 1
    return raised


def retire_old_destination_zones(now: dt.datetime | None = None) -> int:
    """Switch off destination zones of leaves over for a week (kept, not deleted: alerts point at them)."""
    now = now or timezone.now()
    old = LeaveRequest.objects.filter(
        Q(status=Status.REPORTED_BACK) | Q(status=Status.APPROVED),
        ends_at__lt=now - rules.LEAVE_ZONES_KEPT_FOR,
        destination_zone__is_active=True,
    ).values_list("destination_zone_id", flat=True)
    ids = list(old[:1000])
    if not ids:
        return 0
    with transaction.atomic():
        count = Zone.objects.filter(pk__in=ids, is_active=True).update(is_active=False, updated_at=now)
        _zones_changed_after_commit()
    return count


def close_leaves(subject: Subject, reason: str) -> int:
    """The supervision ended: pending requests are refused (there is nothing left to ask leave of)."""
    pending = LeaveRequest.objects.filter(subject=subject, status=Status.PENDING)
    return pending.update(status=Status.REJECTED, decided_at=timezone.now(), decision_note=reason)
