"""Uncertainty-aware verdicts: is a fix inside a zone, outside it, or can we not tell?

A fix is a position with an accuracy radius (the phone's ~68 % radius). The verdict is
INSIDE or OUTSIDE only when the whole accuracy disc is on one side of the boundary; a disc
that crosses (or touches) the boundary is UNCERTAIN, and uncertain fixes never confirm a
breach. That single rule removes the GPS-drift false alarms that boundary-crossing
trackers are known for.

How it is computed, exactly and in metres:

* Inside or outside is the point-in-polygon answer in lon/lat (GeoJSON's straight edges),
  for circles the ellipsoidal distance to the centre against the radius.
* Distance to the boundary is measured in the zone's local equirectangular frame
  (``geodesy.LocalFrame``). The frame can overstate true lengths by the factor
  ``ZoneMetric.threshold`` accounts for, so "disc crosses the boundary" is tested as
  ``frame distance <= threshold(accuracy)``: never a certain verdict where the true disc
  touches the boundary. At county scale the threshold exceeds the accuracy by under 0.7 %
  (under 1 m at 150 m); for a zone a few kilometres across, by under 0.01 %.
* Circles use the mean-latitude distance and its error bound (``geodesy``).

The batch path first tests fixes in lon/lat against two prepared buffers per zone
(``ZoneMetric.outer`` / ``inner``, see ``filter_rows``): a fix outside the outer buffer is
certainly OUTSIDE, a fix inside the inner buffer certainly INSIDE, and only the fixes in
between get the exact test, vectorised over (fix, zone) pairs by ``ZoneTable``. The filters
are conservative by construction, so both paths give the same verdicts (a property test
checks this).
"""

from __future__ import annotations

import enum
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from geofence.geodesy import disc_bounds, distance_error_bound_m, distance_m, meridian_radius
from geofence.zones import BUFFER_LEVELS_M, DEFAULT_FILTER_ACCURACY_M, VERDICT_SLACK_M, Circle, Zone, ZoneKind

