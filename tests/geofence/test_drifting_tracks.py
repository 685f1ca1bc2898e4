"""A corpus of realistic drifting tracks: drift raises nothing, a real departure raises one
breach."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from geofence import Zone, evaluate_person

from .helpers import HOME_LAT, HOME_LON, T0, jittered_fixes, kinds, square_zone, track

# A home area of 400 m radius: the sort of inclusion zone a township office draws.
HOME_CIRCLE = Zone.circle("home", "inclusion", HOME_LAT, HOME_LON, 400.0)
HOME_SQUARE = square_zone("home-sq", "inclusion", 400.0)
SCHOOL = square_zone("school", "exclusion", 80.0, lat=HOME_LAT + 0.0063, approach_buffer_m=0.0)  # 700 m north


@pytest.mark.parametrize("seed", range(8))
def test_standing_still_at_home_with_30_to_150_m_jitter_raises_nothing(seed):
    rng = np.random.default_rng(seed)
    fixes = jittered_fixes(rng, 24 * 12, every_min=5)  # a day, every five minutes
    result = evaluate_person(
        None, fixes, [HOME_CIRCLE, HOME_SQUARE, SCHOOL], now=fixes[-1].recorded_at + dt.timedelta(minutes=1)
    )
    assert result.events == ()


@pytest.mark.parametrize("seed", range(8))
def test_someone_who_really_leaves_raises_exactly_one_breach(seed):
    rng = np.random.default_rng(100 + seed)
    at_home = jittered_fixes(rng, 36, every_min=5)
    # Walk out 2 km east over 20 minutes, stay an hour, come back.
    walk_out = track([(100.0 * k, 0.0) for k in range(1, 21)], start_min=180, accuracy_m=20)
    away = jittered_fixes(rng, 12, centre=(2000.0, 0.0), every_min=5, start_min=200)
    walk_back = track([(2000.0 - 100.0 * k, 0.0) for k in range(1, 21)], start_min=260, accuracy_m=20)
    back_home = jittered_fixes(rng, 24, every_min=5, start_min=280)
    fixes = at_home + walk_out + away + walk_back + back_home
    result = evaluate_person(None, fixes, [HOME_CIRCLE], now=fixes[-1].recorded_at + dt.timedelta(minutes=1))
    assert kinds(result.events) == ["breach_opened", "breach_closed"]


def test_a_phone_drifting_next_to_a_school_fence_raises_no_breach():
    # Living 150 m from the school's fence with 30-150 m drift: the discs straddle the
    # fence, no fix is certainly inside, nothing is confirmed.
    rng = np.random.default_rng(7)
    fixes = jittered_fixes(rng, 200, centre=(0.0, 700.0 - 80.0 - 150.0), every_min=3)
    result = evaluate_person(None, fixes, [SCHOOL], now=fixes[-1].recorded_at + dt.timedelta(minutes=1))
    assert "breach_opened" not in kinds(result.events)


def test_uploading_the_same_day_in_pieces_gives_the_same_episodes():
    rng = np.random.default_rng(11)
    fixes = (
        jittered_fixes(rng, 30, every_min=5)
        + track([(3000.0, 0.0)] * 10, start_min=150)
        + jittered_fixes(rng, 10, every_min=5, start_min=200)
    )
    now = fixes[-1].recorded_at + dt.timedelta(minutes=1)
    whole = evaluate_person(None, fixes, [HOME_CIRCLE], now=now)
    state = None
    pieces = []
    for start in range(0, len(fixes), 7):
        step = evaluate_person(state, fixes[start : start + 7], [HOME_CIRCLE], now=now)
        state = step.state
        pieces.extend(step.events)
    assert [(e.kind, e.at, e.fix_ids) for e in pieces] == [(e.kind, e.at, e.fix_ids) for e in whole.events]
    assert whole.events[0].at > T0
