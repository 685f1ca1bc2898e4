"""The curfew check of a quiet phone (宵禁核查).

At each curfew window's start plus grace the job judges every person with a curfew zone from
their last known fix (``geofence.schedule_compliance``): at home, away (a ``curfew`` alert), or
unknown (no fix, too old, too coarse…). For unknown the phone is asked for a fix now (a
``fix_now`` command and a push); a fix taken since settles the check, and none within the grace
is a ``curfew_no_answer`` alert. One check per person and window: running the job again, or on
two workers, changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

import geofence as gf
from backend.casework import rules
from backend.casework.models import CurfewCheck
from backend.casework.services import phone
from backend.monitoring.models import Alert, MonitorState, Zone
from backend.monitoring.services import raise_alert
from backend.monitoring.zones import ZoneNotEvaluable, suspended_zone, suspensions_for, to_engine_zone
from backend.supervision.models import Subject

Status = CurfewCheck.Status
# How far back the job looks for a window whose check is due (a job that missed a run catches up).
LOOK_BACK = dt.timedelta(hours=6)


def last_fix(state: MonitorState | None) -> gf.Fix | None:
    """The person's last good position as a fix (WGS-84), or None."""
    if state is None or state.last_fix_at is None or state.last_lat is None or state.last_lon is None:
        return None
    return gf.Fix(
        id="last",
        person_id=str(state.subject_id),
        recorded_at=state.last_fix_at,
        lat=state.last_lat,
        lon=state.last_lon,
        accuracy_m=state.last_accuracy_m if state.last_accuracy_m is not None else 0.0,
        crs=gf.Crs.WGS84,
    )


def _judge(
    zone: gf.Zone, state: MonitorState | None, opened: dt.datetime, now: dt.datetime
) -> gf.ComplianceAnswer:
    return gf.schedule_compliance(
        last_fix(state), zone, opened, now=now, max_fix_age_s=rules.CURFEW_FIX_MAX_AGE.total_seconds()
    )


def _curfew_alert(check: CurfewCheck, answer: gf.ComplianceAnswer, at: dt.datetime) -> Alert:
    return raise_alert(
        check.subject,
        kind=Alert.Kind.CURFEW,
        severity=Alert.Severity.CRITICAL,
        occurred_at=at,
        dedupe_key=f"curfew_check:{check.subject_id}:{check.window_start.isoformat()}",
        zone=check.zone,
        evidence={"curfew_check": check.pk, **answer.to_dict()},
    )


def check_curfews(now: dt.datetime | None = None) -> dict[str, int]:
    """Make the check of every curfew window opened (plus grace) since the last run. Idempotent."""
    now = now or timezone.now()
    counts = dict.fromkeys(Status.values, 0)
    zones = Zone.objects.filter(
        purpose=Zone.Purpose.CURFEW,
        is_active=True,
        subject__isnull=False,
        subject__status=Subject.Status.IN_SUPERVISION,
    ).select_related("subject__office")
    for row in zones.iterator():
        try:
            zone = to_engine_zone(row)
        except ZoneNotEvaluable:
            continue
        assert row.subject is not None
        # The curfew as it applies to the person (suspended while they are away on leave).
        spans = suspensions_for(row.subject).get(Zone.Purpose.CURFEW)
        zone = suspended_zone(row, zone, spans) if spans else zone
        if zone.schedule is None or not zone.schedule.is_active(now):
            continue  # only a window still open is checked (a job that ran late checks no past night)
        grace = rules.CURFEW_CHECK_GRACE
        for opened in zone.schedule.window_starts(now - LOOK_BACK - grace, now - grace):
            status = _check_one(row, zone, opened, now)
            if status is not None:
                counts[status] += 1
    return counts


