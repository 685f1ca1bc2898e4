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

The batch path (``verdict_codes`` with ``use_filters=True``) first tests fixes in lon/lat
against two prepared buffers per zone (``ZoneMetric.outer`` / ``inner``): a fix outside the
outer buffer is certainly OUTSIDE, a fix inside the inner buffer certainly INSIDE, and only
the fixes in between get the exact test. The filters are conservative by construction, so
both paths give the same verdicts (a property test checks this).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

from geofence.geodesy import distance_error_bound_m, distance_m
from geofence.zones import BUFFER_LEVELS_M, Zone, ZoneKind, ZoneMetric, level_for

__all__ = [
    "CODE_INSIDE",
    "CODE_NOT_EVALUATED",
    "CODE_OUTSIDE",
    "CODE_UNCERTAIN",
    "Verdict",
    "ZoneTerms",
    "verdict_codes",
    "verdict_for",
    "zone_distance_m",
]

FloatArray = NDArray[np.float64]
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
# A centimetre of slack for floating-point rounding in circle tests (polygons get theirs
# from ZoneMetric.threshold).
_SLACK_M = 0.01


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
# Exact computation
# ---------------------------------------------------------------------------


def _exact(
    zone: Zone, metric: ZoneMetric, lat: FloatArray, lon: FloatArray, acc: FloatArray, approach: bool
) -> ZoneTerms:
    n = lat.size
    codes = np.zeros(n, dtype=np.int8)
    near: BoolArray | None = None
    far: BoolArray | None = None
    buffer_m = zone.approach_buffer_m
    circle = zone.circle_spec
    if circle is not None:
        d = distance_m(circle.lat, circle.lon, lat, lon)
        err = distance_error_bound_m(d) + _SLACK_M
        inside = d < circle.radius_m
        uncertain = np.abs(d - circle.radius_m) <= acc + err
        if approach:
            near = d - circle.radius_m <= buffer_m
            far = d - circle.radius_m > buffer_m + acc + err
    else:
        inside = shapely.contains_xy(metric.lonlat, lon, lat)
        x, y = metric.to_frame_xy(lat, lon)
        points = shapely.points(x, y)
        uncertain = shapely.dwithin(metric.boundary_proj, points, metric.threshold(acc))
        if approach:
            near = shapely.dwithin(metric.proj, points, buffer_m)
            far = ~shapely.dwithin(metric.proj, points, metric.threshold(buffer_m + acc))
    codes[inside] = CODE_INSIDE
    codes[uncertain] = CODE_UNCERTAIN
    return ZoneTerms(codes, near, far)


# ---------------------------------------------------------------------------
# Filtered (batch) computation
# ---------------------------------------------------------------------------


def _pick_level(metric: ZoneMetric, needed: float, *, outer: bool) -> float | None:
    # Reuse a wider filter that is already built rather than build a new one: building
    # costs about a millisecond per zone, testing against a wider one almost nothing.
    cached = metric.cached_outer_level(needed) if outer else metric.cached_inner_level(needed)
    return cached if cached is not None else level_for(needed)


def _filtered(
    zone: Zone, metric: ZoneMetric, lat: FloatArray, lon: FloatArray, acc: FloatArray, approach: bool
) -> ZoneTerms:
    n = lat.size
    if n == 0:
        empty = np.zeros(0, dtype=bool)
        return ZoneTerms(np.zeros(0, dtype=np.int8), empty if approach else None, empty if approach else None)
    max_acc = float(acc.max())
    inner_needed = float(metric.threshold(np.array([max_acc]))[0])
    outer_needed = inner_needed
    if approach:
        outer_needed = max(outer_needed, float(metric.threshold(np.array([zone.approach_buffer_m + max_acc]))[0]))
    outer_level = _pick_level(metric, outer_needed, outer=True)
    inner_level = _pick_level(metric, inner_needed, outer=False)
    if outer_level is None or inner_level is None:
        return _exact(zone, metric, lat, lon, acc, approach)
    codes = np.zeros(n, dtype=np.int8)
    near = np.zeros(n, dtype=bool) if approach else None
    far = np.ones(n, dtype=bool) if approach else None
    in_outer = shapely.contains_xy(metric.outer(outer_level), lon, lat)
    rows = np.flatnonzero(in_outer)
    if rows.size == 0:
        return ZoneTerms(codes, near, far)
    deep = shapely.contains_xy(metric.inner(inner_level), lon[rows], lat[rows])
    deep_rows = rows[deep]
    codes[deep_rows] = CODE_INSIDE
    if approach:
        assert near is not None and far is not None
        near[deep_rows] = True
        far[deep_rows] = False
    band = rows[~deep]
    if band.size:
        exact = _exact(zone, metric, lat[band], lon[band], acc[band], approach)
        codes[band] = exact.codes
        if approach:
            assert near is not None and far is not None and exact.near is not None and exact.far is not None
            near[band] = exact.near
            far[band] = exact.far
    return ZoneTerms(codes, near, far)


def verdict_codes(
    zone: Zone,
    lat: FloatArray,
    lon: FloatArray,
    acc: FloatArray,
    *,
    approach: bool | None = None,
    use_filters: bool = True,
) -> ZoneTerms:
    """Verdict codes (and approach terms) for arrays of WGS-84 fixes against one zone.

    ``approach`` defaults to whether the zone is an exclusion zone with a buffer. Circles
    never need the filters (their exact test is a handful of array operations).
    """
    if approach is None:
        approach = zone.kind is ZoneKind.EXCLUSION and zone.approach_buffer_m > 0
    metric = zone.metric
    if use_filters and zone.circle_spec is None:
        return _filtered(zone, metric, lat, lon, acc, approach)
    return _exact(zone, metric, lat, lon, acc, approach)


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


def filter_levels() -> tuple[float, ...]:
    """The buffer levels the batch filters use (metres), for warm-up and documentation."""
    return BUFFER_LEVELS_M
