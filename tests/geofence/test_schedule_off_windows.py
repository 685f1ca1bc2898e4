"""Dated off windows (a leave suspends the county boundary) and the openings of windows (the
curfew check runs at each one)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geofence import DatedWindow, Schedule, ScheduleError
from geofence.fixes import to_epoch_us

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
LEAVE = DatedWindow(dt.datetime(2024, 3, 5, 8), dt.datetime(2024, 3, 8, 20))


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2024, 3, day, hour, minute, tzinfo=SHANGHAI)


def test_a_schedule_of_off_windows_only_is_active_at_every_other_time():
    schedule = Schedule(off_windows=(LEAVE,))
    assert schedule.is_active(at(5, 7, 59))
    assert not schedule.is_active(at(5, 8, 0))
    assert not schedule.is_active(at(8, 19, 59))
    assert schedule.is_active(at(8, 20, 0))


def test_an_off_window_switches_off_weekly_and_dated_windows():
    extra = DatedWindow(dt.datetime(2024, 3, 6, 9), dt.datetime(2024, 3, 6, 12))
    curfew = Schedule.daily("22:00", "06:00")
    schedule = Schedule(windows=curfew.windows, extra_windows=(extra,), off_windows=(LEAVE,))
    assert schedule.is_active(at(4, 23))
    assert not schedule.is_active(at(6, 23))
    assert not schedule.is_active(at(6, 10))
    assert schedule.is_active(at(8, 23))
    assert curfew.with_off_windows((LEAVE,)) == Schedule(windows=curfew.windows, off_windows=(LEAVE,))


def test_off_windows_round_trip_and_are_written_only_when_present():
    schedule = Schedule.daily("22:00", "06:00")
    assert "off_windows" not in schedule.to_dict()
    with_leave = schedule.with_off_windows((LEAVE,))
    assert with_leave.to_dict()["off_windows"] == [
        {"start": "2024-03-05T08:00:00", "end": "2024-03-08T20:00:00"}
    ]
    assert Schedule.from_dict(with_leave.to_dict()) == with_leave


@pytest.mark.parametrize(
    "off_windows",
    [
        "no list",
        [1],
        [{"start": "yesterday", "end": "2024-03-01T00:00"}],
        [{"start": "2024-03-02T00:00", "end": "2024-03-01T00:00"}],
        [{"start": "2024-03-01T00:00+08:00", "end": "2024-03-02T00:00+08:00"}],
    ],
)
def test_bad_off_windows_are_refused_naming_the_field(off_windows):
    with pytest.raises(ScheduleError) as refused:
        Schedule.from_dict({"off_windows": off_windows})
    assert refused.value.field == "off_windows"


SCHEDULES = [
    Schedule(off_windows=(LEAVE,)),
    Schedule.daily("22:00", "06:00").with_off_windows((LEAVE,)),
]


@settings(max_examples=150, deadline=None)
@given(which=st.integers(min_value=0, max_value=1), seconds=st.integers(min_value=0, max_value=30 * 86_400))
def test_vectorised_activity_agrees_with_is_active(which, seconds):
    schedule = SCHEDULES[which]
    instant = dt.datetime(2024, 2, 20, tzinfo=dt.UTC) + dt.timedelta(seconds=seconds)
    mask = schedule.active_mask(np.array([to_epoch_us(instant)], dtype=np.int64))
    assert bool(mask[0]) is schedule.is_active(instant)


def test_window_starts_are_each_nightly_opening_not_switched_off():
    schedule = Schedule(
        windows=Schedule.daily("22:00", "06:00").windows,
        off_dates=frozenset({dt.date(2024, 3, 6)}),
        off_windows=(DatedWindow(dt.datetime(2024, 3, 7, 21), dt.datetime(2024, 3, 7, 23)),),
    )
    starts = schedule.window_starts(at(4, 12), at(8, 22, 30))
    assert starts == [at(4, 22), at(5, 22), at(8, 22)]
    assert schedule.window_starts(at(8, 22, 30), at(4, 12)) == []
    assert Schedule.daily("22:00", "06:00").window_starts(at(4, 22), at(4, 22)) == [at(4, 22)]
