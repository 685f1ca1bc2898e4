"""Small builders shared by the geofence tests: zones in metres around a point, fixes, tracks."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from geofence import Crs, Fix, Zone, ZoneKind
from geofence.geodesy import meridian_radius, parallel_radius

# A point in Penglai district, Yantai, near the county the product serves.
HOME_LAT = 37.1
HOME_LON = 122.4
T0 = dt.datetime(2024, 3, 4, 12, 0, tzinfo=dt.UTC)

_ids = itertools.count(1)


def m_per_deg(lat: float) -> tuple[float, float]:
    """Metres per degree of (longitude, latitude) at ``lat``."""
    return float(parallel_radius(lat)) * math.pi / 180, float(meridian_radius(lat)) * math.pi / 180


def offset(lat: float, lon: float, east_m: float, north_m: float) -> tuple[float, float]:
    """The point ``east_m``/``north_m`` metres from (lat, lon), as (lat, lon)."""
    kx, ky = m_per_deg(lat)
    return lat + north_m / ky, lon + east_m / kx


def square_geojson(lat: float, lon: float, half_side_m: float) -> dict[str, Any]:
    """A GeoJSON square of side 2 * half_side_m centred on (lat, lon)."""
    ring = []
    for east, north in ((-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1)):
        p_lat, p_lon = offset(lat, lon, east * half_side_m, north * half_side_m)
        ring.append([p_lon, p_lat])
    return {"type": "Polygon", "coordinates": [ring]}


def square_zone(
    zone_id: str,
    kind: ZoneKind | str,
    half_side_m: float,
    *,
    lat: float = HOME_LAT,
    lon: float = HOME_LON,
    **kwargs: Any,
) -> Zone:
    """A square zone of side 2 * half_side_m centred on (lat, lon)."""
    return Zone.from_geojson(square_geojson(lat, lon, half_side_m), id=zone_id, kind=kind, **kwargs)


def fix_at(
    east_m: float,
    north_m: float,
    *,
    minutes: float = 0.0,
    accuracy_m: float = 10.0,
    person_id: str = "p1",
    fix_id: str | None = None,
    crs: Crs = Crs.WGS84,
    mock: bool = False,
    received_at: dt.datetime | None = None,
    lat0: float = HOME_LAT,
    lon0: float = HOME_LON,
) -> Fix:
    """A fix ``east_m``/``north_m`` metres from home, ``minutes`` after T0."""
    lat, lon = offset(lat0, lon0, east_m, north_m)
    if crs is not Crs.WGS84:
        from geofence import from_wgs84

        lat, lon = from_wgs84(lat, lon, crs)
    return Fix(
        id=fix_id or f"f{next(_ids):06d}",
        person_id=person_id,
        recorded_at=T0 + dt.timedelta(minutes=minutes),
        lat=lat,
        lon=lon,
        accuracy_m=accuracy_m,
        crs=crs,
        received_at=received_at,
        mock_location=mock,
    )


def track(
    points: Sequence[tuple[float, float]],
    *,
    every_min: float = 1.0,
    start_min: float = 0.0,
    accuracy_m: float = 10.0,
    person_id: str = "p1",
) -> list[Fix]:
    """Fixes at the given (east, north) offsets, one every ``every_min`` minutes."""
    return [
        fix_at(e, n, minutes=start_min + k * every_min, accuracy_m=accuracy_m, person_id=person_id)
        for k, (e, n) in enumerate(points)
    ]


def jittered_fixes(
    rng: np.random.Generator,
    count: int,
    *,
    centre: tuple[float, float] = (0.0, 0.0),
    accuracy_range: tuple[float, float] = (30.0, 150.0),
    every_min: float = 1.0,
    start_min: float = 0.0,
    person_id: str = "p1",
) -> list[Fix]:
    """Fixes of someone standing still: reported accuracy in the range, true error drawn
    as a phone's (Rayleigh, the accuracy being its 68 % radius)."""
    out = []
    for k in range(count):
        acc = float(rng.uniform(*accuracy_range))
        sigma = acc / 1.5096
        r = sigma * math.sqrt(-2.0 * math.log(1.0 - float(rng.uniform())))
        a = float(rng.uniform(0, 2 * math.pi))
        out.append(
            fix_at(
                centre[0] + r * math.cos(a),
                centre[1] + r * math.sin(a),
                minutes=start_min + k * every_min,
                accuracy_m=acc,
                person_id=person_id,
            )
        )
    return out


def kinds(events: Sequence[Any]) -> list[str]:
    """Event kinds as plain strings, in order."""
    return [e.kind.value for e in events]
