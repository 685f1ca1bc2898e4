"""Fast, strict validation of uploaded check-ins, one fix at a time.

A batch of up to 500 fixes is checked by hand rather than with a DRF serializer per item: the
serializer costs ~100 µs a fix, this ~5 µs, and it is the hot path. A malformed fix is rejected
alone with field-level messages; the good fixes of the same batch go on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import uuid
from typing import Any, NamedTuple

from django.utils.translation import gettext as _

CRS_VALUES = ("wgs84", "gcj02", "bd09")
MAX_BATCH = 500
MAX_ACCURACY_M = 100_000.0
KNOWN_FIELDS = frozenset({"id", "recorded_at", "lat", "lon", "accuracy_m", "crs", "altitude_m", "speed_mps", "battery",
                          "charging", "mock_location", "provider"})


class FixInput(NamedTuple):
    """One validated fix as the phone sent it (coordinates not yet normalised).

    A tuple: built 100 times per upload, and a frozen dataclass costs three times as much.
    """

    client_id: str  # canonical lowercase UUID text (string keys hash faster than uuid.UUID)
    recorded_at: dt.datetime
    lat: float
    lon: float
    accuracy_m: float
    crs: str
    altitude_m: float | None
    speed_mps: float | None
    battery: float | None
    charging: bool | None
    mock_location: bool
    provider: str
    body_hash: str
    recorded_iso: str  # ``recorded_at`` in ISO 8601 (UTC), as hashed and as stored


def _number(value: Any, field: str, errors: dict[str, list[str]], lo: float, hi: float,
            required: bool = True) -> float | None:
    if value is None:
        if required:
            errors[field] = [_("This field is required.")]
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        errors[field] = [_("A number is required.")]
        return None
    if not lo <= value <= hi:
        errors[field] = [_("Must be between %(lo)s and %(hi)s.") % {"lo": lo, "hi": hi}]
        return None
    return float(value)


def _bool(value: Any, field: str, errors: dict[str, list[str]]) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        errors[field] = [_("Must be true or false.")]
        return None
    return value


def parse_fix(item: Any) -> tuple[FixInput | None, dict[str, list[str]]]:
    """Validate one fix: ``(FixInput, {})`` or ``(None, {field: [messages]})``."""
    fix = _parse_well_formed(item)
    return (fix, {}) if fix is not None else parse_fix_in_detail(item)


def parse_fix_in_detail(item: Any) -> tuple[FixInput | None, dict[str, list[str]]]:
    """Every check one by one, collecting a message per field (the path of fixes with a problem)."""
    if not isinstance(item, dict):
        return None, {"non_field_errors": [_("Each check-in must be an object.")]}
    errors: dict[str, list[str]] = {}
    client_id: str | None = None
    raw_id = item.get("id")
    if not isinstance(raw_id, str):
        errors["id"] = [_("A UUID generated on the phone is required.")]
    else:
        try:
            client_id = str(uuid.UUID(raw_id))
        except ValueError:
            errors["id"] = [_("Must be a valid UUID.")]
    recorded_at: dt.datetime | None = None
    raw_time = item.get("recorded_at")
    if not isinstance(raw_time, str):
        errors["recorded_at"] = [_("An ISO 8601 time with an offset is required.")]
    else:
        try:
            recorded_at = dt.datetime.fromisoformat(raw_time.replace("Z", "+00:00") if raw_time.endswith("Z")
                                                    else raw_time)
        except ValueError:
            errors["recorded_at"] = [_("Not an ISO 8601 time.")]
        else:
            if recorded_at.tzinfo is None:
                errors["recorded_at"] = [_("The time needs a UTC offset, e.g. 2026-11-27T22:00:00+08:00.")]
                recorded_at = None
            else:
                recorded_at = recorded_at.astimezone(dt.UTC)
    lat = _number(item.get("lat"), "lat", errors, -90, 90)
    lon = _number(item.get("lon"), "lon", errors, -180, 180)
    accuracy = _number(item.get("accuracy_m"), "accuracy_m", errors, 0, MAX_ACCURACY_M)
    crs = item.get("crs")
    if crs not in CRS_VALUES:
        errors["crs"] = [_("Must be one of wgs84, gcj02, bd09.")]
    altitude = _number(item.get("altitude_m"), "altitude_m", errors, -1000, 20000, required=False)
    speed = _number(item.get("speed_mps"), "speed_mps", errors, 0, 1000, required=False)
    battery = _number(item.get("battery"), "battery", errors, 0, 100, required=False)
    charging = _bool(item.get("charging"), "charging", errors)
    mock = _bool(item.get("mock_location"), "mock_location", errors)
    provider = item.get("provider")
    if provider is not None and (not isinstance(provider, str) or len(provider) > 20):
        errors["provider"] = [_("At most 20 characters.")]
    unknown = set(item) - KNOWN_FIELDS
    if unknown:
        errors["non_field_errors"] = [_("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}]
    if errors:
        return None, errors
    assert client_id is not None and recorded_at is not None and lat is not None and lon is not None
    assert accuracy is not None
    return _fix(client_id, recorded_at, lat, lon, accuracy, str(crs), altitude, speed, battery, charging, bool(mock),
                provider or ""), {}


def _fix(client_id: str, recorded_at: dt.datetime, lat: float, lon: float, accuracy: float, crs: str,
         altitude: float | None, speed: float | None, battery: float | None, charging: bool | None, mock: bool,
         provider: str) -> FixInput:
    iso = recorded_at.isoformat()
    canonical = (f"{iso}|{lat!r}|{lon!r}|{accuracy!r}|{crs}|{altitude!r}|{speed!r}|{battery!r}|"
                 f"{charging!r}|{mock!r}|{provider}")
    return FixInput(
        client_id=client_id, recorded_at=recorded_at, lat=lat, lon=lon, accuracy_m=accuracy, crs=crs,
        altitude_m=altitude, speed_mps=speed, battery=battery, charging=charging, mock_location=mock,
        provider=provider, body_hash=hashlib.md5(canonical.encode(), usedforsecurity=False).hexdigest(),
        recorded_iso=iso,
    )


_NUMBER = (int, float)
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").fullmatch


def _optional(value: Any, lo: float, hi: float) -> float | None:
    """A valid optional number as float; raises ValueError on anything else (the slow path explains)."""
    if value is None:
        return None
    if type(value) not in _NUMBER or not lo <= value <= hi:  # NaN fails the comparison
        raise ValueError
    return float(value)


def _parse_well_formed(item: Any) -> FixInput | None:
    """The common case in one pass: a fix with nothing wrong (``None`` sends it to the slow path).

    Accepts exactly what ``parse_fix``'s detailed checks accept and builds the same ``FixInput``;
    a test holds the two paths to the same answers.
    """
    if type(item) is not dict or not item.keys() <= KNOWN_FIELDS:
        return None
    try:
        raw_id, raw_time = item["id"], item["recorded_at"]
        lat, lon, accuracy, crs = item["lat"], item["lon"], item["accuracy_m"], item["crs"]
        if type(raw_id) is not str or type(raw_time) is not str or crs not in CRS_VALUES:
            return None
        if type(lat) not in _NUMBER or type(lon) not in _NUMBER or type(accuracy) not in _NUMBER:
            return None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180 and 0 <= accuracy <= MAX_ACCURACY_M):
            return None
        recorded_at = dt.datetime.fromisoformat(raw_time)
        if recorded_at.tzinfo is None:
            return None
        altitude = _optional(item.get("altitude_m"), -1000, 20000)
        speed = _optional(item.get("speed_mps"), 0, 1000)
        battery = _optional(item.get("battery"), 0, 100)
        charging, mock, provider = item.get("charging"), item.get("mock_location"), item.get("provider")
        if (charging is not None and type(charging) is not bool) or (mock is not None and type(mock) is not bool):
            return None
        if provider is not None and (type(provider) is not str or len(provider) > 20):
            return None
        # Phones send the canonical form; anything else (upper case, braces) is made canonical.
        client_id = raw_id if _CANONICAL_UUID(raw_id) else str(uuid.UUID(raw_id))
    except (KeyError, ValueError, TypeError):
        return None
    return _fix(client_id, recorded_at.astimezone(dt.UTC), float(lat), float(lon), float(accuracy), crs, altitude,
                speed, battery, charging, bool(mock), provider or "")
