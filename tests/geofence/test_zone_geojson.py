"""Zones load from and write back to GeoJSON."""

from __future__ import annotations

import json

from geofence import EpisodeConfig, Schedule, Zone, ZoneKind

from .helpers import square_geojson


def test_a_polygon_feature_round_trips_with_its_settings():
    zone = Zone.from_geojson(
        square_geojson(37.1, 122.4, 150),
        id="school-3",
        kind=ZoneKind.EXCLUSION,
        schedule=Schedule.daily("07:00", "18:00"),
        approach_buffer_m=200,
        episode=EpisodeConfig(confirm_fixes=2, confirm_seconds=60, clear_fixes=3),
    )
    feature = json.loads(json.dumps(zone.to_geojson()))
    assert Zone.from_geojson(feature) == zone


def test_a_multipolygon_round_trips():
    a = square_geojson(37.1, 122.4, 100)["coordinates"]
    b = square_geojson(37.12, 122.45, 100)["coordinates"]
    zone = Zone.from_geojson({"type": "MultiPolygon", "coordinates": [a, b]}, id="two", kind="inclusion")
    assert zone.geometry.geom_type == "MultiPolygon"
    assert Zone.from_geojson(zone.to_geojson()) == zone


def test_a_circle_is_written_as_a_point_with_radius_and_read_back():
    zone = Zone.circle("victim-home", "exclusion", 37.1, 122.4, 250.0)
    feature = zone.to_geojson()
    assert feature["geometry"] == {"type": "Point", "coordinates": [122.4, 37.1]}
    assert feature["properties"]["radius_m"] == 250.0
    assert Zone.from_geojson(feature) == zone


def test_a_point_geometry_with_a_radius_member_is_a_circle():
    zone = Zone.from_geojson(
        {"type": "Point", "coordinates": [122.4, 37.1], "radius_m": 80}, id="c", kind="exclusion"
    )
    assert zone.circle_spec is not None
    assert zone.circle_spec.radius_m == 80


def test_keyword_arguments_win_over_feature_properties():
    feature = Zone.circle("a", "exclusion", 37.1, 122.4, 100).to_geojson()
    zone = Zone.from_geojson(feature, id="b", kind="inclusion")
    assert (zone.id, zone.kind) == ("b", ZoneKind.INCLUSION)


def test_holes_are_kept():
    outer = square_geojson(37.1, 122.4, 500)["coordinates"][0]
    hole = list(reversed(square_geojson(37.1, 122.4, 100)["coordinates"][0]))
    zone = Zone.from_geojson({"type": "Polygon", "coordinates": [outer, hole]}, id="ring", kind="inclusion")
    assert len(zone.to_geojson()["geometry"]["coordinates"]) == 2
