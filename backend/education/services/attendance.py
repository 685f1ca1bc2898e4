"""Attendance: read from the subject's stored check-ins by the rule, or confirmed by staff.

Only certain fixes are evidence either way: quality ``ok`` (not low accuracy, not mocked, not
from the future or stale), not set aside by the evaluator, accuracy within the rule's limit. An
uncertain fix is neither presence nor absence: it is skipped. Time between two consecutive
certain fixes that are both inside the place counts as time inside, at most the rule's gap.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from backend.accounts.models import User
from backend.education.models import AttendanceRule, EducationSession, Enrollment
from backend.monitoring.models import CheckIn
from geofence.geodesy import distance_m_scalar

CERTAIN_QUALITY = "ok"
# Phones upload late (buffered offline): a session's attendance is computed again for this long.
RECOMPUTE_FOR = dt.timedelta(days=2)


@dataclass(frozen=True)
class PresenceRule:
    """The rule in effect for a session (an ``AttendanceRule`` row, or the defaults)."""

    min_minutes_inside: int = 45
    max_gap_minutes: int = 15
    max_accuracy_m: float = 100.0


def rule_for(kind: str) -> PresenceRule:
    """The kind's own rule, else the rule for every kind, else the defaults."""
    rows = {rule.kind: rule for rule in AttendanceRule.objects.filter(kind__in=[kind, ""])}
    row = rows.get(kind) or rows.get("")
    if row is None:
        return PresenceRule()
    return PresenceRule(row.min_minutes_inside, row.max_gap_minutes, row.max_accuracy_m)


@dataclass(frozen=True)
class Fix:
    at: dt.datetime
    lat: float
    lon: float
    accuracy_m: float
    quality: str
    mock: bool
    set_aside: bool


def is_certain(fix: Fix, rule: PresenceRule) -> bool:
    return (
        fix.quality == CERTAIN_QUALITY
        and not fix.mock
        and not fix.set_aside
        and fix.accuracy_m <= rule.max_accuracy_m
    )


def minutes_inside(fixes: Iterable[Fix], session: EducationSession, rule: PresenceRule) -> tuple[int, int]:
    """``(whole minutes inside the place, certain fixes)`` over ``fixes`` in the session's time."""
    gap = dt.timedelta(minutes=rule.max_gap_minutes)
    inside = dt.timedelta()
    certain = 0
    previous_inside_at: dt.datetime | None = None
    for fix in sorted(fixes, key=lambda f: f.at):
        if not session.starts_at <= fix.at <= session.ends_at or not is_certain(fix, rule):
            continue
        certain += 1
        here = (
            distance_m_scalar(fix.lat, fix.lon, session.place_lat, session.place_lon)
            <= session.place_radius_m
        )
        if here and previous_inside_at is not None:
            inside += min(fix.at - previous_inside_at, gap)
        previous_inside_at = fix.at if here else None
    return int(inside.total_seconds() // 60), certain


def _fixes_of(subject_ids: list[int], session: EducationSession) -> dict[int, list[Fix]]:
    rows = CheckIn.objects.filter(
        subject_id__in=subject_ids,
        recorded_at__gte=session.starts_at,
        recorded_at__lte=session.ends_at,
    ).values_list(
        "subject_id",
        "recorded_at",
        "lat",
        "lon",
        "accuracy_m",
        "quality",
        "mock_location",
        "evaluation_error",
    )
    by_subject: dict[int, list[Fix]] = {pk: [] for pk in subject_ids}
    for subject_id, at, lat, lon, accuracy, quality, mock, error in rows.iterator():
        by_subject[subject_id].append(Fix(at, lat, lon, accuracy, quality, bool(mock), bool(error)))
    return by_subject


def compute_attendance(session: EducationSession, now: dt.datetime | None = None) -> int:
    """Decide the outcome of every enrollment of a session that is over, from check-ins.

    Staff confirmations stand. Idempotent: the same check-ins give the same outcomes, and check-ins
    uploaded late change them when this runs again. Returns the enrollments decided.
    """
    now = now or timezone.now()
    if session.ends_at > now:
        return 0
    rule = rule_for(session.kind)
    with transaction.atomic():
        enrollments = list(
            Enrollment.objects.select_for_update()
            .filter(session=session)
            .exclude(source=Enrollment.Source.STAFF)
        )
        fixes = _fixes_of([e.subject_id for e in enrollments], session)
        # Enrollments decided alike are updated together: one UPDATE per distinct outcome (a few
        # dozen at most, by the minutes inside), never one per subject; a rerun on the same
        # check-ins writes nothing.
        groups: dict[tuple[str, int, int, Decimal], list[int]] = defaultdict(list)
        for enrollment in enrollments:
            minutes, certain = minutes_inside(fixes[enrollment.subject_id], session, rule)
            attended = minutes >= rule.min_minutes_inside
            outcome: str = Enrollment.Outcome.ATTENDED if attended else Enrollment.Outcome.ABSENT
            decided = (outcome, minutes, certain, session.hours if attended else Decimal(0))
            current = (
                enrollment.outcome,
                enrollment.minutes_inside,
                enrollment.certain_fixes,
                enrollment.hours_credited,
            )
            if decided != current or enrollment.source != Enrollment.Source.CHECKINS:
                groups[decided].append(enrollment.pk)
        for (decided_outcome, minutes, certain, hours), ids in groups.items():
            Enrollment.objects.filter(pk__in=ids).update(
                outcome=decided_outcome,
                source=Enrollment.Source.CHECKINS,
                minutes_inside=minutes,
                certain_fixes=certain,
                hours_credited=hours,
                decided_at=now,
            )
        EducationSession.objects.filter(pk=session.pk).update(attendance_computed_at=now)
    return len(enrollments)


def compute_due_attendance(now: dt.datetime | None = None) -> int:
    """Compute every session that ended within the last two days (late uploads change outcomes)."""
    now = now or timezone.now()
    sessions = EducationSession.objects.filter(ends_at__lte=now, ends_at__gt=now - RECOMPUTE_FOR)
    return sum(compute_attendance(session, now) for session in sessions)


def confirm_attendance(enrollment: Enrollment, *, attended: bool, reason: str, by: User) -> Enrollment:
    """Staff decide the outcome themselves, with a reason (the check-ins no longer decide it)."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason of the confirmation.")]}, code="required")
    if enrollment.session.starts_at > timezone.now():
        raise ValidationError({"attended": [_("The session has not started yet.")]}, code="invalid")
    enrollment.outcome = Enrollment.Outcome.ATTENDED if attended else Enrollment.Outcome.ABSENT
    enrollment.source = Enrollment.Source.STAFF
    enrollment.hours_credited = enrollment.session.hours if attended else Decimal(0)
    enrollment.reason = reason
    enrollment.confirmed_by = by
    enrollment.decided_at = timezone.now()
    enrollment.save(
        update_fields=["outcome", "source", "hours_credited", "reason", "confirmed_by", "decided_at"]
    )
    return enrollment
