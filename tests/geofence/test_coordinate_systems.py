"""GCJ-02 / BD-09 normalisation to WGS-84."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geofence import Crs, Zone, from_wgs84, from_wgs84_array, in_china, to_wgs84, to_wgs84_array
from geofence.geodesy import distance_m_scalar

from .helpers import square_geojson

# Reference values computed with an independent implementation of the public formulas
# (the coordTransform package from PyPI): WGS-84 (lat, lon) -> GCJ-02 and BD-09.
REFERENCE = [
    ((37.1, 122.4), (37.10085557161542, 122.40498397576569), (37.10721550251416, 122.4113934288555)),
    ((39.908, 116.397), (39.90940335390724, 116.40324337854781), (39.915744473775554, 116.40961642907855)),
    ((31.2304, 121.4737), (31.22845773757727, 121.47822305927693), (31.234310593689997, 121.484781468503)),
    ((22.54, 114.06), (22.537286218915426, 114.06511615519426), (22.542952630319196, 114.0716631450559)),
]

china_lat = st.floats(min_value=18.0, max_value=53.0)
china_lon = st.floats(min_value=74.0, max_value=134.0)


@pytest.mark.parametrize(("wgs", "gcj", "bd"), REFERENCE)
def test_forward_transforms_match_an_independent_implementation(wgs, gcj, bd):
    assert from_wgs84(*wgs, Crs.GCJ02) == pytest.approx(gcj, abs=1e-9)
    assert from_wgs84(*wgs, Crs.BD09) == pytest.approx(bd, abs=1e-9)


@pytest.mark.parametrize(("wgs", "gcj", "bd"), REFERENCE)
def test_inverse_recovers_the_gps_position_within_a_centimetre(wgs, gcj, bd):
    for crs, shifted in ((Crs.GCJ02, gcj), (Crs.BD09, bd)):
        lat, lon = to_wgs84(*shifted, crs)
        assert distance_m_scalar(lat, lon, *wgs) < 0.01


def test_the_offsets_are_hundreds_of_metres_in_china():
    lat, lon = from_wgs84(37.1, 122.4, Crs.GCJ02)
    assert 300 < distance_m_scalar(37.1, 122.4, lat, lon) < 700


@settings(max_examples=200, deadline=None)
@given(lat=china_lat, lon=china_lon, crs=st.sampled_from([Crs.GCJ02, Crs.BD09]))
def test_round_trip_stays_under_half_a_metre(lat, lon, crs):
    shifted = from_wgs84(lat, lon, crs)
    back = to_wgs84(*shifted, crs)
    assert distance_m_scalar(lat, lon, *back) < 0.5


@settings(max_examples=100, deadline=None)
@given(
    lat=st.floats(min_value=-80, max_value=80),
    lon=st.floats(min_value=-179, max_value=179),
    crs=st.sampled_from(list(Crs)),
)
def test_outside_china_no_offset_applies(lat, lon, crs):
    if in_china(lat, lon):
        lat, lon = -lat - 5 if lat > 0 else lat, lon
    if in_china(lat, lon):
        return
    assert from_wgs84(lat, lon, crs) == (lat, lon)
    assert to_wgs84(lat, lon, crs) == (lat, lon)


def test_paris_is_left_alone():
    assert to_wgs84(48.8566, 2.3522, Crs.GCJ02) == (48.8566, 2.3522)


def test_vectorised_conversion_matches_the_scalar_one():
    rng = np.random.default_rng(1)
    lat = rng.uniform(30, 40, 500)
    lon = rng.uniform(110, 125, 500)
    for crs in (Crs.GCJ02, Crs.BD09):
        vlat, vlon = to_wgs84_array(lat, lon, crs)
        for i in range(0, 500, 50):
            assert (vlat[i], vlon[i]) == pytest.approx(to_wgs84(lat[i], lon[i], crs), abs=1e-9)


def test_large_batches_use_the_grid_start_and_stay_exact():
    # Enough points for the interpolated starting grid, plus a stray (0, 0).
    rng = np.random.default_rng(2)
    lat = rng.uniform(36.5, 37.5, 60_000)
    lon = rng.uniform(121.8, 123.0, 60_000)
    lat[:3] = 0.0
    lon[:3] = 0.0
    glat, glon = from_wgs84_array(lat, lon, Crs.GCJ02)
    blat, blon = to_wgs84_array(glat, glon, Crs.GCJ02)
    assert np.abs(blat - lat).max() < 2e-7
    assert np.abs(blon - lon).max() < 2e-7


def test_non_finite_coordinates_pass_through_for_the_classifier():
    lat, lon = to_wgs84_array([math.nan, 37.1], [122.4, math.inf], Crs.GCJ02)
    assert math.isnan(lat[0])
    assert math.isinf(lon[1])


def test_zone_drawn_on_an_amap_is_moved_back_onto_gps_coordinates():
    wgs = square_geojson(37.1, 122.4, 200)
    ring = wgs["coordinates"][0]
    gcj_ring = [list(reversed(from_wgs84(lat, lon, Crs.GCJ02))) for lon, lat in ring]
    drawn = {"type": "Polygon", "coordinates": [gcj_ring]}
    zone = Zone.from_geojson(drawn, id="z", kind="inclusion", crs=Crs.GCJ02)
    reference = Zone.from_geojson(wgs, id="z", kind="inclusion")
    # Every vertex is back within a centimetre (1e-7 degrees is about 1 cm).
    assert zone.geometry.hausdorff_distance(reference.geometry) < 1e-7


@pytest.mark.parametrize("crs", [Crs.GCJ02, Crs.BD09])
@pytest.mark.parametrize("layout", ["county", "china", "edges"])
def test_batches_invert_within_the_guaranteed_accuracy(crs, layout):
    """Batches large enough for the interpolated starting grid (whose nodes get two fixed
    steps, not a certified inverse) come back within 1e-7 degrees, with the grid dense
    (one county), sparse (all of China) or straddling the edges of the China rectangle."""
    rng = np.random.default_rng({"county": 1, "china": 2, "edges": 3}[layout])
    n = 30_000
    if layout == "county":
        lat = rng.uniform(36.2, 38.0, n)
        lon = rng.uniform(121.3, 123.5, n)
    elif layout == "china":
        lat = rng.uniform(1.0, 55.6, n)
        lon = rng.uniform(72.2, 137.6, n)
    else:
        # 0.02-0.1 degrees from each of the four edges, on both sides. (Closer than the
        # offset itself, the vendors' transform jumps at the edge and the fixed-point
        # iteration can miss the preimage: a known limit of every such inverse.)
        side = rng.integers(0, 4, n)
        lat = rng.uniform(0.9, 55.7, n)
        lon = rng.uniform(72.1, 137.7, n)
        jitter = rng.uniform(0.02, 0.1, n) * rng.choice([-1.0, 1.0], n)
        lat = np.where(side == 0, 0.8293 + jitter, np.where(side == 1, 55.8271 + jitter, lat))
        lon = np.where(side == 2, 72.004 + jitter, np.where(side == 3, 137.8347 + jitter, lon))
    shifted_lat, shifted_lon = from_wgs84_array(lat, lon, crs)
    back_lat, back_lon = to_wgs84_array(shifted_lat, shifted_lon, crs)
    # The inverse is well defined where the point and its shifted image are on the same
    # side of the rectangle's edge (the vendors' transform jumps there).
    inside = np.array([in_china(a, b) for a, b in zip(lat.tolist(), lon.tolist(), strict=True)])
    shifted_inside = np.array(
        [in_china(a, b) for a, b in zip(shifted_lat.tolist(), shifted_lon.tolist(), strict=True)]
    )
    same_side = inside == shifted_inside
    assert same_side.mean() > 0.9
    error = np.maximum(np.abs(back_lat - lat), np.abs(back_lon - lon))[same_side]
    assert error.max() < 1e-7
    outside = ~inside & ~shifted_inside
    assert np.array_equal(back_lat[outside], lat[outside])
    assert np.array_equal(back_lon[outside], lon[outside])
