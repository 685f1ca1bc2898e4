"""Two sparse fixes either side of an exclusion zone: the straight path crosses it."""

from __future__ import annotations

import datetime as dt

from geofence import Schedule, evaluate_person

from .helpers import T0, kinds, square_zone, track

SCHOOL = square_zone("school", "exclusion", 150.0)
NOW = T0 + dt.timedelta(minutes=30)


def test_a_segment_through_the_zone_is_a_crossing():
    result = evaluate_person(None, track([(-800, 0), (800, 0)], every_min=3), [SCHOOL], now=NOW)
    assert kinds(result.events) == ["crossing"]
    event = result.events[0]
    assert event.zone_id == "school"
    assert len(event.fix_ids) == 2
    assert event.detail["gap_s"] == 180.0


def test_a_segment_passing_beside_the_zone_is_not():
    assert evaluate_person(None, track([(-800, 400), (800, 400)]), [SCHOOL], now=NOW).events == ()


def test_clipping_a_corner_shallower_than_the_accuracy_is_not():
    # The line x + y = 260 cuts the north-east corner (150, 150) off; its deepest point
    # inside is 20 m from both edges. With 50 m accurate fixes that proves nothing.
    fixes = track([(-540, 800), (800, -540)], accuracy_m=50)
    assert evaluate_person(None, fixes, [SCHOOL], now=NOW).events == ()
    precise = track([(-540, 800), (800, -540)], accuracy_m=5)
    assert kinds(evaluate_person(None, precise, [SCHOOL], now=NOW).events) == ["crossing"]


def test_the_pair_can_span_two_uploads():
    first = evaluate_person(None, track([(-800, 0)]), [SCHOOL], now=NOW)
    second = evaluate_person(first.state, track([(800, 0)], start_min=3), [SCHOOL], now=NOW)
    assert kinds(second.events) == ["crossing"]


def test_inactive_zones_have_no_crossings():
    # 12:00 UTC is 20:00 in Shanghai, outside school hours.
    school = square_zone("school", "exclusion", 150.0, schedule=Schedule.daily("07:00", "18:00"))
    assert evaluate_person(None, track([(-800, 0), (800, 0)]), [school], now=NOW).events == ()


def test_inclusion_zones_have_no_crossings():
    county = square_zone("county", "inclusion", 150.0)
    result = evaluate_person(None, track([(-800, 0), (800, 0)]), [county], now=NOW)
    assert "crossing" not in kinds(result.events)


def test_a_pair_spanning_two_uploads_counts_if_the_zone_is_active_at_either_end():
    # 12:00 UTC is 20:00 in Shanghai; the first fix is at 20:00, the second at 20:03.
    for window, expected in (
        (("19:00", "20:02"), ["crossing"]),
        (("20:02", "21:00"), ["crossing"]),
        (("20:10", "21:00"), []),
    ):
        school = square_zone("school", "exclusion", 150.0, schedule=Schedule.daily(*window))
        first = evaluate_person(None, track([(-800, 0)]), [school], now=NOW)
        second = evaluate_person(first.state, track([(800, 0)], start_min=3), [school], now=NOW)
        assert kinds(second.events) == expected, window


def test_no_crossing_from_a_stored_anchor_when_the_next_fix_is_inside():
    first = evaluate_person(None, track([(-800, 0)]), [SCHOOL], now=NOW)
    second = evaluate_person(first.state, track([(0, 0), (800, 0)], start_min=3), [SCHOOL], now=NOW)
    assert "crossing" not in kinds(second.events)
