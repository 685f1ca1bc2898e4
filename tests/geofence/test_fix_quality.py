"""Every fix gets exactly one quality class; none is silently dropped."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geofence import Fix, FixQuality, QualityConfig, classify_fix, evaluate_person
from geofence.fixes import NO_TIME, static_quality, static_quality_one, to_epoch_us

from .helpers import T0, fix_at, offset

NOW = T0 + dt.timedelta(minutes=10)


def make(**changes):
    base = {"id": "f", "person_id": "p1", "recorded_at": T0, "lat": 37.1, "lon": 122.4, "accuracy_m": 10.0}
    base.update(changes)
    return Fix(**base)


def test_a_good_fix_is_ok():
    assert classify_fix(make(), None, NOW) is FixQuality.OK


def test_it_rejects_fix_from_the_future():
    assert classify_fix(make(recorded_at=NOW + dt.timedelta(minutes=6)), None, NOW) is FixQuality.FUTURE


def test_small_clock_skew_is_allowed():
    assert classify_fix(make(recorded_at=NOW + dt.timedelta(minutes=4)), None, NOW) is FixQuality.OK


def test_a_fix_recorded_after_it_was_received_is_from_the_future():
    fix = make(recorded_at=T0, received_at=T0 - dt.timedelta(minutes=30))
    assert classify_fix(fix, None, NOW) is FixQuality.FUTURE


def test_a_week_old_fix_is_stale():
    assert classify_fix(make(recorded_at=NOW - dt.timedelta(days=8)), None, NOW) is FixQuality.STALE


def test_a_wide_accuracy_radius_is_low_accuracy():
    assert classify_fix(make(accuracy_m=250.0), None, NOW) is FixQuality.LOW_ACCURACY
    assert classify_fix(make(accuracy_m=250.0), None, NOW, QualityConfig(max_accuracy_m=300)) is FixQuality.OK


def test_zero_zero_is_null_island():
    assert classify_fix(make(lat=0.0, lon=0.0), None, NOW) is FixQuality.NULL_ISLAND


@pytest.mark.parametrize(
    "changes",
    [
        {"lat": 91.0},
        {"lon": -181.0},
        {"lat": math.nan},
        {"lon": math.inf},
        {"accuracy_m": -1.0},
        {"accuracy_m": math.nan},
    ],
)
def test_impossible_values_are_out_of_range(changes):
    assert classify_fix(make(**changes), None, NOW) is FixQuality.OUT_OF_RANGE


def test_a_reported_mock_location_is_flagged():
    assert classify_fix(make(mock_location=True), None, NOW) is FixQuality.MOCK_LOCATION


def test_the_first_applicable_rule_wins():
    fix = make(lat=0.0, lon=0.0, mock_location=True, accuracy_m=500.0)
    assert classify_fix(fix, None, NOW) is FixQuality.NULL_ISLAND
    fix = make(mock_location=True, recorded_at=NOW + dt.timedelta(hours=1))
    assert classify_fix(fix, None, NOW) is FixQuality.MOCK_LOCATION


def test_an_impossible_jump_from_the_previous_good_fix_is_a_teleport():
    previous = make(id="a")
    lat, lon = offset(37.1, 122.4, 0, 50_000)
    jump = make(id="b", recorded_at=T0 + dt.timedelta(seconds=60), lat=lat, lon=lon)
    assert classify_fix(jump, previous, NOW) is FixQuality.TELEPORT


def test_accuracy_radii_are_granted_before_calling_a_jump():
    # 6.3 km in 60 s is 105 m/s, but the two 200 m radii explain 400 m of it.
    previous = make(id="a", accuracy_m=200.0)
    lat, lon = offset(37.1, 122.4, 0, 6_300)
    fix = make(id="b", recorded_at=T0 + dt.timedelta(seconds=60), lat=lat, lon=lon, accuracy_m=200.0)
    assert classify_fix(fix, previous, NOW) is FixQuality.OK
    tight = make(id="c", recorded_at=T0 + dt.timedelta(seconds=60), lat=lat, lon=lon, accuracy_m=5.0)
    assert classify_fix(tight, make(id="a"), NOW) is FixQuality.TELEPORT


def test_a_high_speed_train_is_not_a_teleport():
    previous = make(id="a")
    lat, lon = offset(37.1, 122.4, 0, 90 * 600)  # 90 m/s for ten minutes
    fix = make(id="b", recorded_at=T0 + dt.timedelta(minutes=10), lat=lat, lon=lon)
    assert classify_fix(fix, previous, NOW + dt.timedelta(minutes=10)) is FixQuality.OK


def test_every_fix_of_an_evaluation_gets_a_class():
    fixes = [
        fix_at(0, 0, minutes=0),
        fix_at(0, 0, minutes=1, accuracy_m=900),
        fix_at(0, 0, minutes=2, mock=True),
        Fix("nan", "p1", T0, math.nan, 122.4, 10.0),
        Fix("zero", "p1", T0, 0.0, 0.0, 10.0),
        fix_at(0, 0, minutes=60 * 24),
    ]
    result = evaluate_person(None, fixes, [], now=NOW)
    assert set(result.qualities) == {f.id for f in fixes}
    assert sorted(q.value for q in result.qualities.values()) == sorted(
        ["ok", "low_accuracy", "mock_location", "out_of_range", "null_island", "future"]
    )


def test_fixes_must_carry_aware_times():
    with pytest.raises(ValueError, match="aware"):
        make(recorded_at=dt.datetime(2024, 3, 4, 12, 0))


# The one-fix rules and the vectorised ones must agree on every input, edge values included.
_EDGE_FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            0.0,
            -0.0,
            1e-7,
            -1e-7,
            1e-4,
            -1e-4,
            1.0001e-4,
            90.0,
            -90.0,
            90.0000001,
            180.0,
            -180.0,
            180.0000001,
            200.0,
            200.0000001,
            -1.0,
            37.1,
            122.4,
        ]
    ),
)
# Seconds from now: around the stale limit (7 days back) and the future skew (300 s ahead).
_EDGE_SECONDS = st.one_of(
    st.integers(-8 * 86_400, 8 * 86_400),
    st.sampled_from([-7 * 86_400 - 1, -7 * 86_400, -7 * 86_400 + 1, 299, 300, 301, 0]),
)


@settings(max_examples=600, deadline=None)
@given(
    lat=_EDGE_FLOATS,
    lon=_EDGE_FLOATS,
    accuracy=_EDGE_FLOATS,
    recorded_s=_EDGE_SECONDS,
    received=st.one_of(st.none(), st.integers(-600, 600), st.sampled_from([-1, 0, 1])),
    mock=st.booleans(),
)
def test_the_one_fix_rules_agree_with_the_vectorised_ones(lat, lon, accuracy, recorded_s, received, mock):
    config = QualityConfig()
    now_us = to_epoch_us(NOW)
    recorded_us = now_us + recorded_s * 1_000_000
    received_us = NO_TIME if received is None else now_us + received * 1_000_000
    vector = static_quality(
        np.array([lat]),
        np.array([lon]),
        np.array([accuracy]),
        np.array([recorded_us], np.int64),
        np.array([received_us], np.int64),
        np.array([mock]),
        now_us,
        config,
    )
    assert static_quality_one(lat, lon, accuracy, recorded_us, received_us, mock, now_us, config) == int(
        vector[0]
    )


def test_the_one_fix_rules_agree_with_the_vectorised_ones_at_every_boundary():
    """Every combination of values at and around each rule's limit, as one vectorised batch."""
    import itertools

    config = QualityConfig()
    now_us = to_epoch_us(NOW)
    lats = [37.1, 0.0, 1e-4, 1.0001e-4, -90.0, 90.0000001, math.nan, math.inf]
    lons = [122.4, -1e-4, 1.0001e-4, 180.0, -180.0000001, math.nan]
    accuracies = [10.0, 200.0, 200.0000001, 0.0, -0.1, math.nan, math.inf]
    seconds = [0, -7 * 86_400 - 1, -7 * 86_400, -7 * 86_400 + 1, 299, 300, 301]
    received = [None, -301, 0, 1]
    rows = list(itertools.product(lats, lons, accuracies, seconds, received, [False, True]))
    recorded_us = [now_us + s * 1_000_000 for _, _, _, s, _, _ in rows]
    received_us = [NO_TIME if r is None else now_us + r * 1_000_000 for *_, r, _ in rows]
    vector = static_quality(
        np.array([r[0] for r in rows]),
        np.array([r[1] for r in rows]),
        np.array([r[2] for r in rows]),
        np.array(recorded_us, np.int64),
        np.array(received_us, np.int64),
        np.array([r[5] for r in rows]),
        now_us,
        config,
    )
    scalar = [
        static_quality_one(lat, lon, acc, rec, recv, mock, now_us, config)
        for (lat, lon, acc, _, _, mock), rec, recv in zip(rows, recorded_us, received_us, strict=True)
    ]
    assert scalar == vector.tolist()
    assert (
        set(scalar) >= {int(v) for v in np.unique(vector)} and len(set(scalar)) == 7
    )  # every class is reached
