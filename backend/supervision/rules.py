"""What each supervision level (分类管理) demands: the check-in schedule, the thresholds of the
warnings, the curfew, 漏管 and the end of the term, the education hours.

The values are data (``SupervisionPolicy``, one row per level, edited in the admin and through
``/api/v1/supervision-policy``); ``DEFAULTS`` seeds the rows (a data migration) and stands in for
a row that is missing. ``policies()`` reads the three rows in one query: callers that look at
many people (the periodic checks) read them once per run.

Monitoring does not read these on the check-in path: it copies what the upload needs into each
person's monitoring state (``monitoring.services.expectations``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from backend.supervision.models import Subject, SupervisionPolicy


@dataclass(frozen=True)
class Policy:
    """One level's rules, as plain values."""

    level: str
    checkin_interval: dt.timedelta
    overdue_grace: dt.timedelta
    lost_contact_after: dt.timedelta
    curfew_applies: bool
    curfew_start: dt.time
    curfew_end: dt.time
    approach_buffer_m: float
    low_battery_percent: float
    unsupervised_after_days: int
    auto_end_at_term: bool
    education_hours_per_month: Decimal

    @classmethod
    def from_row(cls, row: SupervisionPolicy) -> Policy:
        return cls(
            level=row.level,
            checkin_interval=dt.timedelta(minutes=row.checkin_interval_minutes),
            overdue_grace=dt.timedelta(minutes=row.overdue_grace_minutes),
            lost_contact_after=dt.timedelta(minutes=row.lost_contact_after_minutes),
            curfew_applies=row.curfew_applies,
            curfew_start=row.curfew_start,
            curfew_end=row.curfew_end,
            approach_buffer_m=float(row.approach_buffer_m),
            low_battery_percent=float(row.low_battery_percent),
            unsupervised_after_days=row.unsupervised_after_days,
            auto_end_at_term=row.auto_end_at_term,
            education_hours_per_month=Decimal(row.education_hours_per_month),
        )


# The defaults (the README's configuration section lists them): strict people are checked most.
DEFAULT_ROWS: dict[str, dict[str, Any]] = {
    Subject.Level.STRICT: {
        "checkin_interval_minutes": 60,
        "overdue_grace_minutes": 30,
        "lost_contact_after_minutes": 180,
        "curfew_applies": True,
        "curfew_start": dt.time(21, 0),
        "curfew_end": dt.time(6, 0),
        "approach_buffer_m": 500.0,
        "low_battery_percent": 20.0,
        "unsupervised_after_days": 3,
        "auto_end_at_term": False,
        "education_hours_per_month": Decimal("10"),
    },
    Subject.Level.NORMAL: {
        "checkin_interval_minutes": 240,
        "overdue_grace_minutes": 30,
        "lost_contact_after_minutes": 180,
        "curfew_applies": True,
        "curfew_start": dt.time(22, 0),
        "curfew_end": dt.time(6, 0),
        "approach_buffer_m": 300.0,
        "low_battery_percent": 15.0,
        "unsupervised_after_days": 3,
        "auto_end_at_term": False,
        "education_hours_per_month": Decimal("8"),
    },
    Subject.Level.LENIENT: {
        "checkin_interval_minutes": 720,
        "overdue_grace_minutes": 30,
        "lost_contact_after_minutes": 180,
        "curfew_applies": False,
        "curfew_start": dt.time(22, 0),
        "curfew_end": dt.time(6, 0),
        "approach_buffer_m": 200.0,
        "low_battery_percent": 15.0,
        "unsupervised_after_days": 3,
        "auto_end_at_term": False,
        "education_hours_per_month": Decimal("6"),
    },
}
DEFAULTS: dict[str, Policy] = {
    level: Policy.from_row(SupervisionPolicy(level=level, **row)) for level, row in DEFAULT_ROWS.items()
}
POLICY_FIELDS = tuple(f.name for f in fields(Policy))

# Kept for the check-in prompts' expiry (reminders): the default grace before "overdue".
OFFLINE_GRACE = DEFAULTS[Subject.Level.NORMAL].overdue_grace
CHECKIN_INTERVAL: dict[str, dt.timedelta] = {level: p.checkin_interval for level, p in DEFAULTS.items()}


def policies() -> dict[str, Policy]:
    """Every level's policy (one query); a level without a row has its default."""
    found = {row.level: Policy.from_row(row) for row in SupervisionPolicy.objects.all()}
    return {level: found.get(level, default) for level, default in DEFAULTS.items()}


def policy_for(level: str, known: dict[str, Policy] | None = None) -> Policy:
    """The policy of ``level`` (of ``known`` when given); an unknown level has the normal one's."""
    table = known if known is not None else policies()
    return table.get(level) or table[Subject.Level.NORMAL]


def checkin_interval(level: str) -> dt.timedelta:
    return policy_for(level).checkin_interval


_cache: dict[str, Any] = {"at": 0.0, "policies": None}


def cached_policies(max_age_s: float = 60.0) -> dict[str, Policy]:
    """``policies()`` read at most once per ``max_age_s`` in this process: for checks made per fix
    (the low-battery threshold), where a change may take a minute to apply."""
    import time

    now = time.monotonic()
    if _cache["policies"] is None or now - _cache["at"] > max_age_s:
        _cache["policies"], _cache["at"] = policies(), now
    return _cache["policies"]  # type: ignore[no-any-return]


def forget_cached_policies(**_kwargs: Any) -> None:
    _cache["policies"] = None
