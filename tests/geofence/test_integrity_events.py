"""Mock locations and teleports are integrity signals, one event per episode."""

from __future__ import annotations

import datetime as dt

from geofence import FixQuality, evaluate_person

from .helpers import T0, fix_at, kinds, square_zone, track

HOME = square_zone("home", "inclusion", 300.0)
NOW = T0 + dt.timedelta(minutes=30)


def test_a_run_of_mock_fixes_raises_one_event():
    fixes = [fix_at(0, 0, minutes=m, mock=(2 <= m <= 6)) for m in range(10)]
    result = evaluate_person(None, fixes, [HOME], now=NOW)
    assert kinds(result.events) == ["mock_location"]
    assert result.events[0].fix_ids == (fixes[2].id,)
    assert sum(q is FixQuality.MOCK_LOCATION for q in result.qualities.values()) == 5


def test_a_second_run_raises_a_second_event():
    fixes = [fix_at(0, 0, minutes=m, mock=m in (1, 2, 5)) for m in range(7)]
    assert kinds(evaluate_person(None, fixes, [], now=NOW).events) == ["mock_location", "mock_location"]


def test_mock_fixes_never_confirm_a_breach():
    fixes = [fix_at(0, 2000, minutes=m, mock=True) for m in range(6)]
    assert kinds(evaluate_person(None, fixes, [HOME], now=NOW).events) == ["mock_location"]


def test_a_teleport_raises_one_event_and_does_not_breach():
    # One fix 50 km away between fixes at home.
    fixes = [*track([(0, 0)] * 3), fix_at(0, 50_000, minutes=3), *track([(0, 0)] * 3, start_min=4)]
    result = evaluate_person(None, fixes, [HOME], now=NOW)
    assert kinds(result.events) == ["teleport"]
    event = result.events[0]
    assert event.fix_ids == (fixes[2].id, fixes[3].id)
    assert event.detail["implied_speed_mps"] > 100
    assert result.qualities[fixes[3].id] is FixQuality.TELEPORT


def test_consistent_fixes_at_a_new_place_re_anchor_the_track():
    # A bad anchor must not poison the rest: after three mutually consistent fixes far
    # away the track moves there, and a real breach can be confirmed.
    fixes = [fix_at(0, 0, minutes=0), *track([(0, 30_000)] * 6, start_min=1)]
    result = evaluate_person(None, fixes, [HOME], now=NOW)
    assert kinds(result.events) == ["teleport", "breach_opened"]
    qualities = [result.qualities[f.id] for f in fixes]
    assert qualities[1:3] == [FixQuality.TELEPORT, FixQuality.TELEPORT]
    assert qualities[3:] == [FixQuality.OK] * 4