def _check_one(row: Zone, zone: gf.Zone, opened: dt.datetime, now: dt.datetime) -> str | None:
    assert row.subject is not None
    if CurfewCheck.objects.filter(subject=row.subject, window_start=opened).exists():
        return None
    at = opened + rules.CURFEW_CHECK_GRACE
    state = MonitorState.objects.filter(subject=row.subject).first()
    answer = _judge(zone, state, opened, now)
    status = {
        gf.Compliance.COMPLIANT: Status.COMPLIANT,
        gf.Compliance.NON_COMPLIANT: Status.NON_COMPLIANT,
        gf.Compliance.UNKNOWN: Status.ASKED,
    }[answer.status]
    try:
        with transaction.atomic():
            check = CurfewCheck.objects.create(
                subject=row.subject,
                zone=row,
                window_start=opened,
                checked_at=now,
                status=status,
                reason=answer.reason[:40],
                answer_due=now + rules.CURFEW_CHECK_GRACE if status == Status.ASKED else None,
                settled_at=None if status == Status.ASKED else now,
                evidence=answer.to_dict(),
            )
            if status == Status.NON_COMPLIANT:
                _curfew_alert(check, answer, at)
            elif status == Status.ASKED:
                phone.ask_for_fix(
                    row.subject,
                    "curfew",
                    key=f"curfew:{row.subject.pk}:{opened.isoformat()}",
                    expires_at=now + 2 * rules.CURFEW_CHECK_GRACE,
                )
    except IntegrityError:  # another worker made this check first
        return None
    return status


def settle_curfew_answers(now: dt.datetime | None = None) -> dict[str, int]:
    """Checks that asked the phone: a fix taken since the question settles them; none by the
    answer's due time is a ``curfew_no_answer`` alert. Idempotent."""
    now = now or timezone.now()
    counts = dict.fromkeys(Status.values, 0)
    waiting = CurfewCheck.objects.filter(status=Status.ASKED).values_list("pk", flat=True)
    for pk in list(waiting[:5000]):
        with transaction.atomic():
            check = (
                CurfewCheck.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("subject__office", "zone")
                .filter(pk=pk, status=Status.ASKED)
                .first()
            )
            if check is None:
                continue
            status = _settle(check, now)
            if status is not None:
                counts[status] += 1
    return counts


def _settle(check: CurfewCheck, now: dt.datetime) -> str | None:
    state = MonitorState.objects.filter(subject_id=check.subject_id).first()
    fresh = (
        state is not None
        and state.last_fix_at is not None
        and state.last_fix_at >= check.checked_at - dt.timedelta(minutes=1)
    )
    evidence: dict[str, Any] = dict(check.evidence)
    if fresh:
        try:
            zone = to_engine_zone(check.zone)
        except ZoneNotEvaluable:
            return None
        # The answer is judged as at the window (a fix taken in answer, while the curfew runs).
        assert state is not None and state.last_fix_at is not None
        at = max(state.last_fix_at, check.window_start)
        answer = _judge(zone, state, check.window_start, at)
        if answer.status is gf.Compliance.UNKNOWN and check.answer_due and now < check.answer_due:
            return None  # a coarse fix: wait for a better one until the answer is due
        evidence["answer"] = answer.to_dict()
        if answer.status is gf.Compliance.COMPLIANT:
            check.status = Status.COMPLIANT
        elif answer.status is gf.Compliance.NON_COMPLIANT:
            check.status = Status.NON_COMPLIANT
            _curfew_alert(check, answer, at)
        else:
            check.status = Status.NO_ANSWER
    elif check.answer_due is not None and now >= check.answer_due:
        check.status = Status.NO_ANSWER
    else:
        return None
    if check.status == Status.NO_ANSWER:
        raise_alert(
            check.subject,
            kind=Alert.Kind.CURFEW_NO_ANSWER,
            severity=Alert.Severity.WARNING,
            occurred_at=check.answer_due or now,
            dedupe_key=f"curfew_no_answer:{check.subject_id}:{check.window_start.isoformat()}",
            zone=check.zone,
            evidence={"curfew_check": check.pk, **evidence},
        )
    check.settled_at, check.evidence = now, evidence
    check.save(update_fields=["status", "settled_at", "evidence"])
    return check.status
