"""Property: the zone API answers 201 exactly when the engine accepts the same values, else a field-level 400.

Closes the class of "accepted by the API, refused by the engine" (and of 500s on hostile numbers):
for arbitrary payloads (numbers from the whole float range, huge and negative ints, NaN and
infinity as text, odd geometry shapes and schedules) the engine's own constructors are the
oracle, and a created zone must build in the engine from the row as stored.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

import geofence as gf
from backend.monitoring import zones
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

HOME = (122.35, 37.15)  # lon, lat
FLOAT_FIELDS = ("radius_m", "approach_buffer_m")
INT_FIELDS = ("confirm_fixes", "confirm_seconds", "clear_fixes")
DEFAULTS = {"approach_buffer_m": 0.0, "confirm_fixes": 3, "confirm_seconds": 120, "clear_fixes": 2}

texts = st.sampled_from(["NaN", "nan", "Infinity", "-Infinity", "1e400", "abc", "", "12.5", "200"])
numbers = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),  # JSON cannot carry NaN or infinity as numbers
    st.floats(min_value=-1, max_value=6000),
    st.integers(min_value=-10, max_value=200),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([2**63, 2**64 + 1, 10**400, -(10**400)]),
    st.booleans(),
    texts,
)
lonlat = st.tuples(st.floats(122.0, 122.7), st.floats(36.9, 37.4))


def ring(
    lon: float, lat: float, d: float, *, closed: bool = True, bow_tie: bool = False
) -> list[list[float]]:
    corners = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d]]
    if bow_tie:
        corners[1], corners[2] = corners[2], corners[1]
    return [*corners, corners[0]] if closed else corners


geometries = st.one_of(
    st.builds(lambda p: {"type": "Point", "coordinates": list(p)}, lonlat),
    st.builds(
        lambda p, d, closed, bow: {
            "type": "Polygon",
            "coordinates": [ring(*p, d, closed=closed, bow_tie=bow)],
        },
        lonlat,
        st.one_of(st.floats(-0.05, 0.05), st.sampled_from([0.0, 20.0, 1e300])),
        st.booleans(),
        st.booleans(),
    ),
    st.builds(
        lambda p, d: {"type": "MultiPolygon", "coordinates": [[ring(*p, d)], [ring(p[0] + 1, p[1], d)]]},
        lonlat,
        st.floats(-0.05, 0.05),
    ),
    st.builds(lambda x, y: {"type": "Point", "coordinates": [x, y]}, numbers, numbers),
    st.builds(
        lambda x: {"type": "Polygon", "coordinates": [[[x, 37.1], [122.4, 37.1], [122.4, 37.2], [x, 37.1]]]},
        numbers,
    ),
    st.builds(
        lambda t, c: {"type": t, "coordinates": c},
        st.sampled_from(["Point", "Polygon", "MultiPolygon", "LineString", "Feature", "GeometryCollection"]),
        st.one_of(
            numbers, st.lists(numbers, max_size=3), st.lists(st.lists(numbers, max_size=3), max_size=3)
        ),
    ),
    st.builds(
        lambda p, r: {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": list(p)},
            "properties": {"radius_m": r},
        },
        lonlat,
        numbers,
    ),
    numbers,
    st.lists(numbers, max_size=2),
)
schedules = st.one_of(
    st.none(),
    st.just({}),
    st.builds(
        lambda tz, start, end, days: {"tz": tz, "windows": [{"days": days, "start": start, "end": end}]},
        st.sampled_from(["Asia/Shanghai", "UTC", "Mars/Base", "../etc", "", 8]),
        st.sampled_from(["22:00", "06:00", "25:00", "22:61", "noon", 22, "22:00+08:00"]),
        st.sampled_from(["06:00", "22:00", "24:00", None]),
        st.sampled_from([["mon", "fri"], [], [0, 6], [7], ["someday"], "mon"]),
    ),
    st.sampled_from(
        [
            {"windows": []},
            {"windows": "22-06"},
            [],
            "curfew",
            0,
            {"extra_windows": [{"start": "2026-05-01T10:00", "end": "2026-05-01T09:00"}]},
            {
                "extra_windows": [{"start": "2026-05-01T10:00", "end": "2026-05-01T12:00"}],
                "off_dates": ["2026-13-01"],
            },
        ]
    ),
)
payloads = st.fixed_dictionaries(
    {"kind": st.sampled_from(["inclusion", "exclusion", "exclusion", "forbidden"]), "geometry": geometries},
    optional={
        "radius_m": st.one_of(st.none(), numbers, st.floats(0, 60_000)),
        "approach_buffer_m": numbers,
        "confirm_fixes": numbers,
        "confirm_seconds": numbers,
        "clear_fixes": numbers,
        "schedule": schedules,
    },
)


class Refused(Exception):
    pass


def as_float(value: Any) -> Any:
    # As the API's number fields read JSON: text is parsed, and a number is given to the engine
    # as it came (huge ints included), so the engine's own limits decide.
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise Refused from None
    return value


def as_int(value: Any) -> int:
    # The stored columns are whole numbers: a whole float (3.0) is that number, anything else is refused.
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Refused
    text = re.sub(r"\.0*\s*$", "", str(value))
    try:
        return int(text)
    except ValueError:
        raise Refused from None


def engine_zone(payload: dict[str, Any]) -> gf.Zone | None:
    """The oracle: the engine's own constructors on the payload's values (None: refused)."""
    try:
        values = {**DEFAULTS, **payload}
        floats = {name: as_float(values.get(name)) for name in FLOAT_FIELDS}
        ints = {name: as_int(values[name]) for name in INT_FIELDS}
        raw_schedule = values.get("schedule")
        schedule = gf.Schedule.from_dict(raw_schedule) if raw_schedule not in (None, {}) else None
        geometry = values["geometry"]
        if isinstance(geometry, dict) and floats["radius_m"] is not None:
            geometry = {**geometry, "radius_m": floats["radius_m"]}
        return gf.Zone.from_geojson(
            geometry,
            id="oracle",
            kind=values["kind"],
            schedule=schedule,
            approach_buffer_m=floats["approach_buffer_m"],
            episode=gf.EpisodeConfig(**ints),
        )
    except (Refused, gf.ZoneError, gf.ScheduleError):
        return None


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(payload=payloads)
def test_the_api_creates_a_zone_exactly_when_the_engine_accepts_it(
    officer_a: Any, subject_a: Any, payload: dict[str, Any]
) -> None:
    from backend.monitoring.models import Zone

    response = client_for(officer_a).post(
        "/api/v1/zones", {"subject": subject_a.pk, "name": "围栏", **payload}, format="json"
    )
    expected = engine_zone(payload)
    note(f"payload: {payload!r}")
    assert response.status_code in (201, 400), response.content
    event(f"HTTP {response.status_code}")
    if response.status_code == 201:
        assert expected is not None, f"the API stored a zone the engine refuses: {response.json()}"
        built = zones._build(Zone.objects.get(pk=response.json()["id"]))
        assert isinstance(built, gf.Zone), built
        assert built.to_geojson()["geometry"] == expected.to_geojson()["geometry"]
        assert (built.kind, built.approach_buffer_m, built.episode, built.schedule) == (
            expected.kind,
            expected.approach_buffer_m,
            expected.episode,
            expected.schedule,
        )
        assert response.json()["evaluable"] is True
    else:
        errors = response.json()["errors"]
        assert expected is None, f"the API refused a zone the engine accepts: {errors}"
        assert errors and set(errors) <= set(payload) | {"radius_m"}, errors
        assert all(
            messages and all(isinstance(m, str) and m for m in messages) for messages in errors.values()
        )
