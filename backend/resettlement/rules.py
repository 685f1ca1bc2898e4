"""The deadlines of must-receive-must-deliver (必接必送), as data.

Each step's deadline is a day offset from the (expected) release date at a local time: the
prison's notice a month ahead, the pickup planned three days ahead, the person met at the gate
on the day, delivered home by the next evening.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings

from backend.resettlement.models import ASSISTANCE_YEARS, Step

STEP_DEADLINES: dict[str, tuple[int, dt.time]] = {
    Step.NOTICE: (-30, dt.time(18, 0)),
    Step.PICKUP_PLANNED: (-3, dt.time(18, 0)),
    Step.MET_AT_GATE: (0, dt.time(18, 0)),
    Step.DELIVERED_HOME: (1, dt.time(18, 0)),
}


def step_deadline(step: str, release: dt.date) -> dt.datetime:
    days, at = STEP_DEADLINES[step]
    return dt.datetime.combine(release + dt.timedelta(days=days), at, tzinfo=ZoneInfo(settings.TIME_ZONE))


def assistance_end(start: dt.date) -> dt.date:
    """Five years after ``start`` (29 February ends on 28 February)."""
    try:
        return start.replace(year=start.year + ASSISTANCE_YEARS)
    except ValueError:
        return start.replace(year=start.year + ASSISTANCE_YEARS, day=28)
