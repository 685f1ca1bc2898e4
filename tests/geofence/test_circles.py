"""Circles are true metric circles, not circles in degrees."""

from __future__ import annotations

import math

import shapely
from geopy.distance import geodesic

from geofence import Verdict, Zone, verdict_for

from .helpers import offset


def test_circle_vertices_lie_on_the_geodesic_circle_at_37_north():
    zone = Zone.circle("home", "inclusion", 37.1, 122.4, 500.0)
    for lon, lat in list(zone.geometry.exterior.coords)[::8]:
        assert abs(geodesic((37.1, 122.4), (lat, lon)).meters - 500.0) < 0.01


def test_a_circle_is_narrower_in_degrees_east_west_than_north_south():
    # At 37 N a degree of longitude is ~0.8 of a degree of latitude, so a metric circle is
    # an ellipse in degrees; a "degree circle" would be 100 m short east-west.
    zone = Zone.circle("home", "inclusion", 37.1, 122.4, 500.0)
    minx, miny, maxx, maxy = zone.geometry.bounds
    assert (maxx - minx) / (maxy - miny) > 1.2


def test_verdicts_use_the_exact_radius_east_west():
    zone = Zone.circle("home", "inclusion", 37.1, 122.4, 500.0)
    assert verdict_for(zone, *offset(37.1, 122.4, 495, 0), 1.0) is Verdict.INSIDE
    assert verdict_for(zone, *offset(37.1, 122.4, 505, 0), 1.0) is Verdict.OUTSIDE
    assert verdict_for(zone, *offset(37.1, 122.4, 0, -495), 1.0) is Verdict.INSIDE


def test_between_polygon_chord_and_true_arc_the_true_circle_decides():
    zone = Zone.circle("home", "inclusion", 37.1, 122.4, 5000.0)
    # Halfway between two vertices the chord sags inside the arc; a point just inside the
    # arc but outside the chord is still inside the circle.
    ring = list(zone.geometry.exterior.coords)
    (x1, y1), (x2, y2) = ring[0], ring[1]
    # The chord's midpoint, pushed out from the centre by half the chord's sag.
    n = len(ring) - 1
    push = 1.0 + (1.0 - math.cos(math.pi / n)) / 2.0
    lon = 122.4 + ((x1 + x2) / 2 - 122.4) * push
    lat = 37.1 + ((y1 + y2) / 2 - 37.1) * push
    assert not zone.geometry.contains(shapely.Point(lon, lat))
    assert geodesic((37.1, 122.4), (lat, lon)).meters < 4999.9
    assert verdict_for(zone, lat, lon, 0.0) is Verdict.INSIDE
