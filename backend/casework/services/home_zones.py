"""Home and curfew zones made from a subject's home position and the curfew of their level.

The curfew zone (``Zone.Purpose.CURFEW``) is the fence: a circle around the home, scheduled by
the level policy's window, evaluated by the engine like any zone and checked at each window's
start by the curfew job. The home zone (``Zone.Purpose.HOME``) records the home area as staff
confirmed it, for the map and as the reference the curfew zone is drawn from; it is kept
inactive, so it never raises an alert of its own.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from backend.accounts.models import User
from backend.casework import rules
from backend.monitoring.models import Zone
from backend.monitoring.zones import check_zone
from backend.supervision import rules as supervision_rules
from backend.supervision.models import Subject

CURFEW_NAME = "夜间居家（宵禁）"
HOME_NAME = "居住地"


def curfew_window(level: str) -> tuple[dt.time, dt.time] | None:
    """The level's curfew window (local start, end), or None when no curfew applies."""
    policy = supervision_rules.policy_for(level)
    if not policy.curfew_applies:
        return None
    return policy.curfew_start, policy.curfew_end


def curfew_schedule(window: tuple[dt.time, dt.time]) -> dict[str, Any]:
    return {
        "tz": "Asia/Shanghai",
        "windows": [{"start": window[0].strftime("%H:%M"), "end": window[1].strftime("%H:%M")}],
    }


def _circle(subject: Subject, radius_m: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [subject.home_lon, subject.home_lat]}


def _upsert(subject: Subject, purpose: str, values: dict[str, Any], user: User | None) -> Zone:
    zone = Zone.objects.filter(subject=subject, purpose=purpose).order_by("pk").first()
    if zone is None:
        return Zone.objects.create(
            subject=subject, office_id=subject.office_id, purpose=purpose, created_by=user, **values
        )
    changed = [name for name, value in values.items() if getattr(zone, name) != value]
    if changed or zone.office_id != subject.office_id:
        for name in changed:
            setattr(zone, name, values[name])
        zone.office_id = subject.office_id
        zone.save(update_fields=[*changed, "office", "updated_at"])
    return zone


@transaction.atomic
def sync_home_zones(subject: Subject, user: User | None = None) -> dict[str, Zone | None]:
    """Make (or bring up to date) the person's home and curfew zones. Idempotent.

    Without a home position there is nothing to draw: an existing curfew zone is switched off.
    The curfew zone is active only while the person's level has a curfew and they are in
    supervision.
    """
    curfew = Zone.objects.filter(subject=subject, purpose=Zone.Purpose.CURFEW).order_by("pk").first()
    if subject.home_lat is None or subject.home_lon is None:
        if curfew is not None and curfew.is_active:
            curfew.is_active = False
            curfew.save(update_fields=["is_active", "updated_at"])
        return {"home": None, "curfew": curfew}
    home = _upsert(
        subject,
        Zone.Purpose.HOME,
        {
            "name": HOME_NAME,
            "kind": Zone.Kind.INCLUSION,
            "geometry": _circle(subject, rules.HOME_RADIUS_M),
            "radius_m": rules.HOME_RADIUS_M,
            "schedule": None,
            "is_active": False,
        },
        user,
    )
    window = curfew_window(subject.supervision_level)
    applies = window is not None and subject.status == Subject.Status.IN_SUPERVISION
    if window is None and curfew is None:
        return {"home": home, "curfew": None}
    values: dict[str, Any] = {
        "name": CURFEW_NAME,
        "kind": Zone.Kind.INCLUSION,
        "geometry": _circle(subject, rules.CURFEW_RADIUS_M),
        "radius_m": rules.CURFEW_RADIUS_M,
        "is_active": applies,
    }
    values["schedule"] = (
        curfew_schedule(window) if window is not None else (curfew.schedule if curfew else None)
    )
    check_zone({**values, "confirm_fixes": 3, "confirm_seconds": 120, "clear_fixes": 2})
    return {"home": home, "curfew": _upsert(subject, Zone.Purpose.CURFEW, values, user)}


def sync_level_zones(levels: list[str] | None = None) -> int:
    """Bring every subject's curfew zone in line with their level's policy (after a policy change)."""
    subjects = Subject.objects.filter(status=Subject.Status.IN_SUPERVISION).exclude(home_lat=None)
    if levels is not None:
        subjects = subjects.filter(supervision_level__in=levels)
    count = 0
    for subject in subjects.iterator():
        sync_home_zones(subject)
        count += 1
    return count


@transaction.atomic
def set_home(subject: Subject, user: User, point: tuple[float, float] | None) -> dict[str, Zone | None]:
    """Staff confirm the person's home (WGS-84; none: the stored one) and the zones follow."""
    if point is not None:
        subject.home_lat, subject.home_lon = point
        subject.save(update_fields=["home_lat", "home_lon", "updated_at"])
    return sync_home_zones(subject, user)
