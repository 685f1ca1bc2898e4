"""The casework rules as values: leave routing, order limits, the curfew check's times.

Pure functions of their arguments, no database: the services apply them, the tests read them.
"""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

from backend.accounts.models import Role, User
from backend.casework.models import LeaveRequest

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

# ---------------------------------------------------------------------------------------------
# Leave (外出请假, 社区矫正法第27条)
# ---------------------------------------------------------------------------------------------

OFFICE_HEAD_MAX_DAYS = 7.0  # up to this the office head decides
BUREAU_HEAD_OVER_DAYS = 30.0  # over this (alone, or summed over the window) only the bureau head
CUMULATIVE_WINDOW = dt.timedelta(days=60)
# A request may start at most this far back (sent a little late) and ahead, and last at most this.
LEAVE_START_BACK = dt.timedelta(days=1)
LEAVE_START_AHEAD = dt.timedelta(days=365)
LEAVE_MAX_LENGTH = dt.timedelta(days=180)
DEFAULT_RADIUS_M = 5000.0
MIN_RADIUS_M, MAX_RADIUS_M = 100, 100_000
# Not back (no report-back, no fix in the county) this long after the leave's end: leave_overdue.
LEAVE_RETURN_GRACE = dt.timedelta(hours=2)
# A fix this long before the leave's end, in the county, counts as being back.
SEEN_BACK_TOLERANCE = dt.timedelta(hours=1)
# A leave that ended within this still shapes the zones (late fixes of the leave are evaluated
# against the zones of their time); older ones are dropped from the zone lists.
LEAVE_ZONES_KEPT_FOR = dt.timedelta(days=7)

DECIDERS: dict[str, frozenset[str]] = {
    LeaveRequest.Approver.OFFICE_HEAD: frozenset({Role.OFFICE_HEAD, Role.BUREAU_STAFF, Role.BUREAU_HEAD}),
    LeaveRequest.Approver.BUREAU: frozenset({Role.BUREAU_STAFF, Role.BUREAU_HEAD}),
    LeaveRequest.Approver.BUREAU_HEAD: frozenset({Role.BUREAU_HEAD}),
}


def days(span: dt.timedelta) -> float:
    return span.total_seconds() / 86_400


def leave_routing(length: dt.timedelta, days_in_window: float) -> tuple[str, bool]:
    """``(approver, flagged)`` for a leave of ``length`` when the person's leave days in the
    60-day window around it, this one included, come to ``days_in_window``."""
    if days(length) > BUREAU_HEAD_OVER_DAYS or days_in_window > BUREAU_HEAD_OVER_DAYS:
        return LeaveRequest.Approver.BUREAU_HEAD, True
    if days(length) > OFFICE_HEAD_MAX_DAYS:
        return LeaveRequest.Approver.BUREAU, False
    return LeaveRequest.Approver.OFFICE_HEAD, False


def may_decide_leave(user: User, approver: str) -> bool:
    return user.role in DECIDERS.get(approver, frozenset())


def overlap(a: tuple[dt.datetime, dt.datetime], b: tuple[dt.datetime, dt.datetime]) -> dt.timedelta:
    return max(dt.timedelta(0), min(a[1], b[1]) - max(a[0], b[0]))


# ---------------------------------------------------------------------------------------------
# Positioning orders (电子定位, 第29条)
# ---------------------------------------------------------------------------------------------

ORDER_MAX_MONTHS = 3
CONTINUOUS_INTERVAL_S = 60  # the sampling interval asked of a phone under an active order


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole calendar months, clamped to the month's last day (31 Nov → 30 Nov)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def order_limit(from_day: dt.date) -> dt.date:
    """The last day an order (or an extension) counted from ``from_day`` may run to."""
    return add_months(from_day, ORDER_MAX_MONTHS)


def end_of_day(day: dt.date) -> dt.datetime:
    """The instant an order whose last day is ``day`` stops: the next local midnight."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=LOCAL_TZ).astimezone(dt.UTC)


def local_date(at: dt.datetime) -> dt.date:
    return at.astimezone(LOCAL_TZ).date()


# ---------------------------------------------------------------------------------------------
# Curfew
# ---------------------------------------------------------------------------------------------

CURFEW_CHECK_GRACE = dt.timedelta(minutes=15)  # after the window opens, and again for the answer
CURFEW_FIX_MAX_AGE = dt.timedelta(minutes=45)  # a last fix older than this at the check settles nothing
CURFEW_RADIUS_M = 300.0
HOME_RADIUS_M = 300.0
# The window used for a level whose policy says a curfew applies but has no row yet.
DEFAULT_CURFEW = (dt.time(22, 0), dt.time(6, 0))