__all__ = [
    "CODE_INSIDE",
    "CODE_NOT_EVALUATED",
    "CODE_OUTSIDE",
    "CODE_UNCERTAIN",
    "Verdict",
    "ZoneFilter",
    "ZoneTable",
    "ZoneTerms",
    "circle_reach_bounds",
    "filter_rows",
    "screen_bounds",
    "verdict_codes",
    "verdict_for",
    "zone_distance_m",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
CodeArray = NDArray[np.int8]


class Verdict(enum.StrEnum):
    """Where a fix is relative to a zone, given its accuracy."""

    INSIDE = "inside"
    OUTSIDE = "outside"
    UNCERTAIN = "uncertain"


CODE_OUTSIDE = 0
CODE_INSIDE = 1
CODE_UNCERTAIN = 2
CODE_NOT_EVALUATED = -1
VERDICT_BY_CODE: dict[int, Verdict] = {
    CODE_OUTSIDE: Verdict.OUTSIDE,
    CODE_INSIDE: Verdict.INSIDE,
    CODE_UNCERTAIN: Verdict.UNCERTAIN,
}
_LEVELS = np.array(BUFFER_LEVELS_M, dtype=np.float64)
# The same slack for circles as ZoneMetric.threshold gives polygons.
_SLACK_M = VERDICT_SLACK_M
# Pairs per batch of point geometries in ZoneTable.exact (below the garbage collector's
# first threshold of 700 allocations).
_POINT_CHUNK = 512


@dataclass
class ZoneTerms:
    """Per-fix answers for one zone.

    ``codes``: verdict codes. ``near``: within the approach buffer (point estimate, 0 when
    inside). ``far``: the whole accuracy disc is beyond the approach buffer. ``near`` and
    ``far`` are None when the zone has no approach buffer.
    """

    codes: CodeArray
    near: BoolArray | None
    far: BoolArray | None


# ---------------------------------------------------------------------------
# Exact computation over (fix, zone) pairs
# ---------------------------------------------------------------------------


class ZoneTable:
    """Per-zone parameters in arrays, so exact tests run vectorised over (fix, zone) pairs.

    Shapely's predicates broadcast over arrays of (prepared) geometries, so one call tests
    pairs from thousands of zones at once; the per-zone frame, threshold factors and circle
    parameters are gathered per pair with NumPy.
    """

    def __init__(self, zones: Sequence[Zone]) -> None:
        metrics = [z.metric for z in zones]
        self.zones = list(zones)
        self.lon0 = np.array([m.frame.lon0 for m in metrics], dtype=np.float64)
        self.lat0 = np.array([m.frame.lat0 for m in metrics], dtype=np.float64)
        self.kx = np.array([m.frame.kx for m in metrics], dtype=np.float64)
        self.ky = np.array([m.frame.ky for m in metrics], dtype=np.float64)
        self.lonlat = np.array([m.lonlat for m in metrics], dtype=object)
        self.proj = np.array([m.proj for m in metrics], dtype=object)
        self.boundary = np.array([m.boundary_proj for m in metrics], dtype=object)
        self.inv_scale = np.array([m.inv_scale for m in metrics], dtype=np.float64).reshape(len(metrics), -1)
        self.is_circle = np.array([z.circle_spec is not None for z in zones], dtype=bool)
        self.c_lat = np.array([z.circle_spec.lat if z.circle_spec else 0.0 for z in zones], dtype=np.float64)
        self.c_lon = np.array([z.circle_spec.lon if z.circle_spec else 0.0 for z in zones], dtype=np.float64)
        self.c_r = np.array(
            [z.circle_spec.radius_m if z.circle_spec else 0.0 for z in zones], dtype=np.float64
        )
        self.buffer_m = np.array(
            [z.approach_buffer_m if z.kind is ZoneKind.EXCLUSION else 0.0 for z in zones], dtype=np.float64
        )

    def threshold(self, zi: IntArray, distance_m: FloatArray) -> FloatArray:
        """Per-pair ``ZoneMetric.threshold`` (same formula, same table)."""
        bucket = np.searchsorted(_LEVELS, distance_m, side="left")
        beyond = bucket >= _LEVELS.size
        factor = self.inv_scale[zi, np.minimum(bucket, _LEVELS.size - 1)]
        if beyond.any():
            # Beyond the last level each zone computes its own factor (rare: > 10 km).
            for k in np.flatnonzero(beyond).tolist():
                zone = self.zones[int(zi[k])]
                factor[k] = (zone.metric.threshold_scalar(float(distance_m[k])) - VERDICT_SLACK_M) / float(
                    distance_m[k]
                )
        out: FloatArray = distance_m * factor + VERDICT_SLACK_M
        return out

    def _polygon_chunk(
        self,
        pz: IntArray,
        px: FloatArray,
        py: FloatArray,
        level: FloatArray,
        acc: FloatArray,
        buffer_m: FloatArray | None,
        uncertain: BoolArray,
        near: BoolArray,
        far: BoolArray,
    ) -> None:
        """Boundary and approach tests for a few polygon pairs (frame coordinates px, py);
        fills the views ``uncertain``, ``near`` and ``far``. The point geometries die on
        return."""
        points = shapely.points(px, py)
        uncertain[:] = shapely.dwithin(self.boundary[pz], points, level)
        if buffer_m is None:
            return
        with_buffer = np.flatnonzero(buffer_m > 0)
        if with_buffer.size == 0:
            return
        bz = pz[with_buffer]
        bpoints = points[with_buffer]
        b = buffer_m[with_buffer]
        b_near = shapely.dwithin(self.proj[bz], bpoints, b)
        # A fix within the buffer is within the larger far threshold too, so only the
        # others need the second test.
        far_level = self.threshold(bz, b + acc[with_buffer])
        b_far = np.zeros(bz.size, dtype=bool)
        ask = np.flatnonzero(~b_near | (far_level < b))
        if ask.size:
            b_far[ask] = ~shapely.dwithin(self.proj[bz[ask]], bpoints[ask], far_level[ask])
        near[with_buffer] = b_near
        far[with_buffer] = b_far

    def exact(
        self, zi: IntArray, lat: FloatArray, lon: FloatArray, acc: FloatArray, approach: bool
    ) -> tuple[CodeArray, BoolArray, BoolArray]:
        """Codes, near and far for pairs (zone ``zi[k]``, fix k); see the module docstring.

        ``near``/``far`` are only meaningful for pairs whose zone has an approach buffer
        (False/True elsewhere) and only computed when ``approach`` is set.
        """
        n = zi.size
        codes = np.zeros(n, dtype=np.int8)
        near = np.zeros(n, dtype=bool)
        far = np.ones(n, dtype=bool)
        if n == 0:
            return codes, near, far
        circle = self.is_circle[zi]
        polygon_rows = np.flatnonzero(~circle) if circle.any() else np.arange(n)
        if polygon_rows.size:
            pz = zi[polygon_rows]
            plat, plon, pacc = lat[polygon_rows], lon[polygon_rows], acc[polygon_rows]
            inside = shapely.contains_xy(self.lonlat[pz], plon, plat)
            px = (plon - self.lon0[pz]) * self.kx[pz]
            py = (plat - self.lat0[pz]) * self.ky[pz]
            level = self.threshold(pz, pacc)
            uncertain = np.zeros(pz.size, dtype=bool)
            buffer_m = self.buffer_m[pz] if approach else None
            p_near = np.zeros(pz.size, dtype=bool)
            p_far = np.ones(pz.size, dtype=bool)
            # Point geometries are made a chunk at a time and dropped straight away: a
            # large array of them would outlive several garbage-collector passes, be
            # promoted to the oldest generation and bring on full collections, whose cost
            # grows with everything else the process holds.
            for lo in range(0, pz.size, _POINT_CHUNK):
                chunk = slice(lo, min(lo + _POINT_CHUNK, pz.size))
                self._polygon_chunk(
                    pz[chunk],
                    px[chunk],
                    py[chunk],
                    level[chunk],
                    pacc[chunk],
                    None if buffer_m is None else buffer_m[chunk],
                    uncertain[chunk],
                    p_near[chunk],
                    p_far[chunk],
                )
            codes[polygon_rows] = np.where(
                uncertain, CODE_UNCERTAIN, np.where(inside, CODE_INSIDE, CODE_OUTSIDE)
            )
            if buffer_m is not None:
                near[polygon_rows] = p_near
                far[polygon_rows] = p_far
        circle_rows = np.flatnonzero(circle)
        if circle_rows.size:
            cz = zi[circle_rows]
            cacc = acc[circle_rows]
            c_lat = self.c_lat[cz]
            f_lat = lat[circle_rows]
            d = distance_m(c_lat, self.c_lon[cz], f_lat, lon[circle_rows])
            err = distance_error_bound_m(d, np.maximum(np.abs(c_lat), np.abs(f_lat))) + _SLACK_M
            r = self.c_r[cz]
            uncertain = np.abs(d - r) <= cacc + err
            codes[circle_rows] = np.where(
                uncertain, CODE_UNCERTAIN, np.where(d < r, CODE_INSIDE, CODE_OUTSIDE)
            )
            if approach:
                b = self.buffer_m[cz]
                has = b > 0
                near[circle_rows] = has & (d - r <= b)
                far[circle_rows] = ~has | (d - r > b + cacc + err)
        return codes, near, far


# ---------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ZoneFilter:
    """A zone's prepared filters for one accuracy limit (see the module docstring)."""

    inclusion: bool
    outer: BaseGeometry
    inner: BaseGeometry
    max_accuracy_m: float
    outer_bounds: tuple[float, float, float, float]
    # An axis-aligned square inside ``inner`` (inclusion zones): a person whose fixes all
    # fall in it is deep inside without testing each fix.
    inner_box: tuple[float, float, float, float] | None = None


def _square_inside(geometry: BaseGeometry) -> tuple[float, float, float, float] | None:
    """A square inside a polygonal geometry: inscribed in its largest inscribed circle."""
    if geometry.is_empty:
        return None
    minx, miny, maxx, maxy = geometry.bounds
    line = shapely.maximum_inscribed_circle(geometry, max(maxx - minx, maxy - miny) / 1000.0)
    (cx, cy), _ = line.coords
    # The radius is the centre's true distance to the boundary; shrink a hair for rounding.
    half = line.length / math.sqrt(2.0) * 0.999
    if half <= 0:
        return None
    return (cx - half, cy - half, cx + half, cy + half)


def zone_filter(zone: Zone, filter_accuracy_m: float, approach: bool) -> ZoneFilter | None:
    """The filters of a polygon zone (None for circles or beyond the buffer levels)."""
    if zone.circle_spec is not None:
        return None
    metric = zone.metric
    plan = metric.filter_plan(filter_accuracy_m, zone.approach_buffer_m if approach else 0.0)
    if plan is None:
        return None
    outer = metric.outer(plan.outer_level)
    inner = metric.inner(plan.inner_level)
    inclusion = zone.kind is ZoneKind.INCLUSION
    minx, miny, maxx, maxy = (float(b) for b in outer.bounds)
    return ZoneFilter(
        inclusion,
        outer,
        inner,
        plan.max_accuracy_m,
        (minx, miny, maxx, maxy),
        _square_inside(inner) if inclusion else None,
    )


def filter_rows(f: ZoneFilter, lon: FloatArray, lat: FloatArray) -> tuple[IntArray, IntArray]:
    """Rows certainly deep inside, and rows that need the exact test (all others are
    certainly outside and, for approach zones, beyond the approach buffer).

    Valid for fixes with accuracy up to ``f.max_accuracy_m``. Tests first against the
    filter most fixes settle on: people are usually inside their inclusion zones and far
    from their exclusion zones.
    """
    if f.inclusion:
        in_inner = shapely.contains_xy(f.inner, lon, lat)
        if in_inner.all():
            return np.arange(lon.size), np.zeros(0, dtype=np.int64)
        deep = np.flatnonzero(in_inner)
        rest = np.flatnonzero(~in_inner)
        band = rest[shapely.contains_xy(f.outer, lon[rest], lat[rest])]
        return deep, band
    in_outer = shapely.contains_xy(f.outer, lon, lat)
    if not in_outer.any():
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    near_rows = np.flatnonzero(in_outer)
    in_inner = shapely.contains_xy(f.inner, lon[near_rows], lat[near_rows])
    return near_rows[in_inner], near_rows[~in_inner]


def verdict_codes(
    zone: Zone,
    lat: FloatArray,
    lon: FloatArray,
    acc: FloatArray,
    *,
    approach: bool | None = None,
    use_filters: bool = True,
    filter_accuracy_m: float = DEFAULT_FILTER_ACCURACY_M,
) -> ZoneTerms:
    """Verdict codes (and approach terms) for arrays of WGS-84 fixes against one zone.

    ``approach`` defaults to whether the zone is an exclusion zone with a buffer. With
    ``use_filters`` the fixes with accuracy up to ``filter_accuracy_m`` are first screened
    by the prepared filters; the answers are the same either way.
    """
    if approach is None:
        approach = zone.kind is ZoneKind.EXCLUSION and zone.approach_buffer_m > 0
    table = ZoneTable([zone])
    n = lat.size
    f = zone_filter(zone, filter_accuracy_m, approach) if use_filters and n else None
    if f is None:
        codes, near, far = table.exact(np.zeros(n, dtype=np.int64), lat, lon, acc, approach)
    else:
        codes = np.zeros(n, dtype=np.int8)
        near = np.zeros(n, dtype=bool)
        far = np.ones(n, dtype=bool)
        narrow = acc <= f.max_accuracy_m
        rows = np.flatnonzero(narrow)
        deep, band = filter_rows(f, lon[rows], lat[rows])
        deep = rows[deep]
        codes[deep] = CODE_INSIDE
        near[deep] = True
        far[deep] = False
        exact_rows = np.concatenate((rows[band], np.flatnonzero(~narrow)))
        if exact_rows.size:
            c, nr, fr = table.exact(
                np.zeros(exact_rows.size, dtype=np.int64),
                lat[exact_rows],
                lon[exact_rows],
                acc[exact_rows],
                approach,
            )
            codes[exact_rows] = c
            near[exact_rows] = nr
            far[exact_rows] = fr
    if not approach:
        return ZoneTerms(codes, None, None)
    return ZoneTerms(codes, near, far)


# ---------------------------------------------------------------------------
# Screening boxes
# ---------------------------------------------------------------------------


Bounds = tuple[float, float, float, float]


def circle_reach_bounds(
    lat: FloatArray, lon: FloatArray, radius_m: FloatArray, reach_m: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Boxes outside which the exact test calls a fix certainly OUTSIDE (and beyond any
    approach buffer) for circles of ``radius_m``, whenever its accuracy plus the buffer is
    at most ``reach_m``.

    The exact test is not OUTSIDE while d <= r + a + E(d), d being ``distance_m`` and E its
    error bound plus the slack (E grows with d and with the latitude). With X = a + b <= reach, every d up to 2 (r + X) that passes
    is at most r + X + E(2 (r + X)), so a box holding that distance holds every such fix.
    (E(d) is a bound measured for regional distances; past about 10,000 km it exceeds d / 2
    and the exact test grows uncertain about fixes on the far side of the Earth, which no
    box around the circle can follow.)
    """
    double = 2.0 * (radius_m + reach_m)
    # The exact test takes the bound at the more poleward of centre and fix; a fix at d
    # lies within d of the centre's latitude (a degree of latitude is at least M(0) long).
    poleward = np.abs(lat) + double / (float(meridian_radius(0.0)) * math.pi / 180.0)
    margin = distance_error_bound_m(double, poleward) + _SLACK_M + 1e-6 * (1.0 + double)
    return disc_bounds(lat, lon, radius_m + reach_m + margin)


@functools.lru_cache(maxsize=65_536)
def _circle_screen_bounds(circle: Circle, polygon_bounds: Bounds) -> Bounds:
    minx, miny, maxx, maxy = (
        float(v[0])
        for v in circle_reach_bounds(
            np.array([circle.lat]), np.array([circle.lon]), np.array([circle.radius_m]), np.zeros(1)
        )
    )
    return (
        min(minx, polygon_bounds[0]),
        min(miny, polygon_bounds[1]),
        max(maxx, polygon_bounds[2]),
        max(maxy, polygon_bounds[3]),
    )


def screen_bounds(zone: Zone) -> Bounds:
    """A (min lon, min lat, max lon, max lat) box holding the whole zone, for screens.

    For polygons their bounds. A circle's display polygon falls up to a metre short of the
    true circle wherever no vertex sits on the bearing of an extreme, so a circle's box
    holds both the polygon and everything the exact test may place inside the true circle.
    """
    bounds: Bounds = zone.metric.bounds
    if zone.circle_spec is None:
        return bounds
    return _circle_screen_bounds(zone.circle_spec, bounds)


# ---------------------------------------------------------------------------
# Scalar API
# ---------------------------------------------------------------------------


def _check_point(lat: float, lon: float, accuracy_m: float) -> None:
    if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
        raise ValueError(f"({lat}, {lon}) is not a WGS-84 position")
    if not (math.isfinite(accuracy_m) and accuracy_m >= 0):
        raise ValueError(f"accuracy_m must be a finite number >= 0, got {accuracy_m!r}")


def verdict_for(zone: Zone, lat: float, lon: float, accuracy_m: float) -> Verdict:
    """INSIDE / OUTSIDE when the whole accuracy disc is on one side, else UNCERTAIN.

    ``lat``/``lon`` are WGS-84 (normalise other datums with ``to_wgs84`` first).
    """
    _check_point(lat, lon, accuracy_m)
    terms = verdict_codes(
        zone,
        np.array([lat], dtype=np.float64),
        np.array([lon], dtype=np.float64),
        np.array([accuracy_m], dtype=np.float64),
        approach=False,
        use_filters=False,
    )
    return VERDICT_BY_CODE[int(terms.codes[0])]


def zone_distance_m(zone: Zone, lat: float, lon: float) -> float:
    """Distance from a WGS-84 point to the zone in metres (0 inside); for event details.

    Polygons: frame distance (within the frame's scale error, see module docstring);
    circles: ellipsoidal distance to the rim.
    """
    _check_point(lat, lon, 0.0)
    circle = zone.circle_spec
    if circle is not None:
        d = float(distance_m(circle.lat, circle.lon, lat, lon)[()])
        return max(0.0, d - circle.radius_m)
    metric = zone.metric
    x, y = metric.to_frame_xy(np.array([lat]), np.array([lon]))
    return float(shapely.distance(metric.proj, shapely.points(x, y))[0])
