"""The check-in schedule of each supervision level (分类管理): how often a phone must check in,
and how long past its due time silence becomes an offline (脱管) alert.

Monitoring (the due times, the offline alerts) and reminders (the check-in prompts) both read
them, so they live with the levels they depend on.
"""

from __future__ import annotations

import datetime as dt

from backend.supervision.models import Subject

# How often a phone must check in, by supervision level (分类管理): strict people are checked most.
CHECKIN_INTERVAL: dict[str, dt.timedelta] = {
    Subject.Level.STRICT: dt.timedelta(hours=1),
    Subject.Level.NORMAL: dt.timedelta(hours=4),
    Subject.Level.LENIENT: dt.timedelta(hours=12),
}
# A phone silent this long past its due time raises an offline (脱管) alert.
OFFLINE_GRACE = dt.timedelta(minutes=30)


def checkin_interval(level: str) -> dt.timedelta:
    return CHECKIN_INTERVAL.get(level, CHECKIN_INTERVAL[Subject.Level.NORMAL])
