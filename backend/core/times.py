"""The times the system takes from outside: one window for every time a client sends.

A time is stored in UTC and shown in Asia/Shanghai, compared, shifted by intervals and turned
into epoch microseconds on its way. Python's ``datetime`` ends at year 9999, so a time near
either end of it (``9999-12-31T23:59:59-01:00``, ``0001-01-01T00:00:00+01:00``) overflows on the
first conversion. Every time from a phone or a query string must lie in ``[TIME_MIN, TIME_MAX)``,
centuries away from either end: the arithmetic after it cannot overflow, and the window still
holds every time a phone can plausibly report (a clock reset to 1970 is kept and classified as
stale, a clock in the 2090s as from the future).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

TIME_MIN = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
TIME_MAX = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


def time_window_message() -> str:
    return _("Must be between %(lo)s and %(hi)s.") % {
        "lo": "1970-01-01T00:00:00Z",
        "hi": "2100-01-01T00:00:00Z",
    }


def in_window(value: dt.datetime) -> bool:
    """Whether an aware ``value`` lies in the window (comparing aware times never overflows)."""
    return TIME_MIN <= value < TIME_MAX


class OutsideWindow(ValueError):
    """A client's time outside the window; its text is ``time_window_message()``."""


def window_utc(value: dt.datetime) -> dt.datetime:
    """An aware client time in UTC, once it is known to lie in the window (``OutsideWindow``
    otherwise). Compared before converting: the conversion is what overflows. Kept in UTC because
    PostgreSQL refuses offsets past ±15:59, which ISO 8601 text may carry."""
    if not in_window(value):
        raise OutsideWindow(time_window_message())
    return value.astimezone(dt.UTC)


def parse_client_time(raw: object, *, naive_ok: bool = False) -> tuple[dt.datetime | None, str | None]:
    """``(UTC time, None)`` or ``(None, message)`` for an ISO 8601 text from a client.

    Aware times only, unless ``naive_ok`` (then a naive time is read in the current time zone).
    """
    if not isinstance(raw, str):
        return None, _("An ISO 8601 time with an offset is required.")
    try:
        value = parse_datetime(raw.strip())
    except (ValueError, OverflowError):
        value = None
    if value is None:
        return None, _("Not an ISO 8601 time.")
    if value.tzinfo is None:
        if not naive_ok:
            return None, _("The time needs a UTC offset, e.g. 2026-11-27T22:00:00+08:00.")
        try:
            value = timezone.make_aware(value)
        except (ValueError, OverflowError):
            return None, time_window_message()
    try:
        return window_utc(value), None
    except OutsideWindow as exc:
        return None, str(exc)
