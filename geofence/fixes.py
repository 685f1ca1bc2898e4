"""Fixes and their quality classes.

Every fix gets exactly one class; none is silently dropped. Classes are checked in this
order, the first that applies wins:

1. OUT_OF_RANGE: coordinates or accuracy not finite, outside lat -90..90 / lon -180..180,
   or a negative accuracy.
2. NULL_ISLAND: (0, 0), what broken location stacks report when they have nothing.
3. MOCK_LOCATION: the phone says a mock-location provider produced it. An integrity signal.
4. FUTURE: recorded later than ``now`` (or than its own ``received_at``) plus the allowed
   clock skew.
5. STALE: recorded more than ``stale_after_s`` before ``now``; too old to act on.
6. LOW_ACCURACY: accuracy radius above ``max_accuracy_m``.
7. TELEPORT: reaching it from the previous good fix needs more than ``max_speed_mps``, after
   granting both accuracy radii. An integrity signal.
8. OK.

Only OK fixes confirm or clear breaches.

The classes 1-6 depend on the fix alone and are computed vectorised (``static_quality``);
TELEPORT depends on the previous good fix and is decided in time order by the engine.
``classify_fix`` is the single-fix form of the same rules.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from geofence.crs import CRS_CODES, Crs, to_wgs84
from geofence.geodesy import distance_m, distance_m_scalar

__all__ = [
    "Fix",
    "FixBatch",
    "FixQuality",
    "QualityConfig",
    "classify_fix",
    "datetime_from_us",
    "to_epoch_us",
]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# Largest length of a degree on WGS-84 (of latitude at the poles, 111,694 m), with margin.
_MAX_M_PER_DEG = 111_700.0
NO_TIME = np.iinfo(np.int64).min
INT64_MIN = int(np.iinfo(np.int64).min)
INT64_MAX = int(np.iinfo(np.int64).max)
# The instants a datetime can hold (0001-01-01 to 9999-12-31 UTC), in epoch microseconds.
# Recorded times come from phones and may lie anywhere in int64; only these can be dates.
MIN_DATETIME_US = -62_135_596_800_000_000
MAX_DATETIME_US = 253_402_300_799_999_999
# Time gaps up to this subtract exactly in int64 whatever the two times are.
_FAR_GAP_US = 10**18


class FixQuality(enum.StrEnum):
    """The quality class of one fix (see the module docstring for the rules)."""

    OK = "ok"
    LOW_ACCURACY = "low_accuracy"
    FUTURE = "future"
    STALE = "stale"
    NULL_ISLAND = "null_island"
    OUT_OF_RANGE = "out_of_range"
    TELEPORT = "teleport"
    MOCK_LOCATION = "mock_location"


# Integer codes for the columnar paths.
QUALITY_CODES: dict[FixQuality, int] = {q: i for i, q in enumerate(FixQuality)}
QUALITY_BY_CODE: tuple[FixQuality, ...] = tuple(FixQuality)
Q_OK = QUALITY_CODES[FixQuality.OK]
Q_LOW_ACCURACY = QUALITY_CODES[FixQuality.LOW_ACCURACY]
Q_FUTURE = QUALITY_CODES[FixQuality.FUTURE]
Q_STALE = QUALITY_CODES[FixQuality.STALE]
Q_NULL_ISLAND = QUALITY_CODES[FixQuality.NULL_ISLAND]
Q_OUT_OF_RANGE = QUALITY_CODES[FixQuality.OUT_OF_RANGE]
Q_TELEPORT = QUALITY_CODES[FixQuality.TELEPORT]
Q_MOCK = QUALITY_CODES[FixQuality.MOCK_LOCATION]


def to_epoch_us(value: dt.datetime) -> int:
    """Exact epoch microseconds of an aware datetime."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetimes must be timezone-aware")
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def datetime_from_us(us: int) -> dt.datetime:
    """Inverse of ``to_epoch_us`` (UTC) for the instants a datetime can hold.

    Times beyond datetime's range (a phone's clock can claim any int64) saturate at its
    ends, 0001-01-01 and 9999-12-31T23:59:59.999999 UTC, instead of raising: an event
    about such a fix still needs a time to show.
    """
    clamped = min(max(int(us), MIN_DATETIME_US), MAX_DATETIME_US)
    return _EPOCH + dt.timedelta(microseconds=clamped)


