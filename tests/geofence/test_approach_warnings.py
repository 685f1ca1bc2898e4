"""Approach warnings near an exclusion zone: one per approach episode."""

from __future__ import annotations

import datetime as dt

from geofence import evaluate_person

from .helpers import T0, kinds, square_zone, track

SCHOOL = square_zone("school", "exclusion", 100.0, approach_buffer_m=200.0)
NOW = T0 + dt.timedelta(hours=1)


def test_coming_within_the_buffer_warns_once():
    fixes = track([(600, 0), (250, 0), (220, 0), (240, 0), (210, 0)])
    result = evaluate_person(None, fixes, [SCHOOL], now=NOW)
    assert kinds(result.events) == ["approach"]
    assert result.events[0].detail["distance_m"] == 150.0


def test_jitter_at_the_buffer_edge_does_not_storm():
    # Standing about 200 m from the fence (100 m beyond the 100 m half-side), drifting in
    # and out of the 200 m buffer.
    points = [(290 + (25 if k % 2 else -25), 0) for k in range(30)]
    result = evaluate_person(None, track(points, accuracy_m=30), [SCHOOL], now=NOW)
    assert kinds(result.events) == ["approach"]


def test_leaving_and_coming_back_is_a_new_episode():
    away = [(1000, 0)] * 3
    fixes = track([(250, 0), *away, (250, 0)])
    assert kinds(evaluate_person(None, fixes, [SCHOOL], now=NOW).events) == ["approach", "approach"]


def test_zones_without_a_buffer_never_warn():
    plain = square_zone("plain", "exclusion", 100.0)
    assert evaluate_person(None, track([(150, 0)] * 3), [plain], now=NOW).events == ()
