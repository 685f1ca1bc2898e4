"""The plan's targets that no module below keeps for itself, registered with ``bureau.indicators``:
alerts handled within their deadline (monitoring's alerts, read from the top floor).

A module that owns its numbers registers them itself (publicity, mediation, lawadmin…); the plan
page reads every registered indicator.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.bureau.indicators import IndicatorSpec, Progress, register_indicator
from backend.bureau.models import Unit
from backend.monitoring.models import Alert

# Minutes within which an alert of each severity must be acknowledged (签收) to count as handled
# in time; the duty roster's escalation deadlines, where configured, are the same numbers.
DEFAULT_DEADLINES = {"critical": 10, "warning": 60, "info": 24 * 60}
HANDLED_TARGET_PERCENT = 95


def towns_by_office() -> dict[int, int]:
    """Each justice office's town (unit id): the plan shows the supervision modules' numbers by town."""
    return dict(Unit.objects.filter(kind=Unit.Kind.TOWN).values_list("office", "pk"))


def deadlines() -> dict[str, dt.timedelta]:
    minutes = {**DEFAULT_DEADLINES, **getattr(settings, "ALERT_ACK_DEADLINES_MIN", {})}
    return {severity: dt.timedelta(minutes=value) for severity, value in minutes.items()}


def alerts_handled_in_time(year: int) -> Progress:
    """Of the year's alerts whose deadline has passed, the share acknowledged within it (%),
    county-wide, by town (through its justice office) and as of each month's end."""
    now = timezone.now()
    limits = deadlines()
    town_of_office = towns_by_office()
    rows = Alert.objects.filter(raised_at__year=year).values_list(
        "office", "severity", "raised_at", "acknowledged_at"
    )
    monthly_due: dict[int, int] = defaultdict(int)
    monthly_ok: dict[int, int] = defaultdict(int)
    unit_due: dict[int, int] = defaultdict(int)
    unit_ok: dict[int, int] = defaultdict(int)
    for office, severity, raised, acknowledged in rows.iterator(chunk_size=5000):
        deadline = raised + limits.get(severity, limits["warning"])
        if deadline > now:
            continue  # still within its time: neither handled late nor in time yet
        in_time = acknowledged is not None and acknowledged <= deadline
        month = timezone.localtime(raised).month
        monthly_due[month] += 1
        monthly_ok[month] += in_time
        unit = town_of_office.get(office)
        if unit is not None:
            unit_due[unit] += 1
            unit_ok[unit] += in_time
    by_month: dict[int, float] = {}
    due = ok = 0
    for month in range(1, 13):
        if timezone.make_aware(dt.datetime(year, month, 1)) > now:
            break  # a month that has not begun
        due += monthly_due.get(month, 0)
        ok += monthly_ok.get(month, 0)
        if due:
            by_month[month] = round(100 * ok / due, 1)
    total_due = sum(monthly_due.values())
    value = round(100 * sum(monthly_ok.values()) / total_due, 1) if total_due else 100.0
    return Progress(
        value=value,
        by_unit={unit: round(100 * unit_ok[unit] / n, 1) for unit, n in unit_due.items() if n},
        by_month=by_month,
    )


def register() -> None:
    register_indicator(
        IndicatorSpec(
            code="alerts-handled-in-time",
            module="monitoring",
            name=_("Alerts acknowledged within their deadline"),
            target=HANDLED_TARGET_PERCENT,
            measure="%",
            compute=alerts_handled_in_time,
            description=_(
                "Critical alerts within 10 minutes, warnings within an hour, notices within a day."
            ),
        )
    )