def later_than(t_us: NDArray[np.int64], base_us: NDArray[np.int64], margin_us: int) -> NDArray[np.bool_]:
    """``t_us > base_us + margin_us`` per row, exactly, for any int64 values.

    The sum would wrap around in int64 for a base near its top (a received time of
    9999-12-31 or later), turning "much later" into "earlier". Where the sum would exceed
    int64 no int64 time can be later, so those rows answer False without adding.
    """
    margin = min(max(int(margin_us), 0), INT64_MAX)
    limit = INT64_MAX - margin
    fits = base_us <= limit
    out: NDArray[np.bool_] = fits & (t_us > np.where(fits, base_us, 0) + margin)
    return out


def future_times(
    recorded_us: NDArray[np.int64], received_us: NDArray[np.int64], now_us: int, config: QualityConfig
) -> NDArray[np.bool_]:
    """Rows recorded later than ``now`` (or than their own received time) plus the allowed
    skew: the FUTURE rule on time alone, whatever class the fix ends up in."""
    skew_us = int(config.max_future_skew_s * 1e6)
    future: NDArray[np.bool_] = recorded_us > now_us + skew_us
    future |= (received_us != NO_TIME) & later_than(recorded_us, received_us, skew_us)
    return future


@dataclass(frozen=True)
class QualityConfig:
    """Thresholds of the fix classifier and of event lateness.

    ``max_speed_mps`` defaults to 100 m/s (360 km/h): the high-speed trains of Shandong run
    at up to 350 km/h, and a subject on one (on approved leave) must not look like a
    spoofer. The accuracy radii of both fixes are granted on top.
    """

    max_accuracy_m: float = 200.0
    max_future_skew_s: float = 300.0
    stale_after_s: float = 7 * 86_400.0
    max_speed_mps: float = 100.0
    null_island_deg: float = 1e-4
    # After a jump, this many mutually plausible fixes at the new place re-anchor the track.
    teleport_reanchor_fixes: int = 3
    # Events whose evidence was recorded more than this before ``now`` are marked late.
    late_after_s: float = 900.0

    def __post_init__(self) -> None:
        for name in ("max_accuracy_m", "max_future_skew_s", "stale_after_s", "max_speed_mps", "late_after_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        if not (math.isfinite(self.null_island_deg) and self.null_island_deg >= 0):
            raise ValueError("null_island_deg must be >= 0")
        if self.teleport_reanchor_fixes < 2:
            raise ValueError("teleport_reanchor_fixes must be at least 2")


@dataclass(frozen=True)
class Fix:
    """One location fix from a phone.

    ``recorded_at`` is when the phone took it (aware); ``received_at`` when the server got
    it, if known. ``lat``/``lon`` are in ``crs``; the engine normalises them to WGS-84.
    ``accuracy_m`` is the phone's accuracy radius. ``speed_mps`` is carried for the record
    and is not used by the rules.
    """

    id: str
    person_id: str
    recorded_at: dt.datetime
    lat: float
    lon: float
    accuracy_m: float
    crs: Crs = Crs.WGS84
    received_at: dt.datetime | None = None
    mock_location: bool = False
    speed_mps: float | None = None

    def __post_init__(self) -> None:
        if self.recorded_at.tzinfo is None or self.recorded_at.utcoffset() is None:
            raise ValueError(f"fix {self.id}: recorded_at must be timezone-aware")
        if self.received_at is not None and (
            self.received_at.tzinfo is None or self.received_at.utcoffset() is None
        ):
            raise ValueError(f"fix {self.id}: received_at must be timezone-aware")
        object.__setattr__(self, "crs", Crs(self.crs))


@dataclass(frozen=True)
class FixBatch:
    """Fixes in columns, for the vectorised path.

    ``person`` holds indices into the evaluator's persons; times are epoch microseconds
    (``NO_TIME`` where a received time is unknown); ``crs`` holds ``crs.CRS_CODES``.
    """

    ids: Sequence[str]
    person: NDArray[np.int64]
    recorded_us: NDArray[np.int64]
    received_us: NDArray[np.int64]
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    accuracy_m: NDArray[np.float64]
    crs: NDArray[np.int8]
    mock: NDArray[np.bool_]

    def __post_init__(self) -> None:
        n = len(self.ids)
        for name in ("person", "recorded_us", "received_us", "lat", "lon", "accuracy_m", "crs", "mock"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"FixBatch column {name} has {len(getattr(self, name))} rows, expected {n}")

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_fixes(cls, fixes: Sequence[Fix], person_index: Mapping[str, int]) -> FixBatch:
        """Columns from Fix objects; ``person_index`` maps person ids to evaluator indices."""
        return cls(
            ids=[f.id for f in fixes],
            person=np.array([person_index[f.person_id] for f in fixes], dtype=np.int64),
            recorded_us=np.array([to_epoch_us(f.recorded_at) for f in fixes], dtype=np.int64),
            received_us=np.array(
                [NO_TIME if f.received_at is None else to_epoch_us(f.received_at) for f in fixes],
                dtype=np.int64,
            ),
            lat=np.array([f.lat for f in fixes], dtype=np.float64),
            lon=np.array([f.lon for f in fixes], dtype=np.float64),
            accuracy_m=np.array([f.accuracy_m for f in fixes], dtype=np.float64),
            crs=np.array([CRS_CODES[f.crs] for f in fixes], dtype=np.int8),
            mock=np.array([f.mock_location for f in fixes], dtype=bool),
        )

    def take(self, rows: NDArray[np.int64]) -> FixBatch:
        """The given rows, in that order."""
        return FixBatch(
            ids=[self.ids[i] for i in rows.tolist()],
            person=self.person[rows],
            recorded_us=self.recorded_us[rows],
            received_us=self.received_us[rows],
            lat=self.lat[rows],
            lon=self.lon[rows],
            accuracy_m=self.accuracy_m[rows],
            crs=self.crs[rows],
            mock=self.mock[rows],
        )


# ---------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------


def static_quality(
    lat: NDArray[np.float64],
    lon: NDArray[np.float64],
    accuracy_m: NDArray[np.float64],
    recorded_us: NDArray[np.int64],
    received_us: NDArray[np.int64],
    mock: NDArray[np.bool_],
    now_us: int,
    config: QualityConfig,
    *,
    future: NDArray[np.bool_] | None = None,
) -> NDArray[np.int8]:
    """Classes 1-6 of the module docstring for raw (not yet normalised) coordinates.

    Fixes that pass all of them come out OK; the engine may still turn them into TELEPORT.
    ``future`` is ``future_times`` of the same fixes, if the caller has it already.
    """
    out = np.full(lat.shape, Q_OK, dtype=np.int8)
    # Assign from the last rule to the first so that the first applicable rule wins.
    out[accuracy_m > config.max_accuracy_m] = Q_LOW_ACCURACY
    out[recorded_us < now_us - int(config.stale_after_s * 1e6)] = Q_STALE
    if future is None:
        future = future_times(recorded_us, received_us, now_us, config)
    out[future] = Q_FUTURE
    out[mock] = Q_MOCK
    eps = config.null_island_deg
    out[(np.abs(lat) <= eps) & (np.abs(lon) <= eps)] = Q_NULL_ISLAND
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(lat) & np.isfinite(lon) & np.isfinite(accuracy_m))
        bad |= (np.abs(lat) > 90) | (np.abs(lon) > 180) | (accuracy_m < 0)
    out[bad] = Q_OUT_OF_RANGE
    return out


