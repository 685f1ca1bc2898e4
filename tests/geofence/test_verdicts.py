"""Verdicts use the accuracy disc: a disc that crosses the boundary is uncertain."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geofence import Crs, Verdict, Zone, from_wgs84, to_wgs84, verdict_for
from geofence.verdicts import verdict_codes

from .helpers import HOME_LAT, HOME_LON, offset, square_zone

SCHOOL = square_zone("school", "exclusion", 100.0)  # 200 m square around home point


def test_a_fix_well_inside_is_inside():
    assert verdict_for(SCHOOL, HOME_LAT, HOME_LON, 20.0) is Verdict.INSIDE


def test_a_fix_well_outside_is_outside():
    assert verdict_for(SCHOOL, *offset(HOME_LAT, HOME_LON, 300, 0), 20.0) is Verdict.OUTSIDE


def test_a_disc_crossing_the_boundary_is_uncertain():
    # 30 m outside the east edge with a 50 m radius: the disc reaches inside.
    assert verdict_for(SCHOOL, *offset(HOME_LAT, HOME_LON, 130, 0), 50.0) is Verdict.UNCERTAIN
    assert verdict_for(SCHOOL, *offset(HOME_LAT, HOME_LON, 130, 0), 25.0) is Verdict.OUTSIDE
    # 30 m inside with a 50 m radius.
    assert verdict_for(SCHOOL, *offset(HOME_LAT, HOME_LON, 70, 0), 50.0) is Verdict.UNCERTAIN


def test_holes_count_as_outside():
    outer = square_zone("o", "inclusion", 500.0).geometry
    hole = square_zone("h", "inclusion", 100.0).geometry
    ring = Zone("ring", "inclusion", outer.difference(hole))
    assert verdict_for(ring, HOME_LAT, HOME_LON, 10.0) is Verdict.OUTSIDE
    assert verdict_for(ring, *offset(HOME_LAT, HOME_LON, 300, 0), 10.0) is Verdict.INSIDE


def test_it_rejects_impossible_inputs():
    with pytest.raises(ValueError):
        verdict_for(SCHOOL, 95.0, HOME_LON, 10.0)
    with pytest.raises(ValueError):
        verdict_for(SCHOOL, HOME_LAT, HOME_LON, -1.0)


@settings(max_examples=150, deadline=None)
@given(
    t=st.floats(min_value=0.0, max_value=1.0),
    edge=st.integers(min_value=0, max_value=3),
    accuracy=st.floats(min_value=0.01, max_value=500.0),
)
def test_a_fix_exactly_on_the_boundary_is_never_certain(t, edge, accuracy):
    ring = list(SCHOOL.geometry.exterior.coords)
    (x1, y1), (x2, y2) = ring[edge], ring[edge + 1]
    lon, lat = x1 + t * (x2 - x1), y1 + t * (y2 - y1)
    assert verdict_for(SCHOOL, lat, lon, accuracy) is Verdict.UNCERTAIN


@settings(max_examples=100, deadline=None)
@given(
    east=st.floats(min_value=-400, max_value=400),
    north=st.floats(min_value=-400, max_value=400),
    accuracy=st.floats(min_value=0, max_value=200),
    crs=st.sampled_from([Crs.GCJ02, Crs.BD09]),
)
def test_verdicts_do_not_change_under_a_coordinate_round_trip(east, north, accuracy, crs):
    lat, lon = offset(HOME_LAT, HOME_LON, east, north)
    back = to_wgs84(*from_wgs84(lat, lon, crs), crs)
    assert verdict_for(SCHOOL, *back, accuracy) is verdict_for(SCHOOL, lat, lon, accuracy)


ZONES = [
    SCHOOL,
    square_zone("big", "inclusion", 3000.0),
    Zone.circle("home", "inclusion", HOME_LAT, HOME_LON, 300.0),
    square_zone("near", "exclusion", 60.0, approach_buffer_m=150.0),
]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10_000), which=st.integers(min_value=0, max_value=3))
def test_filtered_and_exact_paths_give_the_same_answers(seed, which):
    zone = ZONES[which]
    rng = np.random.default_rng(seed)
    n = 400
    scale = 4000 if zone.id == "big" else 400
    east = rng.uniform(-scale, scale, n)
    north = rng.uniform(-scale, scale, n)
    kx, ky = (np.cos(np.radians(HOME_LAT)) * 111_320.0, 110_990.0)
    lat = HOME_LAT + north / ky
    lon = HOME_LON + east / kx
    acc = np.concatenate((rng.uniform(0, 60, n // 2), rng.uniform(0, 400, n - n // 2)))
    fast = verdict_codes(zone, lat, lon, acc, use_filters=True)
    exact = verdict_codes(zone, lat, lon, acc, use_filters=False)
    assert np.array_equal(fast.codes, exact.codes)
    if exact.near is not None:
        assert fast.near is not None and fast.far is not None and exact.far is not None
        assert np.array_equal(fast.near, exact.near)
        assert np.array_equal(fast.far, exact.far)


def test_exact_pairs_give_the_same_answers_in_any_chunk_size(monkeypatch):
    """ZoneTable.exact makes point geometries a chunk at a time; the chunking (including
    chunks that split the pairs of one zone, with and without approach buffers) must not
    change any code, near or far."""
    from geofence import verdicts
    from geofence.verdicts import ZoneTable

    rng = np.random.default_rng(3)
    zones = [
        square_zone("home", "inclusion", 400.0),
        square_zone("school", "exclusion", 120.0, approach_buffer_m=150.0),
        square_zone("bar", "exclusion", 80.0, lat=HOME_LAT + 0.004),
        Zone.circle("ring", "exclusion", HOME_LAT, HOME_LON + 0.004, 100.0, approach_buffer_m=50.0),
    ]
    table = ZoneTable(zones)
    n = 3000
    zi = rng.integers(0, len(zones), n)
    east = rng.normal(0, 350, n)
    north = rng.normal(0, 350, n)
    lat = HOME_LAT + north / 110_990.0
    lon = HOME_LON + east / (111_320.0 * np.cos(np.radians(HOME_LAT)))
    acc = rng.choice([3.0, 20.0, 80.0, 250.0], n)
    monkeypatch.setattr(verdicts, "_POINT_CHUNK", 10**9)
    whole = table.exact(zi, lat, lon, acc, True)
    for chunk in (1, 7, 512):
        monkeypatch.setattr(verdicts, "_POINT_CHUNK", chunk)
        parts = table.exact(zi, lat, lon, acc, True)
        for a, b in zip(whole, parts, strict=True):
            assert np.array_equal(a, b)
    codes, near, far = whole
    assert {0, 1, 2} <= set(codes.tolist())
    assert near.any() and far.any()
