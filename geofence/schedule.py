"""Weekly schedules for zones: curfews, school hours, dated exceptions.

A schedule is a set of weekly windows in local wall-clock time (``tz``, default
Asia/Shanghai), plus dated exceptions. The zone counts only while the schedule is active.

* A weekly window belongs to the day it *starts* on. A window whose end is not after its
  start crosses midnight: ``22:00-06:00`` on Monday runs from Monday 22:00 to Tuesday 06:00.
* ``off_dates`` switch off every weekly window that *starts* on that local date, so the
  night that begins on an off date is free, while the night that began the day before still
  runs until its end.
* ``extra_windows`` are one-off dated windows (naive local date-times) that are active even
  on off dates; they add to the weekly windows.
* ``off_windows`` are dated windows (naive local date-times) in which the zone does not count
  whatever the other windows say: a person on approved leave is not held to the county
  boundary from the leave's start to its end. A schedule with only off windows is active at
  every other time.

Times are compared as local wall-clock times, so windows follow daylight-saving changes in
zones that have them (Asia/Shanghai has none since 1991).

``active_mask`` answers the same question for a NumPy array of epoch microseconds; it must
agree with ``is_active`` (a property test checks this).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from numpy.typing import NDArray

from geofence._json import JSON, JSONDict

__all__ = ["DatedWindow", "LocalTimes", "Schedule", "ScheduleError", "WeeklyWindow", "local_offsets_us"]

DAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_US_PER_DAY = 86_400_000_000
_US_PER_SECOND = 1_000_000
# Offsets only change on quarter hours in every tz database zone, so one lookup per
# 15-minute bucket gives every instant's exact offset.
_OFFSET_BUCKET_US = 900 * _US_PER_SECOND
_MAX_DIRECT_DAYS = 4_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EPOCH_DATE = dt.date(1970, 1, 1)
# Recorded times come from phones and may be any int64, while a datetime only holds years
# 1 to 9999 and a local time must stay within them too. Offsets are looked up at instants
# clamped into 0001-01-03 .. 9999-12-29 UTC (beyond it the offset of the nearest end
# applies; the days kept at each end leave room for the day after and a day's offset).
_OFFSET_LOOKUP_MIN_US = -62_135_424_000_000_000  # 0001-01-03T00:00Z
_OFFSET_LOOKUP_MAX_US = 253_402_041_600_000_000  # 9999-12-29T00:00Z
# Adding an offset (under a day) to an instant this close to int64's ends would wrap it.
_INT64 = np.iinfo(np.int64)
_LOCAL_MIN_US = int(_INT64.min) + 2 * _US_PER_DAY
_LOCAL_MAX_US = int(_INT64.max) - 2 * _US_PER_DAY


class ScheduleError(ValueError):
    """A schedule that cannot be used; ``field`` names the offending part."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _seconds_of_day(t: dt.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def _parse_time(value: JSON, field_name: str) -> dt.time:
    if not isinstance(value, str):
        raise ScheduleError(f"{field_name} must be a 'HH:MM' string, got {value!r}", field_name)
    try:
        parsed = dt.time.fromisoformat(value)
    except ValueError as exc:
        raise ScheduleError(f"{field_name} must be a 'HH:MM' string, got {value!r}", field_name) from exc
    if parsed.tzinfo is not None or parsed.microsecond:
        raise ScheduleError(
            f"{field_name} must be a plain local time without zone, got {value!r}", field_name
        )
    return parsed


def _parse_day(value: JSON) -> int:
    if isinstance(value, bool):
        raise ScheduleError(f"unknown day {value!r}", "windows.days")
    if isinstance(value, int) and 0 <= value <= 6:
        return value
    if isinstance(value, str) and value.lower()[:3] in DAY_NAMES:
        return DAY_NAMES.index(value.lower()[:3])
    raise ScheduleError(f"unknown day {value!r}; use mon..sun or 0 (Monday)..6", "windows.days")


