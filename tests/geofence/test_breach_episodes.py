"""Breach episodes: dwell to open, hysteresis to close, one event each way."""

from __future__ import annotations

import datetime as dt

from geofence import EpisodeConfig, EventKind, Schedule, evaluate_person

from .helpers import T0, fix_at, kinds, square_zone, track

HOME = square_zone("home", "inclusion", 300.0)  # must stay inside
SCHOOL = square_zone("school", "exclusion", 100.0, lat=37.11)  # ~1.1 km north of home
NOW = T0 + dt.timedelta(hours=2)
OUT = (0.0, 1000.0)  # 1 km north: outside home, outside school
IN = (0.0, 0.0)


def run(fixes, zones=(HOME,), state=None, now=NOW):
    return evaluate_person(state, fixes, list(zones), now=now)


def test_a_breach_opens_after_three_violating_fixes_spanning_two_minutes():
    result = run(track([IN, OUT, OUT, OUT, OUT]))
    assert kinds(result.events) == ["breach_opened"]
    opened = result.events[0]
    assert opened.zone_id == "home"
    assert opened.at == T0 + dt.timedelta(minutes=3)
    assert len(opened.fix_ids) == 3
    assert opened.detail["since"] == (T0 + dt.timedelta(minutes=1)).isoformat()


def test_two_violating_fixes_are_not_enough():
    assert run(track([IN, OUT, OUT, IN, IN])).events == ()


def test_three_fixes_within_the_dwell_time_are_not_enough():
    fixes = track([OUT, OUT, OUT], every_min=0.5)  # span 60 s < 120 s
    assert run(fixes).events == ()
    more = [*fixes, fix_at(*OUT, minutes=2)]
    assert kinds(run(more).events) == ["breach_opened"]


def test_a_compliant_fix_resets_a_pending_breach():
    assert run(track([OUT, OUT, IN, OUT, OUT])).events == ()


def test_one_event_per_episode_however_long_it_lasts():
    result = run(track([OUT] * 60))
    assert kinds(result.events) == ["breach_opened"]


def test_it_closes_after_two_compliant_fixes_not_one():
    once = run(track([OUT, OUT, OUT, IN, OUT, OUT]))
    assert kinds(once.events) == ["breach_opened"]
    twice = run(track([OUT, OUT, OUT, IN, IN]))
    assert kinds(twice.events) == ["breach_opened", "breach_closed"]
    closed = twice.events[1]
    assert closed.detail["reason"] == "back_in_compliance"
    assert len(closed.fix_ids) == 2


def test_uncertain_fixes_neither_confirm_nor_clear():
    edge = (300.0, 0.0)  # on home's east edge
    fixes = track([OUT, OUT, edge, edge, edge], accuracy_m=20)
    assert run(fixes).events == ()
    opened = run(track([OUT, OUT, OUT], accuracy_m=20) + track([edge] * 5, start_min=3, accuracy_m=20))
    assert kinds(opened.events) == ["breach_opened"]


def test_bad_fixes_do_not_confirm_a_breach():
    fixes = [fix_at(*OUT, minutes=m, accuracy_m=500) for m in range(5)]
    result = run(fixes)
    assert result.events == ()
    assert {q.value for q in result.qualities.values()} == {"low_accuracy"}


def test_exclusion_zones_breach_when_inside():
    school_fixes = track([(0.0, 1100.0)] * 4)
    result = run(school_fixes, zones=(SCHOOL,))
    assert kinds(result.events) == ["breach_opened"]
    assert result.events[0].zone_id == "school"


def test_dwell_and_hysteresis_are_configurable_per_zone():
    strict = square_zone(
        "home", "inclusion", 300.0, episode=EpisodeConfig(confirm_fixes=1, confirm_seconds=0, clear_fixes=1)
    )
    result = run(track([OUT, IN]), zones=(strict,))
    assert kinds(result.events) == ["breach_opened", "breach_closed"]


def test_a_scheduled_zone_counts_only_inside_its_window():
    # Curfew 20:00-06:00 Shanghai = 12:00-22:00 UTC; T0 is 12:00 UTC.
    curfew = square_zone("home", "inclusion", 300.0, schedule=Schedule.daily("21:00", "06:00"))
    before_window = run(track([OUT] * 10), zones=(curfew,))  # 20:00-20:09 local
    assert before_window.events == ()
    in_window = run(track([OUT] * 5, start_min=60), zones=(curfew,))  # 21:00 local
    assert kinds(in_window.events) == ["breach_opened"]


def test_an_open_breach_closes_when_its_window_ends():
    curfew = square_zone("home", "inclusion", 300.0, schedule=Schedule.daily("20:00", "20:30"))
    result = run(track([OUT] * 40), zones=(curfew,))
    assert kinds(result.events) == ["breach_opened", "breach_closed"]
    assert result.events[1].detail["reason"] == "schedule_inactive"
    assert result.events[1].at == T0 + dt.timedelta(minutes=30)


def test_the_state_carries_an_episode_across_calls():
    first = run(track([OUT, OUT]))
    assert first.events == ()
    second = run(track([OUT, OUT], start_min=2), state=first.state)
    assert kinds(second.events) == ["breach_opened"]
    third = run(track([IN, IN], start_min=4), state=second.state)
    assert kinds(third.events) == ["breach_closed"]


def test_zones_are_independent():
    fixes = track([(0.0, 1100.0)] * 4)  # outside home, inside school
    result = run(fixes, zones=(HOME, SCHOOL))
    assert sorted((e.zone_id, e.kind.value) for e in result.events) == [
        ("home", "breach_opened"),
        ("school", "breach_opened"),
    ]


def test_events_say_when_they_describe_the_past():
    fresh = run(track([OUT] * 4), now=T0 + dt.timedelta(minutes=5))
    assert not fresh.events[0].late
    old = run(track([OUT] * 4), now=T0 + dt.timedelta(hours=5))
    assert old.events[0].late
    assert old.events[0].kind is EventKind.BREACH_OPENED
