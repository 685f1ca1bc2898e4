"""The per-person state is small, JSON-serialisable and bounded."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from geofence import EpisodeConfig, PersonState, evaluate_person

from .helpers import T0, square_zone, track

HOME = square_zone(
    "home", "inclusion", 300.0, episode=EpisodeConfig(confirm_fixes=1, confirm_seconds=0, clear_fixes=1)
)


def test_state_round_trips_through_json():
    result = evaluate_person(
        None, track([(0, 0), (0, 1000), (0, 1000)]), [HOME], now=T0 + dt.timedelta(minutes=5)
    )
    data = json.loads(json.dumps(result.state.to_dict()))
    assert PersonState.from_dict(data) == result.state
    assert data["zones"]["home"]["phase"] == "open"


def test_state_stays_bounded_over_many_episodes():
    state = None
    now = T0
    for day in range(40):
        points = [(0, 0), (0, 1000), (0, 0)]
        fixes = track(points, start_min=day * 60 * 24)
        now = fixes[-1].recorded_at + dt.timedelta(minutes=1)
        state = evaluate_person(state, fixes, [HOME], now=now).state
    assert state is not None
    size = len(json.dumps(state.to_dict()))
    assert len(state.zone("home").episodes) == 8
    assert len(state.recent) <= 32
    assert size < 5000


def test_it_refuses_an_unknown_version():
    with pytest.raises(ValueError, match="version"):
        PersonState.from_dict({"v": 99, "person_id": "p1"})


def test_state_of_someone_else_is_refused():
    with pytest.raises(ValueError, match="belongs"):
        evaluate_person(PersonState("p2"), track([(0, 0)]), [HOME], now=T0)


def test_a_quiet_person_stores_no_zone_entries():
    result = evaluate_person(None, track([(0, 0)] * 5), [HOME], now=T0 + dt.timedelta(minutes=6))
    assert result.state.zones == ()
    assert result.state.anchor is not None
