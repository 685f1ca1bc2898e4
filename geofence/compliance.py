"""Schedule checks without a new fix: is a quiet phone's owner compliant right now?

At 22:00 the curfew window opens and the phone may well be asleep. The backend asks, from
the last fix it has, whether the person is compliant, not compliant, or whether it cannot
tell (and why), so that staff chase only the right people.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from dataclasses import dataclass

from geofence._json import JSONDict
from geofence.crs import to_wgs84
from geofence.fixes import Fix, FixQuality, QualityConfig, classify_fix
from geofence.verdicts import Verdict, verdict_for
from geofence.zones import Zone, ZoneKind

__all__ = ["Compliance", "ComplianceAnswer", "schedule_compliance"]


class Compliance(enum.StrEnum):
    """The answer's status."""

    COMPLIANT = "compliant"
    NON_COMPLIANT = "non_compliant"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ComplianceAnswer:
    """Status plus a machine-readable ``reason``.

    Reasons: ``zone_not_active``, ``no_fix``, ``fix_<quality>`` (the last fix is not good,
    e.g. ``fix_low_accuracy``), ``fix_too_old``, ``inside`` / ``outside`` (a good, recent fix
    settles it), ``uncertain`` (its accuracy disc crosses the boundary).
    """

    status: Compliance
    reason: str
    verdict: Verdict | None = None
    fix_id: str | None = None
    fix_age_s: float | None = None
    fix_before_window: bool | None = None

    def to_dict(self) -> JSONDict:
        """JSON form."""
        return {
            "status": self.status.value,
            "reason": self.reason,
            "verdict": None if self.verdict is None else self.verdict.value,
            "fix_id": self.fix_id,
            "fix_age_s": self.fix_age_s,
            "fix_before_window": self.fix_before_window,
        }


def schedule_compliance(
    last_fix: Fix | None,
    zone: Zone,
    window_opened_at: dt.datetime,
    *,
    now: dt.datetime,
    max_fix_age_s: float,
    quality: QualityConfig | None = None,
) -> ComplianceAnswer:
    """Judge compliance with ``zone`` at ``now`` from the last known fix.

    The fix counts if it is good and at most ``max_fix_age_s`` old at ``now``; it may
    predate the window (a 21:55 fix at home settles a 22:00 curfew check), which the answer
    says in ``fix_before_window``. A zone whose schedule is not active at ``now`` asks
    nothing, so the person is compliant.
    """
    for name, value in (("window_opened_at", window_opened_at), ("now", now)):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware")
    if window_opened_at > now:
        raise ValueError("window_opened_at is after now")
    if not (math.isfinite(max_fix_age_s) and max_fix_age_s > 0):
        raise ValueError("max_fix_age_s must be a positive number of seconds")
    if zone.schedule is not None and not zone.schedule.is_active(now):
        return ComplianceAnswer(Compliance.COMPLIANT, "zone_not_active")
    if last_fix is None:
        return ComplianceAnswer(Compliance.UNKNOWN, "no_fix")
    age_s = (now - last_fix.recorded_at).total_seconds()
    before = last_fix.recorded_at < window_opened_at
    fix_quality = classify_fix(last_fix, None, now, quality)
    if fix_quality is not FixQuality.OK:
        return ComplianceAnswer(
            Compliance.UNKNOWN, f"fix_{fix_quality.value}", None, last_fix.id, age_s, before
        )
    if age_s > max_fix_age_s:
        return ComplianceAnswer(Compliance.UNKNOWN, "fix_too_old", None, last_fix.id, age_s, before)
    lat, lon = to_wgs84(last_fix.lat, last_fix.lon, last_fix.crs)
    verdict = verdict_for(zone, lat, lon, last_fix.accuracy_m)
    if verdict is Verdict.UNCERTAIN:
        return ComplianceAnswer(Compliance.UNKNOWN, "uncertain", verdict, last_fix.id, age_s, before)
    wanted = Verdict.INSIDE if zone.kind is ZoneKind.INCLUSION else Verdict.OUTSIDE
    status = Compliance.COMPLIANT if verdict is wanted else Compliance.NON_COMPLIANT
    return ComplianceAnswer(status, verdict.value, verdict, last_fix.id, age_s, before)
