"""The metric tools verdicts rely on: mean-latitude distance and the frame's scale bound."""

from __future__ import annotations

import numpy as np
from geopy.distance import geodesic
from hypothesis import given, settings
from hypothesis import strategies as st

from geofence.geodesy import LocalFrame, destination, distance_error_bound_m, distance_m, distance_m_scalar


@settings(max_examples=150, deadline=None)
@given(
    lat=st.floats(min_value=-60, max_value=60),
    lon=st.floats(min_value=-170, max_value=170),
    bearing=st.floats(min_value=0, max_value=360),
    d=st.floats(min_value=1, max_value=100_000),
)
def test_mean_latitude_distance_stays_within_its_stated_bound(lat, lon, bearing, d):
    lat2, lon2 = destination(lat, lon, bearing, d)
    computed = float(distance_m(lat, lon, lat2, lon2))
    assert abs(computed - d) <= float(distance_error_bound_m(computed)) + 1e-6


def test_scalar_and_vector_distances_agree():
    rng = np.random.default_rng(3)
    a = rng.uniform(30, 40, (100, 2))
    b = a + rng.normal(0, 0.05, (100, 2))
    vec = distance_m(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    for i in range(100):
        assert abs(vec[i] - distance_m_scalar(a[i, 0], a[i, 1], b[i, 0], b[i, 1])) < 1e-6


@settings(max_examples=100, deadline=None)
@given(
    dlat=st.floats(min_value=-0.5, max_value=0.5),
    bearing=st.floats(min_value=0, max_value=360),
    d=st.floats(min_value=10, max_value=5000),
)
def test_frame_never_shrinks_a_distance_by_more_than_min_scale(dlat, bearing, d):
    # The frame is centred at 37.1 N; a point up to half a degree away and a second point
    # d metres from it: true >= min_scale * frame distance.
    frame = LocalFrame(37.1, 122.4)
    lat1, lon1 = 37.1 + dlat, 122.4
    lat2, lon2 = destination(lat1, lon1, bearing, d)
    x1, y1 = frame.to_xy(lat1, lon1)
    x2, y2 = frame.to_xy(lat2, lon2)
    frame_d = float(np.hypot(x2 - x1, y2 - y1))
    true_d = geodesic((lat1, lon1), (lat2, lon2)).meters
    scale = float(frame.min_scale(min(lat1, lat2) - 1e-4, max(lat1, lat2) + 1e-4))
    assert true_d >= scale * frame_d - 1e-6


def test_county_scale_frame_error_is_under_one_percent():
    frame = LocalFrame(37.1, 122.4)
    assert float(frame.min_scale(36.6, 37.6)) > 0.99
