"""Invalid zone geometry is refused with a clear error naming the field."""

from __future__ import annotations

import math

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geofence import EpisodeConfig, Zone, ZoneError, ZoneKind
from geofence.zones import MAX_CONFIRM_SECONDS, MAX_EPISODE_FIXES, MAX_RADIUS_M, MAX_VERTICES

from .helpers import square_geojson


def polygon(ring):
    return {"type": "Polygon", "coordinates": [ring]}


def test_it_refuses_a_self_intersecting_bow_tie():
    bow_tie = polygon([[122.0, 37.0], [122.1, 37.1], [122.1, 37.0], [122.0, 37.1], [122.0, 37.0]])
    with pytest.raises(ZoneError, match="Self-intersection") as err:
        Zone.from_geojson(bow_tie, id="z", kind="exclusion")
    assert err.value.field == "geometry"


def test_it_refuses_a_ring_with_fewer_than_three_distinct_points():
    with pytest.raises(ZoneError, match="3 distinct points") as err:
        Zone.from_geojson(
            polygon([[122.0, 37.0], [122.1, 37.1], [122.0, 37.0], [122.0, 37.0]]), id="z", kind="exclusion"
        )
    assert err.value.field == "coordinates"


def test_it_refuses_coordinates_out_of_range_and_hints_at_the_order():
    swapped = polygon([[37.0, 122.0], [37.1, 122.0], [37.1, 122.1], [37.0, 122.0]])
    with pytest.raises(ZoneError, match=r"out of range.*\[lon, lat\]") as err:
        Zone.from_geojson(swapped, id="z", kind="inclusion")
    assert err.value.field == "coordinates"


def test_it_refuses_non_numeric_positions():
    with pytest.raises(ZoneError) as err:
        Zone.from_geojson(
            polygon([[122.0, "37"], [122.1, 37.1], [122.1, 37.0], [122.0, 37.0]]), id="z", kind="inclusion"
        )
    assert err.value.field == "coordinates"


def test_it_refuses_collinear_points():
    with pytest.raises(ZoneError) as err:
        Zone.from_geojson(
            polygon([[122.0, 37.0], [122.1, 37.0], [122.2, 37.0], [122.0, 37.0]]), id="z", kind="inclusion"
        )
    assert err.value.field == "geometry"


@pytest.mark.parametrize("radius", [0, -5, float("nan"), float("inf")])
def test_it_refuses_a_non_positive_or_non_finite_radius(radius):
    with pytest.raises(ZoneError) as err:
        Zone.circle("z", "exclusion", 37.1, 122.4, radius)
    assert err.value.field == "radius_m"


def test_it_refuses_a_point_without_radius():
    with pytest.raises(ZoneError) as err:
        Zone.from_geojson({"type": "Point", "coordinates": [122.4, 37.1]}, id="z", kind="exclusion")
    assert err.value.field == "radius_m"


def test_it_refuses_unsupported_geometry_types():
    with pytest.raises(ZoneError, match="LineString") as err:
        Zone.from_geojson(
            {"type": "LineString", "coordinates": [[122.0, 37.0], [122.1, 37.1]]}, id="z", kind="exclusion"
        )
    assert err.value.field == "geometry"


def test_it_refuses_an_unknown_kind_and_a_missing_id():
    with pytest.raises(ZoneError) as err:
        Zone.from_geojson(square_geojson(37.1, 122.4, 100), id="z", kind="forbidden")
    assert err.value.field == "kind"
    with pytest.raises(ZoneError) as err:
        Zone.from_geojson(square_geojson(37.1, 122.4, 100), kind="inclusion")
    assert err.value.field == "id"


def test_approach_buffers_belong_to_exclusion_zones_only():
    with pytest.raises(ZoneError) as err:
        Zone.from_geojson(square_geojson(37.1, 122.4, 100), id="z", kind="inclusion", approach_buffer_m=100)
    assert err.value.field == "approach_buffer_m"


def test_direct_construction_is_validated_too():
    with pytest.raises(ZoneError):
        Zone("z", ZoneKind.INCLUSION, shapely.LineString([(122, 37), (122.1, 37.1)]))


def test_episode_settings_are_validated():
    with pytest.raises(ZoneError) as err:
        EpisodeConfig(confirm_fixes=0)
    assert err.value.field == "episode.confirm_fixes"


def test_zone_error_is_a_value_error():
    assert issubclass(ZoneError, ValueError)


def test_unclosed_rings_are_closed_for_the_caller():
    ring = square_geojson(37.1, 122.4, 100)["coordinates"][0][:-1]
    zone = Zone.from_geojson(polygon(ring), id="z", kind="inclusion")
    assert zone.geometry.is_valid


# ---------------------------------------------------------------------------
# Limits and hostile numbers: the engine refuses with a ZoneError, never crashes
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("buffer_m", [6000, 1e300, 2**70, 10**400, -1, float("nan"), float("inf")])
def test_it_refuses_an_approach_buffer_beyond_its_limit(buffer_m):
    with pytest.raises(ZoneError) as err:
        Zone.circle("z", "exclusion", 37.1, 122.4, 200, approach_buffer_m=buffer_m)
    assert err.value.field == "approach_buffer_m"


@pytest.mark.parametrize("radius", [MAX_RADIUS_M + 1, 1e300, 2**70, 10**400])
def test_it_refuses_a_radius_beyond_its_limit_without_overflowing(radius):
    with pytest.raises(ZoneError) as err:
        Zone.from_geojson(
            {"type": "Point", "coordinates": [122.4, 37.1], "radius_m": radius}, id="z", kind="exclusion"
        )
    assert err.value.field == "radius_m"