def static_quality_one(
    lat: float,
    lon: float,
    accuracy_m: float,
    recorded_us: int,
    received_us: int,
    mock: bool,
    now_us: int,
    config: QualityConfig,
) -> int:
    """``static_quality`` of one fix, in plain Python: a few fixes at a time (a phone's upload
    of one) cost a tenth of the vectorised rules' set-up. The same rules, first applicable wins."""
    if (
        not (math.isfinite(lat) and math.isfinite(lon) and math.isfinite(accuracy_m))
        or abs(lat) > 90
        or abs(lon) > 180
        or accuracy_m < 0
    ):
        return Q_OUT_OF_RANGE
    eps = config.null_island_deg
    if abs(lat) <= eps and abs(lon) <= eps:
        return Q_NULL_ISLAND
    if mock:
        return Q_MOCK
    skew_us = int(config.max_future_skew_s * 1e6)
    if recorded_us > now_us + skew_us or (received_us != NO_TIME and recorded_us > received_us + skew_us):
        return Q_FUTURE
    if recorded_us < now_us - int(config.stale_after_s * 1e6):
        return Q_STALE
    if accuracy_m > config.max_accuracy_m:
        return Q_LOW_ACCURACY
    return Q_OK


def possible_jumps(
    lat_a: NDArray[np.float64],
    lon_a: NDArray[np.float64],
    acc_a: NDArray[np.float64],
    us_a: NDArray[np.int64],
    lat_b: NDArray[np.float64],
    lon_b: NDArray[np.float64],
    acc_b: NDArray[np.float64],
    us_b: NDArray[np.int64],
    config: QualityConfig,
) -> NDArray[np.bool_]:
    """Vectorised screen for ``implausible_jump``: never misses one (it flags a margin of
    a millimetre more), so pairs it clears need no further look.

    Most pairs are a few metres apart; a bound without trigonometry clears them first
    (a degree of latitude or longitude is never more than _MAX_M_PER_DEG metres, and
    |dx| + |dy| is at least the distance), and only the rest get the ellipsoidal distance.
    """
    # Times may be anywhere in int64 (a stored anchor from a bad clock), where their int64
    # difference can wrap around. Gaps beyond _FAR_GAP_US are taken in floating point:
    # rounding moves ``allowed`` by under 1e-15 of itself, less than the millimetre of
    # margin while it is below 1e12 m, and beyond that no distance on Earth exceeds it.
    rough_gap = np.abs(us_b.astype(np.float64) - us_a.astype(np.float64))
    far_apart = rough_gap > _FAR_GAP_US
    exact_gap = np.abs(np.where(far_apart, 0, us_b) - np.where(far_apart, 0, us_a))
    gap_s = np.where(far_apart, rough_gap, exact_gap) / 1e6
    allowed = config.max_speed_mps * gap_s + acc_a + acc_b - 1e-3
    dlon = np.abs(lon_b - lon_a)
    dlon = np.minimum(dlon, 360.0 - dlon)
    rough = (np.abs(lat_b - lat_a) + dlon) * _MAX_M_PER_DEG
    out: NDArray[np.bool_] = rough > allowed
    rows = np.flatnonzero(out)
    if rows.size:
        d = distance_m(lat_a[rows], lon_a[rows], lat_b[rows], lon_b[rows])
        out[rows] = d > allowed[rows]
    return out


