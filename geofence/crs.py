"""Coordinate systems used by phones in China, and their normalisation to WGS-84.

GPS chips report WGS-84. Maps licensed in mainland China do not: AMap (Gaode) and
Tencent use GCJ-02, an obfuscated datum that shifts points by a few hundred metres, and
Baidu uses BD-09, a further shift of GCJ-02. The engine works in WGS-84 only, so every fix
and every zone vertex is normalised here first.

The GCJ-02 forward transform is the published public formula (Krasovsky-ellipsoid constants,
a polynomial-plus-sine offset around lon 105, lat 35). Nobody publishes an inverse, so the
inverse is a fixed-point iteration on the forward transform: the offset changes by well
under 1 % per kilometre, so each step gains about three decimal digits and a handful of
steps reach 1e-11 degrees (under a millimetre).

Outside mainland China the offsets are not applied, as the map vendors do. "Mainland China"
is the rectangle used by the usual implementations (lon 72.004-137.8347, lat 0.8293-55.8271);
it is coarse (it includes, for instance, parts of neighbouring countries) but it is what the
vendors' SDKs use, and matching them is what matters.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "Crs",
    "from_wgs84",
    "from_wgs84_array",
    "in_china",
    "to_wgs84",
    "to_wgs84_array",
]

FloatArray = NDArray[np.float64]
_Forward = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]


class Crs(enum.StrEnum):
    """The datum a coordinate pair is expressed in."""

    WGS84 = "wgs84"
    GCJ02 = "gcj02"
    BD09 = "bd09"


# Integer codes for the columnar (NumPy) paths; the values are part of the batch format.
CRS_CODES: dict[Crs, int] = {Crs.WGS84: 0, Crs.GCJ02: 1, Crs.BD09: 2}

# ---------------------------------------------------------------------------
# GCJ-02 and BD-09 forward transforms
# ---------------------------------------------------------------------------

_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323
_BD_X_PI = math.pi * 3000.0 / 180.0

_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)

# The inverse's guaranteed accuracy (degrees; 1e-7 is about 1 cm), and upper bounds of the
# offsets' Jacobian norms with a margin (see _invert).
_INVERSE_MAX_ERROR_DEG = 1e-7
_GCJ_CONTRACTION = 0.01
_BD_CONTRACTION = 0.03
# Lattice for the inverse's starting point: 0.02 degrees (about 2 km); a dense table of at
# most 40,000 nodes (or four per point), else only the nodes around occupied cells.
_GRID_STEP_DEG = 0.02
_GRID_MAX_NODES = 40_000
# Lattice node keys: row * stride + column (columns of 0.02 degrees never reach 1e6).
_KEY_STRIDE = 1_000_000
_INVERSE_MAX_STEPS = 30
# Fixed-point steps for the lattice nodes of the starting grid.
_GRID_STEPS = 2


def _china_mask(lat: FloatArray, lon: FloatArray) -> NDArray[np.bool_]:
    return (lon >= _CHINA_LON[0]) & (lon <= _CHINA_LON[1]) & (lat >= _CHINA_LAT[0]) & (lat <= _CHINA_LAT[1])


def in_china(lat: float, lon: float) -> bool:
    """True where the GCJ-02 / BD-09 offsets apply (the vendors' mainland rectangle)."""
    return bool(_CHINA_LON[0] <= lon <= _CHINA_LON[1] and _CHINA_LAT[0] <= lat <= _CHINA_LAT[1])


def _gcj_offset(lat: FloatArray, lon: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The GCJ-02 shift (dlat, dlon) in degrees at a WGS-84 point, ignoring the China test.

    This is the public formula. To keep the vectorised path fast, the harmonics that are
    integer multiples of one another come from the triple- and double-angle identities
    instead of separate sine calls (9 trigonometric calls instead of 14); the rounding this
    adds is around 1e-18 degrees.
    """
    x = lon - 105.0
    y = lat - 35.0
    pi = math.pi
    a = x * (pi / 3.0)
    s_a = np.sin(a)
    c_a = np.cos(a)
    sin_px = s_a * (3.0 - 4.0 * s_a * s_a)  # sin(pi x) = sin(3a)
    cos_px = c_a * (4.0 * c_a * c_a - 3.0)  # cos(pi x) = cos(3a)
    sin_2px = 2.0 * sin_px * cos_px
    sin_6px = sin_2px * (3.0 - 4.0 * sin_2px * sin_2px)
    b = y * (pi / 3.0)
    s_b = np.sin(b)
    sin_py = s_b * (3.0 - 4.0 * s_b * s_b)
    shared = (20.0 * sin_6px + 20.0 * sin_2px) * (2.0 / 3.0)
    sqrt_abs_x = np.sqrt(np.abs(x))
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x + shared
    dlat += (20.0 * sin_py + 40.0 * s_b) * (2.0 / 3.0)
    dlat += (160.0 * np.sin(y * (pi / 12.0)) + 320.0 * np.sin(y * (pi / 30.0))) * (2.0 / 3.0)
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x + shared
    dlon += (20.0 * sin_px + 40.0 * s_a) * (2.0 / 3.0)
    dlon += (150.0 * np.sin(x * (pi / 12.0)) + 300.0 * np.sin(x * (pi / 30.0))) * (2.0 / 3.0)
    rad_lat = lat * (pi / 180.0)
    sin_lat = np.sin(rad_lat)
    magic = 1.0 - _KRASOVSKY_EE * sin_lat * sin_lat
    sqrt_magic = np.sqrt(magic)
    dlat *= 180.0 / ((_KRASOVSKY_A * (1.0 - _KRASOVSKY_EE)) / (magic * sqrt_magic) * pi)
    dlon *= 180.0 / (_KRASOVSKY_A / sqrt_magic * np.cos(rad_lat) * pi)
    return dlat, dlon


def _wgs_to_gcj(lat: FloatArray, lon: FloatArray) -> tuple[FloatArray, FloatArray]:
    dlat, dlon = _gcj_offset(lat, lon)
    inside = _china_mask(lat, lon)
    return np.where(inside, lat + dlat, lat), np.where(inside, lon + dlon, lon)


def _gcj_to_bd(lat: FloatArray, lon: FloatArray) -> tuple[FloatArray, FloatArray]:
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _BD_X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _BD_X_PI)
    return z * np.sin(theta) + 0.006, z * np.cos(theta) + 0.0065


def _wgs_to_bd(lat: FloatArray, lon: FloatArray) -> tuple[FloatArray, FloatArray]:
    inside = _china_mask(lat, lon)
    glat, glon = _wgs_to_gcj(lat, lon)
    blat, blon = _gcj_to_bd(glat, glon)
    return np.where(inside, blat, lat), np.where(inside, blon, lon)


# ---------------------------------------------------------------------------
# Inverse by fixed-point iteration
# ---------------------------------------------------------------------------


def _grid_guess(
    forward: _Forward, contraction: float, lat: FloatArray, lon: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """A starting point for the inverse, bilinearly interpolated from a table.

    The inverse is approximated at the nodes of a fixed lattice (multiples of
    _GRID_STEP_DEG, the same for every batch) around the points by two fixed-point steps,
    and the correction is interpolated for each point. Interpolation is only a start (off
    by about 0.2 m for GCJ-02, a few metres for BD-09); the certified iteration in
    ``_invert`` does the rest, usually in a single step for GCJ-02 and two for BD-09.
    Because the lattice does not depend on the batch, a point's answer does not depend on
    which other points were converted with it (the batch and per-person paths agree to the
    last bit). Points outside China start from themselves (the transform is the identity).
    """
    out_lat = lat.copy()
    out_lon = lon.copy()
    china = np.flatnonzero(_china_mask(lat, lon))
    if china.size == 0:
        return out_lat, out_lon
    clat = lat[china]
    clon = lon[china]
    fi = clat * (1.0 / _GRID_STEP_DEG)
    fj = clon * (1.0 / _GRID_STEP_DEG)
    i = np.floor(fi).astype(np.int64)
    j = np.floor(fj).astype(np.int64)
    u = fi - i
    v = fj - j
    i_lo, i_hi = int(i.min()), int(i.max()) + 1
    j_lo, j_hi = int(j.min()), int(j.max()) + 1
    n_i = i_hi - i_lo + 1
    n_j = j_hi - j_lo + 1
    if n_i * n_j <= max(_GRID_MAX_NODES, 4 * china.size):
        # Dense: every node of the bounding box.
        gi, gj = np.meshgrid(np.arange(i_lo, i_hi + 1), np.arange(j_lo, j_hi + 1), indexing="ij")
        keys = (gi * _KEY_STRIDE + gj).ravel()
        dense = True
    else:
        # Sparse: only the corners of occupied cells.
        cell = i * _KEY_STRIDE + j
        keys = np.unique(np.concatenate((cell, cell + 1, cell + _KEY_STRIDE, cell + _KEY_STRIDE + 1)))
        dense = False
    node_lat = np.floor_divide(keys, _KEY_STRIDE) * _GRID_STEP_DEG
    node_lon = (keys - np.floor_divide(keys, _KEY_STRIDE) * _KEY_STRIDE) * _GRID_STEP_DEG
    # Two fixed-point steps from the node itself: within a few centimetres for GCJ-02 and
    # half a metre for BD-09 (the offset's Jacobian is below _GCJ_CONTRACTION and
    # _BD_CONTRACTION), which is all a starting point needs; _invert then checks every
    # point's own answer.
    wlat, wlon = node_lat.copy(), node_lon.copy()
    for _ in range(_GRID_STEPS):
        flat, flon = forward(wlat, wlon)
        wlat += node_lat - flat
        wlon += node_lon - flon
    corr_lat = wlat - node_lat
    corr_lon = wlon - node_lon
    if dense:
        k00 = (i - i_lo) * n_j + (j - j_lo)
        k01 = k00 + 1
        k10 = k00 + n_j
        k11 = k10 + 1
    else:
        base = i * _KEY_STRIDE + j
        k00 = np.searchsorted(keys, base)
        k01 = np.searchsorted(keys, base + 1)
        k10 = np.searchsorted(keys, base + _KEY_STRIDE)
        k11 = np.searchsorted(keys, base + _KEY_STRIDE + 1)
    w00 = (1.0 - u) * (1.0 - v)
    w01 = (1.0 - u) * v
    w10 = u * (1.0 - v)
    w11 = u * v
    out_lat[china] = (
        clat + corr_lat[k00] * w00 + corr_lat[k01] * w01 + corr_lat[k10] * w10 + corr_lat[k11] * w11
    )
    out_lon[china] = (
        clon + corr_lon[k00] * w00 + corr_lon[k01] * w01 + corr_lon[k10] * w10 + corr_lon[k11] * w11
    )
    return out_lat, out_lon


def _invert(
    forward: _Forward, contraction: float, lat: FloatArray, lon: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Solve forward(w) = (lat, lon) for w, starting from the grid guess."""
    wlat, wlon = _grid_guess(forward, contraction, lat, lon)
    return _iterate(forward, contraction, lat, lon, wlat, wlon)


def _iterate(
    forward: _Forward,
    contraction: float,
    lat: FloatArray,
    lon: FloatArray,
    wlat: FloatArray,
    wlon: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Fixed-point iteration w += target - forward(w), in place on (wlat, wlon).

    The China test is part of ``forward``, so points outside the rectangle converge on the
    first step (forward is the identity there) and the answer is always consistent with the
    forward transform, also next to the rectangle's edges.

    Why the stopping rule is safe: the offset's Jacobian has a norm below ``contraction``
    everywhere in the rectangle (measured: GCJ-02 below 0.008; BD-09 below 0.025 because of
    its rotation term), so the iteration is a contraction and, after a step of size s, the
    remaining error is below s * c / (1 - c). The step tolerance is chosen so that this is
    under _INVERSE_MAX_ERROR_DEG (about 1 cm).
    """
    tolerance = _INVERSE_MAX_ERROR_DEG * (1.0 - contraction) / contraction
    rows = np.arange(lat.size)
    for _ in range(_INVERSE_MAX_STEPS):
        if rows.size == lat.size:
            flat, flon = forward(wlat, wlon)
            step_lat = lat - flat
            step_lon = lon - flon
        else:
            flat, flon = forward(wlat[rows], wlon[rows])
            step_lat = lat[rows] - flat
            step_lon = lon[rows] - flon
        wlat[rows] += step_lat
        wlon[rows] += step_lon
        # Only rows still moving are evaluated again; usually all stop on the same step.
        moving = (np.abs(step_lat) >= tolerance) | (np.abs(step_lon) >= tolerance)
        if not moving.any():
            break
        if not moving.all():
            rows = rows[moving]
    return wlat, wlon


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def _as_arrays(lat: ArrayLike, lon: ArrayLike) -> tuple[FloatArray, FloatArray]:
    la = np.asarray(lat, dtype=np.float64)
    lo = np.asarray(lon, dtype=np.float64)
    if la.shape != lo.shape:
        raise ValueError(f"lat and lon must have the same shape, got {la.shape} and {lo.shape}")
    return la, lo


def to_wgs84_array(lat: ArrayLike, lon: ArrayLike, crs: Crs | str) -> tuple[FloatArray, FloatArray]:
    """Vectorised conversion of coordinates in ``crs`` to WGS-84 (returns new arrays)."""
    la, lo = _as_arrays(lat, lon)
    crs = Crs(crs)
    if crs is Crs.WGS84:
        return la.copy(), lo.copy()
    # Non-finite input would never converge; pass it through for the fix classifier to flag.
    finite = np.isfinite(la) & np.isfinite(lo)
    out_lat, out_lon = la.copy(), lo.copy()
    forward, contraction = (
        (_wgs_to_gcj, _GCJ_CONTRACTION) if crs is Crs.GCJ02 else (_wgs_to_bd, _BD_CONTRACTION)
    )
    if finite.all():
        return _invert(forward, contraction, la, lo)
    out_lat[finite], out_lon[finite] = _invert(forward, contraction, la[finite], lo[finite])
    return out_lat, out_lon


def from_wgs84_array(lat: ArrayLike, lon: ArrayLike, crs: Crs | str) -> tuple[FloatArray, FloatArray]:
    """Vectorised conversion of WGS-84 coordinates to ``crs``."""
    la, lo = _as_arrays(lat, lon)
    crs = Crs(crs)
    if crs is Crs.WGS84:
        return la.copy(), lo.copy()
    if crs is Crs.GCJ02:
        return _wgs_to_gcj(la, lo)
    return _wgs_to_bd(la, lo)


def convert_codes_to_wgs84(
    lat: FloatArray, lon: FloatArray, codes: NDArray[np.int8]
) -> tuple[FloatArray, FloatArray]:
    """Normalise a mixed batch where ``codes`` holds each row's CRS code (see CRS_CODES)."""
    out_lat = lat.astype(np.float64, copy=True)
    out_lon = lon.astype(np.float64, copy=True)
    for crs in (Crs.GCJ02, Crs.BD09):
        rows = np.flatnonzero(codes == CRS_CODES[crs])
        if rows.size:
            out_lat[rows], out_lon[rows] = to_wgs84_array(lat[rows], lon[rows], crs)
    return out_lat, out_lon


def to_wgs84(lat: float, lon: float, crs: Crs | str) -> tuple[float, float]:
    """Convert one coordinate pair in ``crs`` to WGS-84, as (lat, lon)."""
    la, lo = to_wgs84_array([lat], [lon], crs)
    return float(la[0]), float(lo[0])


def from_wgs84(lat: float, lon: float, crs: Crs | str) -> tuple[float, float]:
    """Convert one WGS-84 coordinate pair to ``crs``, as (lat, lon)."""
    la, lo = from_wgs84_array([lat], [lon], crs)
    return float(la[0]), float(lo[0])
