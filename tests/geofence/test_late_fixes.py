"""Fixes buffered offline and uploaded after newer ones are reported late, not dropped."""

from __future__ import annotations

import datetime as dt

from geofence import evaluate_person

from .helpers import T0, fix_at, kinds, square_zone, track

HOME = square_zone("home", "inclusion", 300.0)
OUT = (0.0, 1000.0)
IN = (0.0, 0.0)
NOW = T0 + dt.timedelta(hours=3)


def test_a_breach_found_only_in_late_data_is_reported_late():
    # The phone sent 13:00-13:05 (at home) first; the 12:00-12:10 outing arrives afterwards.
    live = evaluate_person(None, track([IN] * 6, start_min=60), [HOME], now=T0 + dt.timedelta(minutes=66))
    assert live.events == ()
    buffered = track([OUT] * 5 + [IN] * 3)
    late = evaluate_person(live.state, buffered, [HOME], now=T0 + dt.timedelta(minutes=70))
    assert kinds(late.events) == ["breach_opened", "breach_closed"]
    assert all(e.late for e in late.events)
    assert late.state.hwm_us == live.state.hwm_us


def test_late_fixes_do_not_disturb_the_live_episode():
    first = evaluate_person(None, track([OUT] * 4, start_min=60), [HOME], now=NOW)
    assert kinds(first.events) == ["breach_opened"]
    # Older fixes at home arrive: the live breach stays open.
    late = evaluate_person(first.state, track([IN] * 3), [HOME], now=NOW)
    assert late.events == ()
    assert late.state.zone("home").phase == "open"


def test_late_fixes_inside_a_known_episode_are_not_reported_again():
    first = evaluate_person(None, track([OUT] * 10, every_min=2), [HOME], now=NOW)
    assert kinds(first.events) == ["breach_opened"]
    # The odd minutes of the same outing turn up later.
    filling = track([OUT] * 9, every_min=2, start_min=1)
    again = evaluate_person(first.state, filling, [HOME], now=NOW)
    assert again.events == ()


def test_a_re_uploaded_batch_raises_nothing_new():
    batch = track([OUT] * 5 + [IN] * 3)
    first = evaluate_person(None, batch, [HOME], now=NOW)
    assert kinds(first.events) == ["breach_opened", "breach_closed"]
    second = evaluate_person(first.state, batch, [HOME], now=NOW)
    assert second.events == ()
    assert set(second.qualities) == {f.id for f in batch}


def test_a_fix_from_the_future_does_not_make_later_fixes_late():
    bogus = fix_at(*IN, minutes=60 * 24 * 30)  # clock a month ahead
    first = evaluate_person(None, [bogus, *track([IN] * 2)], [HOME], now=T0 + dt.timedelta(minutes=3))
    assert first.qualities[bogus.id].value == "future"
    later = evaluate_person(
        first.state, track([OUT] * 4, start_min=5), [HOME], now=T0 + dt.timedelta(minutes=9)
    )
    assert kinds(later.events) == ["breach_opened"]
    assert not later.events[0].late
