"""The one-pass parser of well-formed fixes accepts exactly what the detailed checks accept."""

from __future__ import annotations

import math
import uuid
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from backend.monitoring.checkin_input import _parse_well_formed, parse_fix_in_detail

NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-200, 200), st.booleans(),
                    st.none(), st.text(max_size=3), st.sampled_from([37.1, 122.4, 15, 0, -1, 90.0, 180.0, 100000.0]))
TIMES = st.one_of(st.sampled_from(["2026-11-27T22:00:00+08:00", "2026-11-27T14:00:00Z", "2026-11-27T14:00:00",
                                   "2026-11-27", "yesterday", "2026-11-27T14:00:00.123456+00:00"]),
                  st.integers(), st.none())
IDS = st.one_of(st.uuids().map(str), st.sampled_from(["not-a-uuid", "", "{12345678-1234-5678-1234-567812345678}"]),
                st.integers(), st.none())

FIELDS = {
    "id": IDS, "recorded_at": TIMES, "lat": NUMBERS, "lon": NUMBERS, "accuracy_m": NUMBERS,
    "crs": st.sampled_from(["wgs84", "gcj02", "bd09", "WGS84", "", None]),
    "altitude_m": NUMBERS, "speed_mps": NUMBERS, "battery": NUMBERS,
    "charging": st.one_of(st.booleans(), st.none(), st.integers(0, 1)),
    "mock_location": st.one_of(st.booleans(), st.none(), st.integers(0, 1)),
    "provider": st.one_of(st.none(), st.text(max_size=25)),
    "extra": st.integers(),
}


@st.composite
def items(draw: Any) -> Any:
    base = {"id": str(uuid.uuid4()), "recorded_at": "2026-11-27T22:00:00+08:00", "lat": 37.1, "lon": 122.4,
            "accuracy_m": 15.0, "crs": "wgs84"}
    # Mostly near-valid fixes with a few fields replaced, dropped or added.
    for name in draw(st.lists(st.sampled_from(sorted(FIELDS)), max_size=4)):
        if draw(st.booleans()) or name not in base:
            base[name] = draw(FIELDS[name])
        else:
            del base[name]
    return draw(st.one_of(st.just(base), st.just([base]), st.none())) if draw(st.integers(0, 20)) == 0 else base


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


@settings(max_examples=600, deadline=None)
@given(items())
def test_the_fast_path_agrees_with_the_detailed_checks(item: Any) -> None:
    fast = _parse_well_formed(item)
    detailed, errors = parse_fix_in_detail(item)
    if fast is None:
        return  # the detailed path answers (and may still accept it)
    assert detailed is not None, f"fast path accepted what the checks reject: {errors}"
    assert fast == detailed


def test_the_fast_path_takes_an_ordinary_fix() -> None:
    item = {"id": str(uuid.uuid4()), "recorded_at": "2026-11-27T14:00:00Z", "lat": 37.1, "lon": 122.4,
            "accuracy_m": 15, "crs": "gcj02", "battery": 80, "charging": False, "provider": "fused"}
    fast = _parse_well_formed(item)
    assert fast is not None and fast == parse_fix_in_detail(item)[0]
