"""Fast, strict validation of uploaded check-ins.

Two paths that accept exactly the same fixes (a property test holds them to it):

* ``decode_batch``: the whole request body decoded and type-checked in C by msgspec, straight
  from the bytes. Every upload of well-formed fixes takes it (~1 µs a fix to decode and check).
* ``parse_fix``: one fix at a time, every check by hand with a message per field. A body the
  fast path refuses (malformed JSON, one bad fix among good ones) comes here, so a bad fix is
  rejected alone with field-level messages and the good fixes of the same batch go on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import uuid
from typing import Annotated, Any, Literal, NamedTuple

import msgspec
from django.utils.translation import gettext as _
from msgspec import Meta

from backend.core.json_input import text_problem
from backend.core.times import in_window, time_window_message

CRS_VALUES = ("wgs84", "gcj02", "bd09")
MAX_BATCH = 500
MAX_ACCURACY_M = 100_000.0
# The bounds of each number, inclusive: the same for both paths below.
RANGES: dict[str, tuple[float, float]] = {
    "lat": (-90, 90), "lon": (-180, 180), "accuracy_m": (0, MAX_ACCURACY_M), "altitude_m": (-1000, 20000),
    "speed_mps": (0, 1000), "battery": (0, 100),
}
MAX_PROVIDER_LENGTH = 20
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
    """Validate one fix: ``(FixInput, {})`` or ``(None, {field: [messages]})``.

    Every check one by one, collecting a message per field. A ``FixInput`` (from
    ``decode_batch``) is already valid and passes through.
    """
    if type(item) is FixInput:
        return item, {}
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
            elif not in_window(recorded_at):  # compared before converting: the conversion can overflow
                errors["recorded_at"] = [time_window_message()]
                recorded_at = None
            else:
                recorded_at = recorded_at.astimezone(dt.UTC)
    lat = _number(item.get("lat"), "lat", errors, *RANGES["lat"])
    lon = _number(item.get("lon"), "lon", errors, *RANGES["lon"])
    accuracy = _number(item.get("accuracy_m"), "accuracy_m", errors, *RANGES["accuracy_m"])
    crs = item.get("crs")
    if crs not in CRS_VALUES:
        errors["crs"] = [_("Must be one of wgs84, gcj02, bd09.")]
    altitude = _number(item.get("altitude_m"), "altitude_m", errors, *RANGES["altitude_m"], required=False)
    speed = _number(item.get("speed_mps"), "speed_mps", errors, *RANGES["speed_mps"], required=False)
    battery = _number(item.get("battery"), "battery", errors, *RANGES["battery"], required=False)
    charging = _bool(item.get("charging"), "charging", errors)
    mock = _bool(item.get("mock_location"), "mock_location", errors)
    provider = item.get("provider")
    if provider is not None and (not isinstance(provider, str) or len(provider) > MAX_PROVIDER_LENGTH):
        errors["provider"] = [_("At most 20 characters.")]
    elif isinstance(provider, str) and (problem := text_problem(provider)) is not None:
        errors["provider"] = [problem]
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


# ---------------------------------------------------------------------------------------------
# The fast path: a whole well-formed batch decoded in C
# ---------------------------------------------------------------------------------------------

_CANONICAL_UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
# No NUL (msgspec already refuses lone surrogates): anything else takes the detailed path.
_STORABLE_TEXT = "^[^\x00]*$"


def _within(field: str) -> Meta:
    lo, hi = RANGES[field]
    return Meta(ge=lo, le=hi)


class _WellFormedFix(msgspec.Struct, forbid_unknown_fields=True):
    """A fix with nothing wrong, as the phone app sends it: the same ``RANGES`` as ``parse_fix``.

    Only the canonical UUID form (what phones send; other forms take the detailed path, which
    makes them canonical) and the time as text (parsed by the same ``fromisoformat``).
    """

    id: Annotated[str, Meta(pattern=_CANONICAL_UUID)]
    recorded_at: str
    lat: Annotated[float, _within("lat")]
    lon: Annotated[float, _within("lon")]
    accuracy_m: Annotated[float, _within("accuracy_m")]
    crs: Literal["wgs84", "gcj02", "bd09"]
    altitude_m: Annotated[float, _within("altitude_m")] | None = None
    speed_mps: Annotated[float, _within("speed_mps")] | None = None
    battery: Annotated[float, _within("battery")] | None = None
    charging: bool | None = None
    mock_location: bool | None = None
    provider: Annotated[str, Meta(max_length=MAX_PROVIDER_LENGTH, pattern=_STORABLE_TEXT)] | None = None


class _WellFormedBatch(msgspec.Struct):
    checkins: Annotated[list[_WellFormedFix], Meta(min_length=1, max_length=MAX_BATCH)]
    sent_at: str | None = None


_decode = msgspec.json.Decoder(_WellFormedBatch).decode
_UTC = dt.UTC


def decode_batch(body: bytes) -> tuple[list[FixInput], str | None] | None:
    """``(fixes, sent_at text)`` of a body that is a well-formed batch, else ``None``.

    ``None`` sends the body to the detailed path, which answers with the exact errors (and may
    still accept it, e.g. an upper-case UUID).
    """
    try:
        batch = _decode(body)
        fixes = []
        for f in batch.checkins:
            recorded_at = dt.datetime.fromisoformat(f.recorded_at)
            if recorded_at.tzinfo is None or not in_window(recorded_at):
                return None
            fixes.append(_fix(f.id, recorded_at.astimezone(_UTC), f.lat, f.lon, f.accuracy_m, f.crs, f.altitude_m,
                              f.speed_mps, f.battery, f.charging, bool(f.mock_location), f.provider or ""))
    except (msgspec.DecodeError, ValueError, RecursionError):  # deep bodies: the parser refuses them
        return None
    return fixes, batch.sent_at
