"""Invalid zone geometry is refused with a clear error naming the field."""

from __future__ import annotations

import pytest
import shapely

from geofence import EpisodeConfig, Zone, ZoneError, ZoneKind

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
        Zone.from_geojson(polygon([[122.0, 37.0], [122.1, 37.1], [122.0, 37.0], [122.0, 37.0]]), id="z",
                          kind="exclusion")
    assert err.value.field == "coordinates"


def test_it_refuses_coordinates_out_of_range_and_hints_at_the_order():
    swapped = polygon([[37.0, 122.0], [37.1, 122.0], [37.1, 122.1], [37.0, 122.0]])
    with pytest.raises(ZoneError, match=r"out of range.*\[lon, lat\]") as err:
        Zone.from_geojson(swapped, id="z", kind="inclusion")
    assert err.value.field == "coordinates"


def test_it_refuses_non_numeric_positions():
    with pytest.raises(ZoneError) as err:
        Zone.from_geojson(polygon([[122.0, "37"], [122.1, 37.1], [122.1, 37.0], [122.0, 37.0]]), id="z",
                          kind="inclusion")
    assert err.value.field == "coordinates"


def test_it_refuses_collinear_points():
    with pytest.raises(ZoneError) as err:
        Zone.from_geojson(polygon([[122.0, 37.0], [122.1, 37.0], [122.2, 37.0], [122.0, 37.0]]), id="z",
                          kind="inclusion")
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
        Zone.from_geojson({"type": "LineString", "coordinates": [[122.0, 37.0], [122.1, 37.1]]}, id="z",
                          kind="exclusion")
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
