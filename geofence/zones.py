"""Zones: inclusion and exclusion geofences, their validation and GeoJSON form.

A zone's geometry is always stored in WGS-84 (lon, lat), with straight edges in lon/lat as
GeoJSON means. Circles are true metric circles: the centre and radius are kept, verdicts use
the ellipsoidal distance to the centre, and the polygon (vertices on the geodesic circle,
spaced so the chord sags at most about a metre) is only for display, for crossing tests and
for the batch path's coarse filters.

Each zone lazily builds a ``ZoneMetric`` (its local metric frame, the geometry in that frame,
and buffered copies used as filters by the vectorised path); see ``verdicts`` for how they
are used.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from geofence._json import JSON, JSONDict
from geofence.crs import Crs, to_wgs84_array
from geofence.geodesy import LocalFrame, circle_ring, meridian_radius
from geofence.schedule import Schedule, ScheduleError

__all__ = [
    "BUFFER_LEVELS_M",
    "DEFAULT_FILTER_ACCURACY_M",
    "MAX_APPROACH_BUFFER_M",
    "MAX_CONFIRM_SECONDS",
    "MAX_EPISODE_FIXES",
    "MAX_RADIUS_M",
    "MAX_VERTICES",
    "VERDICT_SLACK_M",
    "Circle",
    "EpisodeConfig",
    "FilterPlan",
    "Zone",
    "ZoneError",
    "ZoneKind",
    "ZoneMetric",
    "level_for",
]

# The limits of a zone's settings, declared here once: the engine refuses anything beyond them,
# and the backend's API, admin and spec read them from here instead of restating them.
# Largest zone extent accepted, in degrees: the local frame's scale error grows with it.
_MAX_EXTENT_DEG = 15.0
MAX_RADIUS_M = 50_000.0
MAX_APPROACH_BUFFER_M = 5_000.0
# Vertices of a zone, all rings together: a drawn county boundary has a few thousand; more only
# slows every filter build and verdict.
MAX_VERTICES = 20_000
# Breach dwell and hysteresis: beyond these a breach would never be confirmed or closed in a day.
MAX_EPISODE_FIXES = 100
MAX_CONFIRM_SECONDS = 86_400
# Circle polygons: chord sag r(1 - cos(pi/n)) of about a metre, with sensible bounds.
_CIRCLE_MIN_VERTICES = 64
_CIRCLE_MAX_VERTICES = 720


class ZoneKind(enum.StrEnum):
    """Inclusion zones must contain the person; exclusion zones must not."""

    INCLUSION = "inclusion"
    EXCLUSION = "exclusion"


class ZoneError(ValueError):
    """A zone that cannot be used; ``field`` names the offending part for API errors."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class EpisodeConfig:
    """Dwell and hysteresis of breach episodes for one zone.

    A breach opens after ``confirm_fixes`` good fixes that violate the zone, spanning at
    least ``confirm_seconds`` from the first to the last; it closes after ``clear_fixes``
    good fixes back in compliance. Uncertain fixes neither confirm nor clear.
    """

    confirm_fixes: int = 3
    confirm_seconds: float = 120.0
    clear_fixes: int = 2

    def __post_init__(self) -> None:
        for name in ("confirm_fixes", "clear_fixes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_EPISODE_FIXES:
                raise ZoneError(
                    f"{name} must be a whole number from 1 to {MAX_EPISODE_FIXES}, got {value!r}",
                    f"episode.{name}",
                )
        seconds = self.confirm_seconds
        if not (_is_real(seconds) and _finite(seconds) and 0 <= seconds <= MAX_CONFIRM_SECONDS):
            raise ZoneError(
                f"confirm_seconds must be a number from 0 to {MAX_CONFIRM_SECONDS} seconds, got {seconds!r}",
                "episode.confirm_seconds",
            )
        object.__setattr__(self, "confirm_seconds", float(seconds))

    def to_dict(self) -> JSONDict:
        """JSON form."""
        return {
            "confirm_fixes": self.confirm_fixes,
            "confirm_seconds": self.confirm_seconds,
            "clear_fixes": self.clear_fixes,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EpisodeConfig:
        """Inverse of ``to_dict``; missing keys take the defaults."""
        defaults = cls()
        try:
            return cls(
                confirm_fixes=int(data.get("confirm_fixes", defaults.confirm_fixes)),
                confirm_seconds=float(data.get("confirm_seconds", defaults.confirm_seconds)),
                clear_fixes=int(data.get("clear_fixes", defaults.clear_fixes)),
            )
        except (TypeError, ValueError, OverflowError) as exc:
            if isinstance(exc, ZoneError):
                raise
            raise ZoneError(f"bad episode settings: {exc}", "episode") from exc


@dataclass(frozen=True)
class Circle:
    """Centre (WGS-84) and radius in metres of a circular zone."""

    lat: float
    lon: float
    radius_m: float


# ---------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------


def _is_real(value: object) -> bool:
    """A real number as JSON gives it (bool is an int to Python, not to a zone)."""
    return not isinstance(value, bool) and isinstance(value, int | float)


def _finite(value: float) -> bool:
    # Every int is finite; math.isfinite would convert it to float and overflow past 1e308.
    return isinstance(value, int) or math.isfinite(value)


def _check_vertex_count(count: int) -> None:
    if count > MAX_VERTICES:
        raise ZoneError(
            f"the zone has {count} vertices; at most {MAX_VERTICES} are accepted (simplify it)", "coordinates"
        )


def _check_ring(coords: NDArray[np.float64], where: str) -> None:
    if not np.isfinite(coords).all():
        raise ZoneError(f"{where}: coordinates must be finite numbers", "coordinates")
    lon = coords[:, 0]
    lat = coords[:, 1]
    if (np.abs(lat) > 90).any() or (np.abs(lon) > 180).any():
        bad = coords[(np.abs(lat) > 90) | (np.abs(lon) > 180)][0]
        raise ZoneError(
            f"{where}: coordinate [{bad[0]}, {bad[1]}] is out of range (lon -180..180, lat -90..90; "
            "GeoJSON order is [lon, lat])",
            "coordinates",
        )
    distinct = {(float(x), float(y)) for x, y in coords}
    if len(distinct) < 3:
        raise ZoneError(
            f"{where}: a ring needs at least 3 distinct points, got {len(distinct)}", "coordinates"
        )


def _validate_polygonal(geometry: BaseGeometry) -> None:
    if not isinstance(geometry, shapely.Polygon | shapely.MultiPolygon):
        raise ZoneError(f"a zone must be a Polygon or MultiPolygon, got {geometry.geom_type}", "geometry")
    if geometry.is_empty:
        raise ZoneError("the zone geometry is empty", "geometry")
    _check_vertex_count(int(shapely.get_num_coordinates(geometry)))
    polygons = geometry.geoms if isinstance(geometry, shapely.MultiPolygon) else [geometry]
    for p_index, polygon in enumerate(polygons):
        rings = [polygon.exterior, *polygon.interiors]
        for r_index, ring in enumerate(rings):
            where = f"polygon {p_index} ring {r_index}"
            _check_ring(np.asarray(ring.coords, dtype=np.float64)[:, :2], where)
    if not shapely.is_valid(geometry):
        reason = shapely.is_valid_reason(geometry)
        raise ZoneError(f"invalid zone geometry: {reason} (for example a self-intersecting ring)", "geometry")
    if geometry.area <= 0:
        raise ZoneError("the zone has no area (its points are collinear)", "geometry")
    minx, miny, maxx, maxy = geometry.bounds
    if maxx - minx > _MAX_EXTENT_DEG or maxy - miny > _MAX_EXTENT_DEG:
        raise ZoneError(
            f"the zone spans more than {_MAX_EXTENT_DEG} degrees; split it into smaller zones", "geometry"
        )


def _circle_polygon(lat: float, lon: float, radius_m: float) -> shapely.Polygon:
    # Enough vertices that the chord sag r(1 - cos(pi/n)) ~ r pi^2 / (2 n^2) stays near 1 m.
    n = int(
        min(max(math.ceil(math.pi * math.sqrt(radius_m / 2.0)), _CIRCLE_MIN_VERTICES), _CIRCLE_MAX_VERTICES)
    )
    lats, lons = circle_ring(lat, lon, radius_m, n)
    # Counter-clockwise exterior (GeoJSON's right-hand rule): bearings run clockwise, so reverse.
    return shapely.Polygon(np.column_stack([lons[::-1], lats[::-1]]))


# ---------------------------------------------------------------------------
# The zone
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Zone:
    """An inclusion or exclusion geofence in WGS-84, optionally scheduled.

    Build polygons with ``Zone.from_geojson`` and circles with ``Zone.circle`` (which sets
    ``circle_spec``); direct construction is validated the same way. ``approach_buffer_m`` (exclusion zones only)
    raises one APPROACH warning per approach episode when a good fix comes that close.
    """

    id: str
    kind: ZoneKind
    geometry: BaseGeometry
    schedule: Schedule | None = None
    approach_buffer_m: float = 0.0
    episode: EpisodeConfig = field(default_factory=EpisodeConfig)
    circle_spec: Circle | None = None
    _metric: list[ZoneMetric] = field(default_factory=list, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ZoneError("a zone needs a non-empty string id", "id")
        try:
            object.__setattr__(self, "kind", ZoneKind(self.kind))
        except ValueError as exc:
            raise ZoneError(f"kind must be 'inclusion' or 'exclusion', got {self.kind!r}", "kind") from exc
        if self.circle_spec is not None:
            c = self.circle_spec
            if not (_is_real(c.radius_m) and _finite(c.radius_m) and c.radius_m > 0):
                raise ZoneError(
                    f"radius_m must be a positive number of metres, got {c.radius_m!r}", "radius_m"
                )
            if c.radius_m > MAX_RADIUS_M:
                raise ZoneError(f"radius_m must be at most {MAX_RADIUS_M:.0f} m", "radius_m")
            if not _valid_position(c.lon, c.lat):
                raise ZoneError(f"circle centre ({c.lat}, {c.lon}) is out of range", "coordinates")
        _validate_polygonal(self.geometry)
        buffer_m = self.approach_buffer_m
        if not (_is_real(buffer_m) and _finite(buffer_m) and buffer_m >= 0):
            raise ZoneError("approach_buffer_m must be a finite number >= 0", "approach_buffer_m")
        if buffer_m > MAX_APPROACH_BUFFER_M:
            raise ZoneError(
                f"approach_buffer_m must be at most {MAX_APPROACH_BUFFER_M:.0f} m", "approach_buffer_m"
            )
        if buffer_m > 0 and self.kind is ZoneKind.INCLUSION:
            raise ZoneError("approach warnings apply to exclusion zones only", "approach_buffer_m")
        object.__setattr__(self, "approach_buffer_m", float(buffer_m))
        if not isinstance(self.episode, EpisodeConfig):
            raise ZoneError("episode must be an EpisodeConfig", "episode")

    # -- constructors -------------------------------------------------------

    @classmethod
    def circle(
        cls,
        id: str,
        kind: ZoneKind | str,
        lat: float,
        lon: float,
        radius_m: float,
        *,
        crs: Crs | str = Crs.WGS84,
        schedule: Schedule | None = None,
        approach_buffer_m: float = 0.0,
        episode: EpisodeConfig | None = None,
    ) -> Zone:
        """A true metric circle of ``radius_m`` around (lat, lon) given in ``crs``."""
        if not (_is_real(radius_m) and _finite(radius_m) and radius_m > 0):
            raise ZoneError(f"radius_m must be a positive number of metres, got {radius_m!r}", "radius_m")
        if radius_m > MAX_RADIUS_M:
            raise ZoneError(f"radius_m must be at most {MAX_RADIUS_M:.0f} m", "radius_m")
        if not _valid_position(lon, lat):
            raise ZoneError(f"circle centre ({lat}, {lon}) is out of range", "coordinates")
        wlat, wlon = to_wgs84_array([lat], [lon], crs)
        c_lat, c_lon = float(wlat[0]), float(wlon[0])
        return cls(
            id=id,
            kind=ZoneKind(kind),
            geometry=_circle_polygon(c_lat, c_lon, float(radius_m)),
            schedule=schedule,
            approach_buffer_m=approach_buffer_m,
            episode=episode or EpisodeConfig(),
            circle_spec=Circle(c_lat, c_lon, float(radius_m)),
        )

    @classmethod
    def from_geojson(
        cls,
        obj: Mapping[str, Any],
        *,
        id: str | None = None,
        kind: ZoneKind | str | None = None,
        crs: Crs | str | None = None,
        schedule: Schedule | None = None,
        approach_buffer_m: float | None = None,
        episode: EpisodeConfig | None = None,
    ) -> Zone:
        """A zone from a GeoJSON geometry or Feature.

        Accepts Polygon, MultiPolygon, or a Point with ``radius_m`` (in the Feature's
        properties or on the geometry object) for a circle. Keyword arguments win over the
        Feature's properties (``id``, ``kind``, ``crs``, ``schedule``, ``approach_buffer_m``,
        ``episode``), so ``Zone.from_geojson(zone.to_geojson())`` gives the zone back.
        Coordinates drawn on a GCJ-02 or BD-09 map are converted with ``crs``.
        """
        if not isinstance(obj, Mapping):
            raise ZoneError("expected a GeoJSON object", "geometry")
        properties: Mapping[str, Any] = {}
        geometry_obj: Mapping[str, Any] = obj
        if obj.get("type") == "Feature":
            raw_props = obj.get("properties") or {}
            if not isinstance(raw_props, Mapping):
                raise ZoneError("Feature properties must be an object", "properties")
            properties = raw_props
            raw_geom = obj.get("geometry")
            if not isinstance(raw_geom, Mapping):
                raise ZoneError("the Feature has no geometry", "geometry")
            geometry_obj = raw_geom
        zone_id = id if id is not None else properties.get("id", obj.get("id"))
        if not isinstance(zone_id, str) or not zone_id:
            raise ZoneError("a zone needs a non-empty string id", "id")
        raw_kind = kind if kind is not None else properties.get("kind")
        if raw_kind is None:
            raise ZoneError("a zone needs a kind ('inclusion' or 'exclusion')", "kind")
        try:
            zone_kind = ZoneKind(raw_kind)
        except ValueError as exc:
            raise ZoneError(f"kind must be 'inclusion' or 'exclusion', got {raw_kind!r}", "kind") from exc
        try:
            source_crs = Crs(crs if crs is not None else properties.get("crs", Crs.WGS84))
        except ValueError as exc:
            raise ZoneError("crs must be one of wgs84, gcj02, bd09", "crs") from exc
        if schedule is None and properties.get("schedule") is not None:
            try:
                schedule = Schedule.from_dict(properties["schedule"])
            except ScheduleError as exc:
                raise ZoneError(f"schedule: {exc}", f"schedule.{exc.field}") from exc
        if approach_buffer_m is None:
            approach_buffer_m = _number(properties.get("approach_buffer_m", 0.0), "approach_buffer_m")
        if episode is None:
            raw_episode = properties.get("episode")
            episode = (
                EpisodeConfig.from_dict(raw_episode) if isinstance(raw_episode, Mapping) else EpisodeConfig()
            )

        geom_type = geometry_obj.get("type")
        coordinates = geometry_obj.get("coordinates")
        if geom_type == "Point":
            radius = properties.get("radius_m", geometry_obj.get("radius_m"))
            if radius is None:
                raise ZoneError("a Point zone needs radius_m (metres) to be a circle", "radius_m")
            position = _position(coordinates, "Point")
            return cls.circle(
                zone_id,
                zone_kind,
                position[1],
                position[0],
                _number(radius, "radius_m"),
                crs=source_crs,
                schedule=schedule,
                approach_buffer_m=approach_buffer_m,
                episode=episode,
            )
        if geom_type in ("Polygon", "MultiPolygon"):
            if properties.get("radius_m", geometry_obj.get("radius_m")) is not None:
                raise ZoneError(
                    "radius_m belongs to a circle (a Point); a polygon's shape is its coordinates", "radius_m"
                )
            # Counted before any position is read, so an oversized upload is refused cheaply.
            _check_vertex_count(_count_positions(coordinates, 2 if geom_type == "Polygon" else 3))
        if geom_type == "Polygon":
            polygons = [_polygon_rings(coordinates, source_crs, "Polygon")]
            geometry: BaseGeometry = shapely.Polygon(polygons[0][0], polygons[0][1:])
        elif geom_type == "MultiPolygon":
            if not isinstance(coordinates, list) or not coordinates:
                raise ZoneError(
                    "MultiPolygon coordinates must be a non-empty list of polygons", "coordinates"
                )
            polygons = [
                _polygon_rings(p, source_crs, f"MultiPolygon polygon {i}") for i, p in enumerate(coordinates)
            ]
            geometry = shapely.MultiPolygon([(rings[0], rings[1:]) for rings in polygons])
        else:
            raise ZoneError(
                f"unsupported GeoJSON type {geom_type!r}; use Polygon, MultiPolygon or Point with radius_m",
                "geometry",
            )
        return cls(
            id=zone_id,
            kind=zone_kind,
            geometry=geometry,
            schedule=schedule,
            approach_buffer_m=approach_buffer_m,
            episode=episode,
        )

    # -- output -------------------------------------------------------------

    def to_geojson(self) -> JSONDict:
        """A GeoJSON Feature (WGS-84) that ``from_geojson`` reads back to an equal zone."""
        geometry: JSONDict
        properties: JSONDict = {
            "id": self.id,
            "kind": self.kind.value,
            "crs": Crs.WGS84.value,
            "approach_buffer_m": self.approach_buffer_m,
            "episode": self.episode.to_dict(),
            "schedule": self.schedule.to_dict() if self.schedule is not None else None,
        }
        if self.circle_spec is not None:
            geometry = {"type": "Point", "coordinates": [self.circle_spec.lon, self.circle_spec.lat]}
            properties["radius_m"] = self.circle_spec.radius_m
        elif isinstance(self.geometry, shapely.Polygon):
            geometry = {"type": "Polygon", "coordinates": _rings_json(self.geometry)}
        else:
            assert isinstance(self.geometry, shapely.MultiPolygon)
            geometry = {"type": "MultiPolygon", "coordinates": [_rings_json(p) for p in self.geometry.geoms]}
        return {"type": "Feature", "id": self.id, "geometry": geometry, "properties": properties}

    # -- derived ------------------------------------------------------------

    @property
    def metric(self) -> ZoneMetric:
        """The zone's metric frame and filter geometries, built on first use."""
        if not self._metric:
            self._metric.append(ZoneMetric(self))
        return self._metric[0]

    def is_active(self, at_us: int) -> bool:
        """Whether the zone counts at an epoch-microsecond instant."""
        if self.schedule is None:
            return True
        return bool(self.schedule.active_mask(np.array([at_us], dtype=np.int64))[0])


def _number(value: JSON | Any, field_name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):  # as ``_is_real``, for the type checker
        raise ZoneError(f"{field_name} must be a number, got {_short(value)}", field_name)
    try:
        return float(value)
    except OverflowError:
        raise ZoneError(f"{field_name} is far out of range, got {_short(value)}", field_name) from None


def _short(value: Any) -> str:
    """``repr`` cut to a readable length: error messages quote what they were sent."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _valid_position(lon: float, lat: float) -> bool:
    # Compared before any conversion to float: an int past 1e308 is out of range, not an overflow.
    return _finite(lon) and _finite(lat) and abs(lat) <= 90 and abs(lon) <= 180


def _count_positions(value: Any, depth: int) -> int:
    """Positions in nested lists ``depth`` levels down (the shapes are checked later)."""
    if not isinstance(value, list):
        return 0
    if depth == 1:
        return len(value)
    return sum(_count_positions(item, depth - 1) for item in value)


def _position(value: Any, where: str) -> tuple[float, float]:
    if not isinstance(value, list | tuple) or len(value) not in (2, 3):
        raise ZoneError(f"{where}: a position is [lon, lat], got {_short(value)}", "coordinates")
    if any(not _is_real(v) for v in value):
        raise ZoneError(f"{where}: positions must be numbers, got {_short(value)}", "coordinates")
    if not _valid_position(value[0], value[1]):
        raise ZoneError(
            f"{where}: coordinate {_short(list(value[:2]))} is out of range (lon -180..180, lat -90..90; "
            "GeoJSON order is [lon, lat])",
            "coordinates",
        )
    return float(value[0]), float(value[1])


def _polygon_rings(value: Any, crs: Crs, where: str) -> list[list[tuple[float, float]]]:
    if not isinstance(value, list) or not value:
        raise ZoneError(f"{where}: coordinates must be a non-empty list of rings", "coordinates")
    rings = []
    for r_index, ring in enumerate(value):
        if not isinstance(ring, list):
            raise ZoneError(f"{where} ring {r_index}: a ring is a list of positions", "coordinates")
        positions = [_position(p, f"{where} ring {r_index}") for p in ring]
        distinct = set(positions)
        if len(distinct) < 3:
            raise ZoneError(
                f"{where} ring {r_index}: a ring needs at least 3 distinct points, got {len(distinct)}",
                "coordinates",
            )
        lon = np.array([p[0] for p in positions])
        lat = np.array([p[1] for p in positions])
        wlat, wlon = to_wgs84_array(lat, lon, crs)
        rings.append(list(zip(wlon.tolist(), wlat.tolist(), strict=True)))
    return rings


def _rings_json(polygon: shapely.Polygon) -> list[JSON]:
    rings: list[JSON] = []
    for ring in [polygon.exterior, *polygon.interiors]:
        positions: list[JSON] = [[float(x), float(y)] for x, y, *_ in ring.coords]
        rings.append(positions)
    return rings


# ---------------------------------------------------------------------------
# Metric frame and filter geometries
# ---------------------------------------------------------------------------

# Buffer levels (metres) for the filters and crossing depths. A filter at level L is
# correct for every uncertainty threshold up to L.
BUFFER_LEVELS_M: tuple[float, ...] = (25, 50, 100, 150, 250, 400, 650, 1000, 1600, 2500, 4000, 6500, 10000)
# Added to every uncertainty threshold: 5 cm absorbs floating-point rounding and the
# centimetre left by a GCJ-02/BD-09 round trip, so a fix on the boundary is never certain.
VERDICT_SLACK_M = 0.05
# The filters serve good fixes; with the default 200 m accuracy limit they need level 250.
DEFAULT_FILTER_ACCURACY_M = 200.0
# Buffers are polygons with 4 segments per quarter circle, inscribed in the true offset
# curve, and GEOS may simplify its input by 1 % of the distance; enlarge for both, plus a
# flat half metre for rounding.
_QUAD_SEGS = 4
_BUFFER_INFLATION = 1.03 / math.cos(math.pi / (4 * _QUAD_SEGS))
_BUFFER_SLACK_M = 0.5
# Buffering a jagged polygon by more than its own size is slow (milliseconds to tens of
# milliseconds), so the polygon is first simplified by a fifth of the level. A simplified
# outline lies within the tolerance of the original (Douglas-Peucker), so buffering it by
# the tolerance more keeps the outer filter a superset and the inner filter a subset.
_SIMPLIFY_FRACTION = 0.2
# Upper bound of samples along one segment in crossing tests (a 1 km stretch at 0.5 m).
_MAX_SEGMENT_SAMPLES = 2000


_LEVELS = np.array(BUFFER_LEVELS_M, dtype=np.float64)


def level_for(threshold_m: float) -> float | None:
    """The smallest buffer level covering ``threshold_m``, or None beyond the last."""
    for level in BUFFER_LEVELS_M:
        if threshold_m <= level:
            return level
    return None


@dataclass(frozen=True)
class FilterPlan:
    """How the batch path filters one zone.

    Fixes with accuracy up to ``max_accuracy_m`` are tested against ``outer_level`` and
    ``inner_level`` filters; the rest go straight to the exact test.
    """

    inner_level: float
    outer_level: float
    max_accuracy_m: float


class ZoneMetric:
    """A zone's local metric frame, its geometry in that frame, and cached filter buffers.

    * ``frame`` is centred on the zone (on the centre for circles).
    * ``proj`` / ``boundary_proj`` are the zone and its boundary in frame metres, prepared
      for ``dwithin``; ``lonlat`` is the zone itself, prepared for ``contains_xy``.
    * ``outer(L)`` contains every point whose frame distance to the zone is at most L;
      ``inner(L)`` contains only points inside the zone farther than L from its boundary.
      Both are built in the frame, mapped back to lon/lat (an affine map, so exact) and
      prepared, so fixes can be tested in lon/lat without projecting them.
    """

    def __init__(self, zone: Zone) -> None:
        minx, miny, maxx, maxy = zone.geometry.bounds
        if zone.circle_spec is not None:
            self.frame = LocalFrame(zone.circle_spec.lat, zone.circle_spec.lon)
        else:
            self.frame = LocalFrame(0.5 * (miny + maxy), 0.5 * (minx + maxx))
        self.lat_lo = miny
        self.lat_hi = maxy
        self.bounds = (minx, miny, maxx, maxy)
        kx, ky = self.frame.kx, self.frame.ky
        lat0, lon0 = self.frame.lat0, self.frame.lon0
        self._to_frame = (kx, ky, lon0, lat0)
        self.lonlat = shapely.transform(zone.geometry, lambda c: c)
        shapely.prepare(self.lonlat)
        self.proj = shapely.transform(
            zone.geometry, lambda c: np.column_stack(((c[:, 0] - lon0) * kx, (c[:, 1] - lat0) * ky))
        )
        shapely.prepare(self.proj)
        self.boundary_proj = self.proj.boundary
        shapely.prepare(self.boundary_proj)
        self._outer: dict[float, BaseGeometry] = {}
        self._inner: dict[float, BaseGeometry] = {}
        self._plans: dict[tuple[float, float], FilterPlan] = {}
        # Degrees of latitude per metre, at its largest (the equator), for threshold ranges.
        self._deg_per_m = 1.0 / (float(meridian_radius(0.0)) * math.pi / 180.0)
        # 1 / min_scale for the latitude range of each buffer level (see ``threshold``).
        self.inv_scale: NDArray[np.float64] = 1.0 / self._scale_for(_LEVELS)

    def to_frame_xy(
        self, lat: NDArray[np.float64], lon: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Frame coordinates of WGS-84 points."""
        kx, ky, lon0, lat0 = self._to_frame
        return (lon - lon0) * kx, (lat - lat0) * ky

    def _to_lonlat(self, geometry: BaseGeometry) -> BaseGeometry:
        kx, ky, lon0, lat0 = self._to_frame
        out = shapely.transform(
            geometry, lambda c: np.column_stack((c[:, 0] / kx + lon0, c[:, 1] / ky + lat0))
        )
        shapely.prepare(out)
        return out

    def threshold(self, distance_m: NDArray[np.float64]) -> NDArray[np.float64]:
        """Frame distance below which a true distance of ``distance_m`` cannot be excluded.

        A true distance d between a point and the zone's boundary visits latitudes within
        d of the zone's latitude range; the frame overstates true lengths by at most
        1 / min_scale over that range (see ``geodesy``). The range is taken for d rounded
        up to the next buffer level, which keeps the factor a per-zone table lookup and only
        makes the threshold larger (safer). VERDICT_SLACK_M absorbs floating-point rounding
        and datum round trips, so a point on the boundary is uncertain even at accuracy 0.
        """
        d = np.asarray(distance_m, dtype=np.float64)
        bucket = np.searchsorted(_LEVELS, d, side="left")
        beyond = bucket >= _LEVELS.size
        factor = self.inv_scale[np.minimum(bucket, _LEVELS.size - 1)]
        if beyond.any():
            factor = np.where(beyond, 1.0 / self._scale_for(d), factor)
        out: NDArray[np.float64] = d * factor + VERDICT_SLACK_M
        return out

    def _scale_for(self, distance_m: NDArray[np.float64] | float) -> NDArray[np.float64]:
        ext = np.asarray(distance_m, dtype=np.float64) * self._deg_per_m
        return self.frame.min_scale(self.lat_lo - ext, self.lat_hi + ext)

    def threshold_scalar(self, distance: float) -> float:
        """``threshold`` for one distance."""
        return float(self.threshold(np.array([distance], dtype=np.float64))[0])

    def distance_within(self, level: float) -> float:
        """The largest true distance whose threshold is at most ``level``."""
        index = int(np.searchsorted(_LEVELS, level, side="left"))
        factor = self.inv_scale[index] if index < _LEVELS.size else 1.0 / float(self._scale_for(level))
        return max(0.0, (level - VERDICT_SLACK_M) / float(factor))

    def _buffered(self, level: float, sign: float) -> BaseGeometry:
        tolerance = _SIMPLIFY_FRACTION * level
        distance = level * _BUFFER_INFLATION + _BUFFER_SLACK_M + tolerance
        base = self.proj.simplify(tolerance, preserve_topology=True)
        return self._to_lonlat(base.buffer(sign * distance, quad_segs=_QUAD_SEGS))

    def outer(self, level: float) -> BaseGeometry:
        """Filter containing every point within ``level`` frame metres of the zone."""
        geometry = self._outer.get(level)
        if geometry is None:
            geometry = self._buffered(level, 1.0)
            self._outer[level] = geometry
        return geometry

    def inner(self, level: float) -> BaseGeometry:
        """Filter containing only points inside the zone more than ``level`` frame metres deep."""
        geometry = self._inner.get(level)
        if geometry is None:
            geometry = self._buffered(level, -1.0)
            self._inner[level] = geometry
        return geometry

    def segment_deeper_than(
        self, lat_a: float, lon_a: float, lat_b: float, lon_b: float, depth: float
    ) -> bool:
        """Whether the straight segment a-b reaches a point inside the zone more than
        ``depth`` frame metres from its boundary.

        The segment is clipped to the zone's bounding box and sampled every depth/4 (at
        least every half metre, at most _MAX_SEGMENT_SAMPLES samples); a sample inside and farther than ``depth`` from the
        boundary proves it. Distance to the boundary changes by at most the step between
        samples, so this never claims a crossing that is not there; it can miss one whose
        deepest point is less than half a step deeper than ``depth``.
        """
        kx, ky, lon0, lat0 = self._to_frame
        xa, ya = (lon_a - lon0) * kx, (lat_a - lat0) * ky
        xb, yb = (lon_b - lon0) * kx, (lat_b - lat0) * ky
        minx, miny, maxx, maxy = self.proj.bounds
        clipped = _clip_segment(xa, ya, xb, yb, minx, miny, maxx, maxy)
        if clipped is None:
            return False
        x0, y0, x1, y1 = clipped
        step = max(depth / 4.0, 0.5)
        count = min(int(math.hypot(x1 - x0, y1 - y0) / step) + 2, _MAX_SEGMENT_SAMPLES)
        t = np.linspace(0.0, 1.0, count)
        x = x0 + t * (x1 - x0)
        y = y0 + t * (y1 - y0)
        inside = shapely.contains_xy(self.proj, x, y)
        if not inside.any():
            return False
        points = shapely.points(x[inside], y[inside])
        return bool((~shapely.dwithin(self.boundary_proj, points, depth)).any())

    def filter_plan(self, max_accuracy_m: float, approach_buffer_m: float) -> FilterPlan | None:
        """The filter levels for fixes up to ``max_accuracy_m`` (None if beyond the levels)."""
        key = (max_accuracy_m, approach_buffer_m)
        plan = self._plans.get(key)
        if plan is None:
            inner_level = level_for(self.threshold_scalar(max_accuracy_m))
            if inner_level is None:
                return None
            # Round the accuracy limit up to what the level can serve, so that fixes just
            # above the configured limit are not sent to the exact test for nothing.
            accuracy_cap = self.distance_within(inner_level)
            outer_level: float | None = inner_level
            if approach_buffer_m > 0:
                outer_level = level_for(self.threshold_scalar(approach_buffer_m + accuracy_cap))
                if outer_level is None:
                    return None
            assert outer_level is not None
            plan = FilterPlan(inner_level, outer_level, accuracy_cap)
            self._plans[key] = plan
        return plan


def _clip_segment(
    xa: float, ya: float, xb: float, yb: float, minx: float, miny: float, maxx: float, maxy: float
) -> tuple[float, float, float, float] | None:
    """Liang-Barsky clipping of a segment to a rectangle; None when it misses."""
    t0, t1 = 0.0, 1.0
    dx, dy = xb - xa, yb - ya
    for p, q in ((-dx, xa - minx), (dx, maxx - xa), (-dy, ya - miny), (dy, maxy - ya)):
        if p == 0.0:
            if q < 0.0:
                return None
            continue
        r = q / p
        if p < 0.0:
            t0 = max(t0, r)
        else:
            t1 = min(t1, r)
        if t0 > t1:
            return None
    return xa + t0 * dx, ya + t0 * dy, xa + t1 * dx, ya + t1 * dy


def zones_by_id(zones: Sequence[Zone]) -> dict[str, Zone]:
    """Index zones by id, refusing duplicates (a person's zone ids must be unique)."""
    out: dict[str, Zone] = {}
    for zone in zones:
        if zone.id in out:
            raise ZoneError(f"duplicate zone id {zone.id!r}", "id")
        out[zone.id] = zone
    return out
