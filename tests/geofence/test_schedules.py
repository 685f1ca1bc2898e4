"""Weekly schedules in local time, crossing midnight, with dated exceptions."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geofence import DatedWindow, Schedule, ScheduleError, WeeklyWindow
from geofence.fixes import to_epoch_us

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """March 2024, Shanghai local time (4 March 2024 is a Monday)."""
    return dt.datetime(2024, 3, day, hour, minute, tzinfo=SHANGHAI)


def test_a_curfew_crosses_midnight():
    curfew = Schedule.daily("22:00", "06:00")
    assert not curfew.is_active(at(4, 21, 59))
    assert curfew.is_active(at(4, 22, 0))
    assert curfew.is_active(at(5, 0, 30))
    assert curfew.is_active(at(5, 5, 59))
    assert not curfew.is_active(at(5, 6, 0))


def test_times_are_read_in_the_schedules_time_zone():
    curfew = Schedule.daily("22:00", "06:00")
    # 14:30 UTC is 22:30 in Shanghai.
    assert curfew.is_active(dt.datetime(2024, 3, 4, 14, 30, tzinfo=dt.UTC))
    assert not curfew.is_active(dt.datetime(2024, 3, 4, 13, 30, tzinfo=dt.UTC))


def test_weekday_windows_apply_on_their_days_only():
    school = Schedule(windows=(WeeklyWindow(frozenset(range(5)), dt.time(7), dt.time(18)),))
    assert school.is_active(at(8, 10))  # Friday
    assert not school.is_active(at(9, 10))  # Saturday


def test_an_overnight_window_belongs_to_the_day_it_starts():
    friday_night = Schedule(windows=(WeeklyWindow(frozenset({4}), dt.time(22), dt.time(6)),))
    assert friday_night.is_active(at(9, 3))  # Saturday 03:00, started Friday
    assert not friday_night.is_active(at(10, 3))  # Sunday 03:00


def test_an_off_date_cancels_the_window_that_starts_that_day_only():
    curfew = Schedule(
        windows=Schedule.daily("22:00", "06:00").windows, off_dates=frozenset({dt.date(2024, 3, 5)})
    )
    assert curfew.is_active(at(5, 5))  # the night that began on the 4th runs on
    assert not curfew.is_active(at(5, 23))  # the night of the 5th is off
    assert not curfew.is_active(at(6, 2))
    assert curfew.is_active(at(6, 23))


def test_extra_dated_windows_add_activity():
    extra = DatedWindow(dt.datetime(2024, 3, 9, 9, 0), dt.datetime(2024, 3, 9, 12, 0))
    schedule = Schedule(windows=Schedule.daily("22:00", "06:00").windows, extra_windows=(extra,))
    assert schedule.is_active(at(9, 10))
    assert not schedule.is_active(at(9, 13))


def test_it_rejects_naive_datetimes():
    with pytest.raises(ValueError, match="aware"):
        Schedule.daily("22:00", "06:00").is_active(dt.datetime(2024, 3, 4, 23, 0))


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"tz": "Mars/Olympus", "windows": [{"start": "22:00", "end": "06:00"}]}, "tz"),
        ({"windows": [{"start": "25:00", "end": "06:00"}]}, "windows.start"),
        ({"windows": [{"start": "06:00", "end": "06:00"}]}, "windows.end"),
        ({"windows": [{"days": ["someday"], "start": "06:00", "end": "07:00"}]}, "windows.days"),
        ({"windows": []}, "windows"),
        ({"windows": [{"start": "06:00", "end": "07:00"}], "off_dates": ["soon"]}, "off_dates"),
    ],
)
def test_bad_schedules_are_refused_naming_the_field(data, field):
    with pytest.raises(ScheduleError) as err:
        Schedule.from_dict(data)
    assert err.value.field == field


def test_to_dict_is_json_and_round_trips():
    schedule = Schedule(
        windows=(WeeklyWindow(frozenset({0, 2, 4}), dt.time(22), dt.time(6)),),
        tz="Asia/Shanghai",
        off_dates=frozenset({dt.date(2024, 2, 10)}),
        extra_windows=(DatedWindow(dt.datetime(2024, 3, 9, 9), dt.datetime(2024, 3, 9, 12)),),
    )
    data = json.loads(json.dumps(schedule.to_dict()))
    assert data["windows"][0]["days"] == ["mon", "wed", "fri"]
    assert Schedule.from_dict(data) == schedule


SCHEDULES = [
    Schedule.daily("22:00", "06:00"),
    Schedule(
        windows=(WeeklyWindow(frozenset({1, 5}), dt.time(7, 30), dt.time(17, 45, 30)),),
        off_dates=frozenset({dt.date(2024, 3, 5), dt.date(2024, 3, 12)}),
        extra_windows=(DatedWindow(dt.datetime(2024, 3, 9, 9), dt.datetime(2024, 3, 9, 12)),),
    ),
    Schedule.daily("23:00", "01:00", tz="Europe/Berlin"),  # with daylight saving
    Schedule.daily("07:00", "18:00"),
    # Every day but with days off: the general path, not the daily shortcut.
    Schedule(
        windows=(WeeklyWindow(frozenset(range(7)), dt.time(21), dt.time(5)),),
        off_dates=frozenset({dt.date(2024, 3, 5)}),
    ),
]


@settings(max_examples=150, deadline=None)
@given(
    which=st.integers(min_value=0, max_value=len(SCHEDULES) - 1),
    seconds=st.integers(min_value=0, max_value=400 * 86_400),
)
def test_vectorised_activity_agrees_with_is_active(which, seconds):
    schedule = SCHEDULES[which]
    instant = dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=seconds)
    mask = schedule.active_mask(np.array([to_epoch_us(instant)], dtype=np.int64))
    assert bool(mask[0]) is schedule.is_active(instant)


@pytest.mark.parametrize("spread_days", [0.5, 3.0, 40_000.0])
def test_local_times_give_the_local_weekday_day_and_second(spread_days):
    """LocalTimes' weekday and second of day agree with the datetime breakdown, for batches
    spanning hours, days or a century (also before 1970)."""
    from zoneinfo import ZoneInfo

    from geofence.schedule import LocalTimes

    rng = np.random.default_rng(int(spread_days))
    start = to_epoch_us(dt.datetime(1969, 12, 20, tzinfo=dt.UTC))
    us = start + (rng.uniform(0, spread_days, 400) * 86_400e6).astype(np.int64)
    local = LocalTimes.from_utc("Asia/Shanghai", us)
    zone = ZoneInfo("Asia/Shanghai")
    for k in range(0, 400, 7):
        when = (dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=int(us[k]))).astimezone(
            zone
        )
        assert int(local.weekday[k]) == when.weekday()
        assert int(local.second[k]) == when.hour * 3600 + when.minute * 60 + when.second