def implausible_jump(
    lat_a: float,
    lon_a: float,
    acc_a: float,
    us_a: int,
    lat_b: float,
    lon_b: float,
    acc_b: float,
    us_b: int,
    config: QualityConfig,
) -> bool:
    """Whether going from a to b needs more than the maximum speed (WGS-84 inputs).

    Both accuracy radii are granted: only the part of the distance that no position error
    can explain counts.
    """
    d = distance_m_scalar(lat_a, lon_a, lat_b, lon_b)
    seconds = abs(us_b - us_a) / 1e6
    return d - acc_a - acc_b > config.max_speed_mps * seconds


def classify_fix(
    fix: Fix, previous_good: Fix | None, now: dt.datetime, config: QualityConfig | None = None
) -> FixQuality:
    """The quality class of one fix, given the person's previous good fix (or None)."""
    config = config or QualityConfig()
    code = static_quality_one(
        fix.lat,
        fix.lon,
        fix.accuracy_m,
        to_epoch_us(fix.recorded_at),
        NO_TIME if fix.received_at is None else to_epoch_us(fix.received_at),
        fix.mock_location,
        to_epoch_us(now),
        config,
    )
    if code != Q_OK or previous_good is None:
        return QUALITY_BY_CODE[code]
    lat_b, lon_b = to_wgs84(fix.lat, fix.lon, fix.crs)
    lat_a, lon_a = to_wgs84(previous_good.lat, previous_good.lon, previous_good.crs)
    jump = implausible_jump(
        lat_a,
        lon_a,
        previous_good.accuracy_m,
        to_epoch_us(previous_good.recorded_at),
        lat_b,
        lon_b,
        fix.accuracy_m,
        to_epoch_us(fix.recorded_at),
        config,
    )
    return FixQuality.TELEPORT if jump else FixQuality.OK
