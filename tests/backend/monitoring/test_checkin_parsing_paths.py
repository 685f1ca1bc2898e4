"""The batch decoder of well-formed fixes accepts exactly what the detailed checks accept."""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from backend.core.json_input import text_problem
from backend.core.times import in_window
from backend.monitoring.checkin_input import decode_batch, parse_fix

NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-200, 200),
    st.booleans(),
    st.none(),
    st.text(max_size=3),
    st.sampled_from([37.1, 122.4, 15, 0, -1, 90.0, 180.0, 100000.0, 100000.0001, 2**70, -(2**64), 1e308]),
)
TIMES = st.one_of(
    st.sampled_from(
        [
            "2026-11-27T22:00:00+08:00",
            "2026-11-27T14:00:00Z",
            "2026-11-27T14:00:00",
            "2026-11-27",
            "yesterday",
            "2026-11-27T14:00:00.123456+00:00",
            "2026-11-27T14:00:00.1234567Z",
            "2026-11-27t14:00:00z",
            "2026-11-27 14:00:00+08:00",
            "2026-11-27T14:00:60Z",
            "2026-11-27T14:00Z",
            "20261127T140000Z",
        ]
    ),
    st.integers(),
    st.none(),
    st.builds(lambda t, minutes: _iso(t, minutes), st.datetimes(), st.integers(-1439, 1439)),
)
IDS = st.one_of(
    st.uuids().map(str),
    st.sampled_from(["not-a-uuid", "", "{12345678-1234-5678-1234-567812345678}"]),
    st.integers(),
    st.none(),
)

FIELDS = {
    "id": IDS,
    "recorded_at": TIMES,
    "lat": NUMBERS,
    "lon": NUMBERS,
    "accuracy_m": NUMBERS,
    "crs": st.sampled_from(["wgs84", "gcj02", "bd09", "WGS84", "", None]),
    "altitude_m": NUMBERS,
    "speed_mps": NUMBERS,
    "battery": NUMBERS,
    "charging": st.one_of(st.booleans(), st.none(), st.integers(0, 1)),
    "mock_location": st.one_of(st.booleans(), st.none(), st.integers(0, 1)),
    # Any code point, lone surrogates and NUL included (``json.dumps`` escapes them as \\uXXXX).
    "provider": st.one_of(
        st.none(),
        st.text(max_size=25),
        st.text(st.characters(exclude_categories=()), max_size=5),
        st.sampled_from(["gps\x00", "\ud800", "fused\udfff", "\U0001f600"]),
    ),
    "extra": st.integers(),
}


def _iso(moment: dt.datetime, offset_minutes: int) -> str:
    """Any wall time with any offset, including those that overflow when converted to UTC."""
    sign = "+" if offset_minutes >= 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"{moment.isoformat()}{sign}{hours:02d}:{minutes:02d}"


@st.composite
def items(draw: Any) -> Any:
    base = {
        "id": str(uuid.uuid4()),
        "recorded_at": "2026-11-27T22:00:00+08:00",
        "lat": 37.1,
        "lon": 122.4,
        "accuracy_m": 15.0,
        "crs": "wgs84",
    }
    # Mostly near-valid fixes with a few fields replaced, dropped or added.
    for name in draw(st.lists(st.sampled_from(sorted(FIELDS)), max_size=4)):
        if draw(st.booleans()) or name not in base:
            base[name] = draw(FIELDS[name])
        else:
            del base[name]
    return (
        draw(st.one_of(st.just(base), st.just([base]), st.none())) if draw(st.integers(0, 20)) == 0 else base
    )


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


def fast(item: Any) -> Any:
    decoded = decode_batch(json.dumps({"checkins": [item]}).encode())
    return None if decoded is None else decoded[0][0]


@settings(max_examples=600, deadline=None)
@given(items())
def test_the_fast_path_agrees_with_the_detailed_checks(item: Any) -> None:
    quick = fast(item)
    detailed, errors = parse_fix(item)
    if quick is None:
        return  # the detailed path answers (and may still accept it)
    assert detailed is not None, f"fast path accepted what the checks reject: {errors}"
    assert quick == detailed


