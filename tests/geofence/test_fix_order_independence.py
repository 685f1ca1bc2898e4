"""Reordering a batch of fixes yields the same episodes."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from geofence import evaluate_person

from .helpers import T0, fix_at, square_zone

HOME = square_zone("home", "inclusion", 300.0)
SCHOOL = square_zone("school", "exclusion", 100.0, lat=37.105, approach_buffer_m=150.0)
NOW = T0 + dt.timedelta(hours=2)

step = st.tuples(
    st.sampled_from([(0.0, 0.0), (0.0, 1000.0), (0.0, 555.0), (300.0, 0.0), (0.0, 2000.0), (-900.0, 555.0)]),
    st.sampled_from([5.0, 30.0, 120.0, 400.0]),
    st.booleans(),
)


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(step, min_size=2, max_size=25), data=st.data())
def test_any_permutation_gives_the_same_events_and_state(steps, data):
    fixes = [
        fix_at(e, n, minutes=k, accuracy_m=acc, mock=mock and k % 5 == 0, fix_id=f"f{k:03d}")
        for k, ((e, n), acc, mock) in enumerate(steps)
    ]
    shuffled = data.draw(st.permutations(fixes))
    a = evaluate_person(None, fixes, [HOME, SCHOOL], now=NOW)
    b = evaluate_person(None, shuffled, [HOME, SCHOOL], now=NOW)
    assert a.events == b.events
    assert a.state == b.state
    assert a.qualities == b.qualities