@pytest.mark.parametrize("position", [[10**400, 37.1], [122.4, -(10**400)], [2**70, 37.1]])
def test_it_refuses_coordinates_past_the_float_range_as_out_of_range(position):
    with pytest.raises(ZoneError, match="out of range") as err:
        Zone.from_geojson(
            {"type": "Point", "coordinates": position, "radius_m": 100}, id="z", kind="exclusion"
        )
    assert err.value.field == "coordinates"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("confirm_fixes", MAX_EPISODE_FIXES + 1),
        ("confirm_fixes", 2**64),
        ("clear_fixes", 0),
        ("clear_fixes", 2**70),
        ("confirm_fixes", 3.0),
        ("confirm_fixes", True),
        ("confirm_seconds", MAX_CONFIRM_SECONDS + 1),
        ("confirm_seconds", 10**400),
        ("confirm_seconds", -1),
        ("confirm_seconds", float("nan")),
        ("confirm_seconds", "120"),
    ],
)
def test_episode_settings_have_limits(name, value):
    with pytest.raises(ZoneError) as err:
        EpisodeConfig(**{name: value})
    assert err.value.field == f"episode.{name}"


def test_episode_settings_at_their_limits_are_accepted():
    episode = EpisodeConfig(
        confirm_fixes=MAX_EPISODE_FIXES, confirm_seconds=MAX_CONFIRM_SECONDS, clear_fixes=MAX_EPISODE_FIXES
    )
    assert episode.confirm_seconds == float(MAX_CONFIRM_SECONDS)


@pytest.mark.parametrize("where", ["geometry", "properties"])
def test_it_refuses_a_polygon_with_a_radius(where):
    square = square_geojson(37.1, 122.4, 100)
    obj = (
        {**square, "radius_m": 200}
        if where == "geometry"
        else {"type": "Feature", "geometry": square, "properties": {"radius_m": 200}}
    )
    with pytest.raises(ZoneError, match="circle") as err:
        Zone.from_geojson(obj, id="z", kind="inclusion")
    assert err.value.field == "radius_m"


def test_it_refuses_too_many_vertices_before_reading_them():
    ring = [
        [122.4 + 0.01 * math.cos(a), 37.1 + 0.01 * math.sin(a)]
        for a in (2 * math.pi * i / (MAX_VERTICES + 1) for i in range(MAX_VERTICES + 1))
    ]
    with pytest.raises(ZoneError, match="vertices") as err:
        Zone.from_geojson(polygon([*ring, ring[0]]), id="z", kind="inclusion")
    assert err.value.field == "coordinates"


def test_direct_construction_counts_vertices_too():
    ring = [
        (122.4 + 0.01 * math.cos(a), 37.1 + 0.01 * math.sin(a))
        for a in (2 * math.pi * i / (MAX_VERTICES + 1) for i in range(MAX_VERTICES + 1))
    ]
    with pytest.raises(ZoneError, match="vertices"):
        Zone("z", ZoneKind.INCLUSION, shapely.Polygon(ring))


_numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
    st.integers(min_value=2**63, max_value=10**400),
    st.booleans(),
    st.none(),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=3),
)
_positions = st.one_of(st.lists(_numbers, max_size=4), _numbers)
_geometries = st.one_of(
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["Point", "Polygon", "MultiPolygon", "LineString", "Feature", 7]),
            "coordinates": st.one_of(
                _positions,
                st.lists(st.lists(_positions, max_size=6), max_size=2),
                st.lists(st.lists(st.lists(_positions, max_size=5), max_size=2), max_size=2),
            ),
        },
        optional={"radius_m": _numbers},
    ),
    # Circles and triangles that may well be valid, so acceptance is exercised too.
    st.builds(
        lambda lon, lat, radius: {"type": "Point", "coordinates": [lon, lat], "radius_m": radius},
        st.floats(-180, 180),
        st.floats(-90, 90),
        st.one_of(st.floats(0, 60_000), _numbers),
    ),
    st.builds(
        lambda lon, lat, d: {
            "type": "Polygon",
            "coordinates": [[[lon, lat], [lon + d, lat], [lon, lat + d]]],
        },
        st.floats(-181, 180),
        st.floats(-91, 90),
        st.floats(-20, 20),
    ),
    _numbers,
)


@settings(max_examples=500, deadline=None)
@given(
    geometry=_geometries,
    kind=st.sampled_from(["inclusion", "exclusion", "other", 3]),
    buffer_m=_numbers,
    confirm_fixes=_numbers,
    confirm_seconds=_numbers,
    clear_fixes=_numbers,
)
def test_any_zone_input_is_accepted_or_refused_with_a_zone_error(
    geometry, kind, buffer_m, confirm_fixes, confirm_seconds, clear_fixes
):
    """Whatever a client sends, the engine answers with a zone or a ZoneError naming a field: a
    TypeError or OverflowError here would be a server error in the API."""
    try:
        episode = EpisodeConfig(
            confirm_fixes=confirm_fixes, confirm_seconds=confirm_seconds, clear_fixes=clear_fixes
        )
    except ZoneError as exc:
        assert exc.field.startswith("episode.")
        episode = None
    try:
        zone = Zone.from_geojson(geometry, id="z", kind=kind, approach_buffer_m=buffer_m, episode=episode)
    except ZoneError as exc:
        assert exc.field and str(exc)
    else:
        assert zone.geometry.is_valid and not zone.geometry.is_empty
        assert Zone.from_geojson(zone.to_geojson()) == zone