def test_the_fast_path_takes_an_ordinary_batch() -> None:
    item = {
        "id": str(uuid.uuid4()),
        "recorded_at": "2026-11-27T14:00:00Z",
        "lat": 37.1,
        "lon": 122.4,
        "accuracy_m": 15,
        "crs": "gcj02",
        "battery": 80,
        "charging": False,
        "provider": "fused",
    }
    decoded = decode_batch(
        json.dumps(
            {"checkins": [item, {**item, "id": str(uuid.uuid4())}], "sent_at": "2026-11-27T14:00:01Z"}
        ).encode()
    )
    assert decoded is not None
    fixes, sent_at = decoded
    assert fixes[0] == parse_fix(item)[0] and len(fixes) == 2 and sent_at == "2026-11-27T14:00:01Z"


def test_one_bad_fix_sends_the_whole_batch_to_the_detailed_checks() -> None:
    good = {
        "id": str(uuid.uuid4()),
        "recorded_at": "2026-11-27T14:00:00Z",
        "lat": 37.1,
        "lon": 122.4,
        "accuracy_m": 15,
        "crs": "wgs84",
    }
    assert decode_batch(json.dumps({"checkins": [good, {**good, "lat": 91}]}).encode()) is None
    assert decode_batch(b'{"checkins": [') is None
    assert decode_batch(json.dumps({"checkins": []}).encode()) is None
    assert decode_batch(json.dumps({"checkins": [good] * 501}).encode()) is None


@settings(max_examples=300, deadline=None)
@given(st.lists(items(), min_size=1, max_size=8))
def test_a_small_batch_is_classed_at_receipt_as_a_large_one_would_be(batch: list[Any]) -> None:
    """Uploads of up to ``SCALAR_RECEIPT_MAX`` fixes take the one-fix rules: the same classes and
    positions as the vectorised path gives the same fixes."""
    import datetime as dt

    import pytest

    from backend.monitoring import engine

    fixes = [fix for fix, _errors in map(parse_fix, batch) if fix is not None]
    if not fixes:
        return
    received = dt.datetime(2026, 11, 27, 14, 3, tzinfo=dt.UTC)
    assert len(fixes) <= engine.SCALAR_RECEIPT_MAX
    scalar = engine.at_receipt(fixes, received)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "SCALAR_RECEIPT_MAX", 0)
        vector = engine.at_receipt(fixes, received)
    assert [q for _, _, q in scalar] == [q for _, _, q in vector]
    for (lat_s, lon_s, _), (lat_v, lon_v, _) in zip(scalar, vector, strict=True):
        assert math.isclose(lat_s, lat_v, abs_tol=1e-9) and math.isclose(lon_s, lon_v, abs_tol=1e-9)


@settings(max_examples=400, deadline=None)
@given(items())
def test_every_accepted_fix_lies_in_the_time_window_and_has_storable_text(item: Any) -> None:
    detailed, _errors = parse_fix(item)
    quick = fast(item)
    for accepted in (detailed, quick):
        if accepted is None:
            continue
        assert in_window(accepted.recorded_at)
        assert text_problem(accepted.provider) is None
        accepted.provider.encode("utf-8")  # storable in every database encoding


def test_times_that_overflow_on_conversion_are_refused_with_a_field_message() -> None:
    for raw in (
        "9999-12-31T23:59:59-01:00",
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59+00:00",
        "2100-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
    ):
        item = {
            "id": str(uuid.uuid4()),
            "recorded_at": raw,
            "lat": 37.1,
            "lon": 122.4,
            "accuracy_m": 15.0,
            "crs": "wgs84",
        }
        assert fast(item) is None
        fix, errors = parse_fix(item)
        assert fix is None and list(errors) == ["recorded_at"], raw