@dataclass(frozen=True)
class WeeklyWindow:
    """A window that repeats on the given weekdays (0 = Monday), in local time.

    ``end <= start`` means the window crosses midnight into the next day.
    """

    days: frozenset[int]
    start: dt.time
    end: dt.time

    def __post_init__(self) -> None:
        if not self.days:
            raise ScheduleError("a weekly window needs at least one day", "windows.days")
        if any(not isinstance(d, int) or not 0 <= d <= 6 for d in self.days):
            raise ScheduleError(f"days must be 0 (Monday)..6, got {sorted(self.days)}", "windows.days")
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, dt.time) or value.tzinfo is not None or value.microsecond:
                raise ScheduleError(f"{name} must be a plain local time to the second", f"windows.{name}")
        if self.start == self.end:
            raise ScheduleError("start equals end; a zone active all day needs no schedule", "windows.end")

    @property
    def crosses_midnight(self) -> bool:
        """True when the window ends on the day after it starts."""
        return self.end <= self.start

    def to_dict(self) -> JSONDict:
        """JSON form: day names and 'HH:MM:SS' strings."""
        return {
            "days": [DAY_NAMES[d] for d in sorted(self.days)],
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }


@dataclass(frozen=True)
class DatedWindow:
    """A one-off window between two naive local date-times (end after start)."""

    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ScheduleError("dated windows use naive local date-times", "extra_windows")
        if self.end <= self.start:
            raise ScheduleError("a dated window must end after it starts", "extra_windows")

    def to_dict(self) -> JSONDict:
        """JSON form: ISO local date-times."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


@dataclass(frozen=True)
class Schedule:
    """When a zone counts: weekly windows in local time plus dated exceptions."""

    windows: tuple[WeeklyWindow, ...] = ()
    tz: str = "Asia/Shanghai"
    off_dates: frozenset[dt.date] = frozenset()
    extra_windows: tuple[DatedWindow, ...] = ()
    off_windows: tuple[DatedWindow, ...] = ()
    _zone: ZoneInfo = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        try:
            zone = ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ScheduleError(f"unknown time zone {self.tz!r}", "tz") from exc
        object.__setattr__(self, "_zone", zone)
        if not self.windows and not self.extra_windows and not self.off_windows:
            raise ScheduleError("a schedule needs at least one window", "windows")
        object.__setattr__(self, "windows", tuple(self.windows))
        object.__setattr__(self, "extra_windows", tuple(self.extra_windows))
        object.__setattr__(self, "off_windows", tuple(self.off_windows))
        object.__setattr__(self, "off_dates", frozenset(self.off_dates))

    # -- construction -------------------------------------------------------

    @classmethod
    def daily(cls, start: str, end: str, *, tz: str = "Asia/Shanghai") -> Schedule:
        """Every day from ``start`` to ``end`` ('HH:MM'), e.g. a 22:00-06:00 curfew."""
        window = WeeklyWindow(frozenset(range(7)), _parse_time(start, "start"), _parse_time(end, "end"))
        return cls(windows=(window,), tz=tz)

    @classmethod
    def from_dict(cls, data: JSONDict) -> Schedule:
        """Inverse of ``to_dict``; raises ScheduleError naming the bad field."""
        if not isinstance(data, dict):
            raise ScheduleError("a schedule must be a JSON object", "schedule")
        tz = data.get("tz", "Asia/Shanghai")
        if not isinstance(tz, str):
            raise ScheduleError("tz must be a string", "tz")
        windows = []
        raw_windows = data.get("windows", [])
        if not isinstance(raw_windows, list):
            raise ScheduleError("windows must be a list", "windows")
        for raw in raw_windows:
            if not isinstance(raw, dict):
                raise ScheduleError("each window must be an object", "windows")
            raw_days = raw.get("days", list(DAY_NAMES))
            if not isinstance(raw_days, list):
                raise ScheduleError("days must be a list", "windows.days")
            windows.append(
                WeeklyWindow(
                    frozenset(_parse_day(d) for d in raw_days),
                    _parse_time(raw.get("start"), "windows.start"),
                    _parse_time(raw.get("end"), "windows.end"),
                )
            )
        off_dates = set()
        raw_off = data.get("off_dates", [])
        if not isinstance(raw_off, list):
            raise ScheduleError("off_dates must be a list", "off_dates")
        for raw in raw_off:
            try:
                off_dates.add(dt.date.fromisoformat(str(raw)))
            except ValueError as exc:
                raise ScheduleError(f"off_dates: {raw!r} is not a YYYY-MM-DD date", "off_dates") from exc
        return cls(
            windows=tuple(windows),
            tz=tz,
            off_dates=frozenset(off_dates),
            extra_windows=_dated_windows(data, "extra_windows"),
            off_windows=_dated_windows(data, "off_windows"),
        )

    def to_dict(self) -> JSONDict:
        """A JSON-serialisable dict, stable in order (the backend stores it as is).

        ``off_windows`` is written only when there are some, so schedules without them keep
        the form they were stored in.
        """
        windows: list[JSON] = [w.to_dict() for w in self.windows]
        off: list[JSON] = [d.isoformat() for d in sorted(self.off_dates)]
        extras: list[JSON] = [w.to_dict() for w in self.extra_windows]
        data: JSONDict = {"tz": self.tz, "windows": windows, "off_dates": off, "extra_windows": extras}
        if self.off_windows:
            data["off_windows"] = [w.to_dict() for w in self.off_windows]
        return data

    def with_off_windows(self, windows: tuple[DatedWindow, ...]) -> Schedule:
        """This schedule with ``windows`` switched off as well."""
        return Schedule(
            windows=self.windows,
            tz=self.tz,
            off_dates=self.off_dates,
            extra_windows=self.extra_windows,
            off_windows=self.off_windows + tuple(windows),
        )

    @property
    def always_on_but_off_windows(self) -> bool:
        """True for a schedule of off windows only: active at every other time."""
        return not self.windows and not self.extra_windows

    # -- questions ----------------------------------------------------------

    def local(self, at: dt.datetime) -> dt.datetime:
        """``at`` as a naive local wall-clock time in the schedule's zone."""
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("schedule times must be timezone-aware")
        return at.astimezone(self._zone).replace(tzinfo=None)

    def is_active(self, at: dt.datetime) -> bool:
        """True while ``at`` (aware) falls inside a window that is not switched off."""
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("schedule times must be timezone-aware")
        delta = at - _EPOCH
        epoch_us = (delta.days * 86_400 + delta.seconds) * _US_PER_SECOND + delta.microseconds
        if not _OFFSET_LOOKUP_MIN_US <= epoch_us <= _OFFSET_LOOKUP_MAX_US:
            # Within two days of datetime's ends the local time or yesterday's date may not
            # exist as a datetime; the vectorised form works on integers and answers there.
            return bool(self.active_mask(np.array([epoch_us], dtype=np.int64))[0])
        local = self.local(at)
        if any(w.start <= local < w.end for w in self.off_windows):
            return False
        if self.always_on_but_off_windows:
            return True
        if any(w.start <= local < w.end for w in self.extra_windows):
            return True
        today = local.date()
        yesterday = today - dt.timedelta(days=1)
        now_s = _seconds_of_day(local.time())
        for w in self.windows:
            start_s = _seconds_of_day(w.start)
            end_s = _seconds_of_day(w.end)
            if w.crosses_midnight:
                if today.weekday() in w.days and today not in self.off_dates and now_s >= start_s:
                    return True
                if yesterday.weekday() in w.days and yesterday not in self.off_dates and now_s < end_s:
                    return True
            elif today.weekday() in w.days and today not in self.off_dates and start_s <= now_s < end_s:
                return True
        return False

    def active_mask(self, epoch_us: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Vectorised ``is_active`` for UTC epoch microseconds."""
        t = np.asarray(epoch_us, dtype=np.int64)
        if t.size == 0:
            return np.zeros(t.shape, dtype=bool)
        return self.active_mask_local(LocalTimes.from_utc(self.tz, t))

    def active_mask_local(self, local: LocalTimes) -> NDArray[np.bool_]:
        """``active_mask`` for times already broken down in this schedule's time zone.

        The batch path breaks each time zone down once and asks every schedule in it.
        """
        day, second, weekday = local.day, local.second, local.weekday
        today_on: NDArray[np.bool_] | None = None
        yesterday_on: NDArray[np.bool_] | None = None
        if self.off_dates:
            off_days = np.array(sorted((d - _EPOCH_DATE).days for d in self.off_dates), dtype=np.int64)
            today_on = ~np.isin(day, off_days)
            yesterday_on = ~np.isin(day - 1, off_days)
        active = np.zeros(day.shape, dtype=bool)
        for w in self.windows:
            start_s = _seconds_of_day(w.start)
            end_s = _seconds_of_day(w.end)
            if len(w.days) == 7 and today_on is None:
                # Every day, no days off (daily windows): the time of day decides alone.
                if w.crosses_midnight:
                    active |= (second >= start_s) | (second < end_s)
                else:
                    active |= (second >= start_s) & (second < end_s)
                continue
            on_day = np.zeros(7, dtype=bool)
            on_day[sorted(w.days)] = True
            starts_today = on_day[weekday]
            if today_on is not None:
                starts_today &= today_on
            if w.crosses_midnight:
                started_yesterday = on_day[(weekday + 6) % 7]
                if yesterday_on is not None:
                    started_yesterday &= yesterday_on
                active |= (starts_today & (second >= start_s)) | (started_yesterday & (second < end_s))
            else:
                active |= starts_today & (second >= start_s) & (second < end_s)
        for x in self.extra_windows:
            active |= (local.local_us >= _naive_to_us(x.start)) & (local.local_us < _naive_to_us(x.end))
        if self.always_on_but_off_windows:
            active[:] = True
        for x in self.off_windows:
            active &= (local.local_us < _naive_to_us(x.start)) | (local.local_us >= _naive_to_us(x.end))
        return active

    def window_starts(self, since: dt.datetime, until: dt.datetime) -> list[dt.datetime]:
        """The (aware) times in ``[since, until]`` at which a window of this schedule opens.

        A weekly window opens on each of its days that is not an off date, a dated window once;
        an opening inside an off window, or at which the schedule is not active, is no opening.
        For the jobs that act at the start of a curfew; spans of a few days are what they ask.
        """
        if until < since:
            return []
        first, last = self.local(since), self.local(until)
        found: set[dt.datetime] = set()
        day = first.date() - dt.timedelta(days=1)
        while day <= last.date():
            if day not in self.off_dates:
                for w in self.windows:
                    if day.weekday() in w.days:
                        found.add(dt.datetime.combine(day, w.start))
            day += dt.timedelta(days=1)
        found.update(x.start for x in self.extra_windows)
        starts = []
        for local in sorted(found):
            if not first <= local <= last:
                continue
            at = local.replace(tzinfo=self._zone)
            if self.is_active(at):
                starts.append(at.astimezone(since.tzinfo))
        return starts


@dataclass(frozen=True)
class LocalTimes:
    """Instants broken down into local wall-clock day, second of day and weekday."""

    local_us: NDArray[np.int64]
    day: NDArray[np.int64]
    second: NDArray[np.int64]
    weekday: NDArray[np.int64]

    @classmethod
    def from_utc(cls, tz: str, epoch_us: NDArray[np.int64]) -> LocalTimes:
        """Break down UTC epoch microseconds in time zone ``tz`` (any int64 values; within
        two days of int64's ends the instant is taken as two days in)."""
        if epoch_us.size:
            inside = epoch_us
            if epoch_us.min() < _LOCAL_MIN_US or epoch_us.max() > _LOCAL_MAX_US:
                inside = np.clip(epoch_us, _LOCAL_MIN_US, _LOCAL_MAX_US)
            local_us = inside + local_offsets_us(tz, inside)
        else:
            local_us = epoch_us
        day = np.floor_divide(local_us, _US_PER_DAY)
        second = np.floor_divide(local_us - day * _US_PER_DAY, _US_PER_SECOND)
        # 1970-01-01 was a Thursday (weekday 3).
        weekday = (day + 3) % 7
        return cls(local_us, day, second, weekday)


def local_offsets_us(tz: str, epoch_us: NDArray[np.int64]) -> NDArray[np.int64]:
    """UTC offset of ``tz`` (microseconds) at each instant, vectorised.

    Offsets change only on quarter hours in every tz database zone, and at most once a day.
    So the offset is looked up at each UTC midnight of the batch's span; a day whose two
    midnights agree has that offset throughout, and only days with a change are resolved
    per 15-minute bucket. Times spread over more than _MAX_DIRECT_DAYS days fall back to
    one lookup per distinct bucket. Instants outside the years a datetime can hold take the
    offset of the nearest instant inside (see ``_OFFSET_LOOKUP_MIN_US``).
    """
    zone = ZoneInfo(tz)
    if epoch_us.size and (epoch_us.min() < _OFFSET_LOOKUP_MIN_US or epoch_us.max() > _OFFSET_LOOKUP_MAX_US):
        epoch_us = np.clip(epoch_us, _OFFSET_LOOKUP_MIN_US, _OFFSET_LOOKUP_MAX_US)

    def offset_of(us: int) -> int:
        delta = (_EPOCH + dt.timedelta(microseconds=us)).astimezone(zone).utcoffset()
        assert delta is not None
        return (delta.days * 86_400 + delta.seconds) * _US_PER_SECOND + delta.microseconds

    days = np.floor_divide(epoch_us, _US_PER_DAY)
    lo = int(days.min())
    hi = int(days.max())
    if hi - lo >= _MAX_DIRECT_DAYS:
        buckets = np.floor_divide(epoch_us, _OFFSET_BUCKET_US)
        unique, inverse = np.unique(buckets, return_inverse=True)
        table = np.array([offset_of(int(b) * _OFFSET_BUCKET_US) for b in unique.tolist()], dtype=np.int64)
        spread: NDArray[np.int64] = table[inverse.reshape(buckets.shape)]
        return spread
    midnights = [offset_of(d * _US_PER_DAY) for d in range(lo, hi + 2)]
    day_offset = np.array(midnights[:-1], dtype=np.int64)
    out: NDArray[np.int64] = day_offset[days - lo]
    for k in range(hi - lo + 1):
        if midnights[k] != midnights[k + 1]:
            rows = np.flatnonzero(days == lo + k)
            buckets = np.floor_divide(epoch_us[rows], _OFFSET_BUCKET_US)
            out[rows] = [offset_of(int(b) * _OFFSET_BUCKET_US) for b in buckets.tolist()]
    return out


def _dated_windows(data: JSONDict, name: str) -> tuple[DatedWindow, ...]:
    raw_windows = data.get(name, [])
    if not isinstance(raw_windows, list):
        raise ScheduleError(f"{name} must be a list", name)
    windows = []
    for raw in raw_windows:
        if not isinstance(raw, dict):
            raise ScheduleError(f"each of {name} must be an object", name)
        try:
            start = dt.datetime.fromisoformat(str(raw.get("start")))
            end = dt.datetime.fromisoformat(str(raw.get("end")))
        except ValueError as exc:
            raise ScheduleError(f"{name} need ISO local date-times", name) from exc
        try:
            windows.append(DatedWindow(start, end))
        except ScheduleError as exc:
            raise ScheduleError(str(exc), name) from exc
    return tuple(windows)


def _naive_to_us(value: dt.datetime) -> int:
    delta = value - dt.datetime(1970, 1, 1)
    return (delta.days * 86_400 + delta.seconds) * _US_PER_SECOND + delta.microseconds
