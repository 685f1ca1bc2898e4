"""Fast, strict validation of uploaded check-ins.

Two paths that accept exactly the same fixes (a property test holds them to it):

* ``decode_batch``: the whole request body decoded and type-checked in C by msgspec, straight
  from the bytes. Every upload of well-formed fixes takes it (~1 µs a fix to decode and check).
* ``parse_fix``: one fix at a time, every field checked in turn with a message per field. A body the
  fast path refuses (malformed JSON, one bad fix among good ones) comes here, so a bad fix is
  rejected alone with field-level messages and the good fixes of the same batch go on.

Both read one declaration of a fix's fields and limits, ``FIX_FIELDS``, as does the API's
documentation of a fix (and so the published spec).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, NamedTuple

import msgspec
from django.utils.translation import gettext as _
from msgspec import Meta

from backend.core.json_input import text_problem
from backend.core.times import TIME_MAX, TIME_MIN, in_window, time_window_message
from geofence import Crs

# ---------------------------------------------------------------------------------------------
# The fields of a fix: declared once
# ---------------------------------------------------------------------------------------------

MAX_BATCH = 500


@dataclass(frozen=True)
class FixField:
    """One field of an uploaded fix: its type, whether the phone must send it, its limits (inclusive).

    ``FIX_FIELDS`` is the one declaration of a fix: both paths below check it, the API's
    ``CheckinItemSerializer`` documents it (and so the published spec), and a test holds the
    spec's limits to what ``parse_fix`` accepts. Optional fields may be ``null``.
    """

    name: str
    type: Literal["uuid", "time", "number", "choice", "bool", "text"]
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    doc: str = ""


FIX_FIELDS: tuple[FixField, ...] = (
    FixField("id", "uuid", required=True, doc="Generated on the phone; the same id is stored once."),
    FixField(
        "recorded_at",
        "time",
        required=True,
        doc=f"ISO 8601 with offset, phone clock at the fix; between {TIME_MIN:%Y-%m-%dT%H:%M:%SZ} and "
        f"{TIME_MAX:%Y-%m-%dT%H:%M:%SZ}.",
    ),
    FixField("lat", "number", required=True, minimum=-90, maximum=90),
    FixField("lon", "number", required=True, minimum=-180, maximum=180),
    FixField(
        "accuracy_m",
        "number",
        required=True,
        minimum=0,
        maximum=100_000.0,
        doc="Radius of 68 % confidence, metres.",
    ),
    # The coordinate systems the engine converts from (wgs84, gcj02, bd09).
    FixField("crs", "choice", required=True, choices=tuple(crs.value for crs in Crs)),
    FixField("altitude_m", "number", minimum=-1000, maximum=20000),
    FixField("speed_mps", "number", minimum=0, maximum=1000),
    FixField("battery", "number", minimum=0, maximum=100, doc="Percent."),
    FixField("charging", "bool"),
    FixField("mock_location", "bool", doc="The OS reports a mock/test provider."),
    FixField("provider", "text", max_length=20, doc="gps, network, fused..."),
)

# Read from the table, for the code that needs one limit.
FIX_FIELD = {field.name: field for field in FIX_FIELDS}
KNOWN_FIELDS = frozenset(FIX_FIELD)
RANGES: dict[str, tuple[float, float]] = {
    field.name: (field.minimum, field.maximum)
    for field in FIX_FIELDS
    if field.type == "number" and field.minimum is not None and field.maximum is not None
}
CRS_VALUES = FIX_FIELD["crs"].choices
MAX_PROVIDER_LENGTH: int = FIX_FIELD["provider"].max_length  # type: ignore[assignment]


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


def _uuid(value: Any, field: FixField, errors: dict[str, list[str]]) -> str | None:
    if not isinstance(value, str):
        errors[field.name] = [_("A UUID generated on the phone is required.")]
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        errors[field.name] = [_("Must be a valid UUID.")]
        return None


def _time(value: Any, field: FixField, errors: dict[str, list[str]]) -> dt.datetime | None:
    if not isinstance(value, str):
        errors[field.name] = [_("An ISO 8601 time with an offset is required.")]
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        errors[field.name] = [_("Not an ISO 8601 time.")]
        return None
    if moment.tzinfo is None:
        errors[field.name] = [_("The time needs a UTC offset, e.g. 2026-11-27T22:00:00+08:00.")]
        return None
    if not in_window(moment):  # compared before converting: the conversion can overflow
        errors[field.name] = [time_window_message()]
        return None
    return moment.astimezone(dt.UTC)


def _number(value: Any, field: FixField, errors: dict[str, list[str]]) -> float | None:
    if value is None:
        if field.required:
            errors[field.name] = [_("This field is required.")]
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        errors[field.name] = [_("A number is required.")]
        return None
    lo, hi = RANGES[field.name]  # every number field has both bounds
    if not lo <= value <= hi:
        errors[field.name] = [
            _("Must be between %(lo)s and %(hi)s.") % {"lo": field.minimum, "hi": field.maximum}
        ]
        return None
    return float(value)


def _choice(value: Any, field: FixField, errors: dict[str, list[str]]) -> str | None:
    if value is None and not field.required:
        return None
    if value not in field.choices:
        errors[field.name] = [_("Must be one of %(choices)s.") % {"choices": ", ".join(field.choices)}]
        return None
    return str(value)


def _bool(value: Any, field: FixField, errors: dict[str, list[str]]) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        errors[field.name] = [_("Must be true or false.")]
        return None
    return value


def _text(value: Any, field: FixField, errors: dict[str, list[str]]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > field.max_length:  # type: ignore[operator]
        errors[field.name] = [_("At most %(limit)s characters.") % {"limit": field.max_length}]
        return None
    if (problem := text_problem(value)) is not None:
        errors[field.name] = [problem]
        return None
    return value


# Each field's checks, in the table's order: ``(name, check, field)``.
_CHECKS = tuple(
    (
        field.name,
        {"uuid": _uuid, "time": _time, "number": _number, "choice": _choice, "bool": _bool, "text": _text}[
            field.type
        ],
        field,
    )
    for field in FIX_FIELDS
)


def parse_fix(item: Any) -> tuple[FixInput | None, dict[str, list[str]]]:
    """Validate one fix: ``(FixInput, {})`` or ``(None, {field: [messages]})``.

    Every field of ``FIX_FIELDS`` checked one by one, collecting a message per field. A
    ``FixInput`` (from ``decode_batch``) is already valid and passes through.
    """
    if type(item) is FixInput:
        return item, {}
    if not isinstance(item, dict):
        return None, {"non_field_errors": [_("Each check-in must be an object.")]}
    errors: dict[str, list[str]] = {}
    get = item.get
    # Each value has its field's type (``None`` only where the field is optional, once no check failed).
    values: list[Any] = [check(get(name), field, errors) for name, check, field in _CHECKS]
    unknown = item.keys() - KNOWN_FIELDS
    if unknown:
        errors["non_field_errors"] = [
            _("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        ]
    if errors:
        return None, errors
    client_id, recorded_at, lat, lon, accuracy, crs, altitude, speed, battery, charging, mock, provider = (
        values
    )
    return _fix(
        client_id,
        recorded_at,
        lat,
        lon,
        accuracy,
        crs,
        altitude,
        speed,
        battery,
        charging,
        bool(mock),
        provider or "",
    ), {}


def _fix(
    client_id: str,
    recorded_at: dt.datetime,
    lat: float,
    lon: float,
    accuracy: float,
    crs: str,
    altitude: float | None,
    speed: float | None,
    battery: float | None,
    charging: bool | None,
    mock: bool,
    provider: str,
) -> FixInput:
    iso = recorded_at.isoformat()
    canonical = (
        f"{iso}|{lat!r}|{lon!r}|{accuracy!r}|{crs}|{altitude!r}|{speed!r}|{battery!r}|"
        f"{charging!r}|{mock!r}|{provider}"
    )
    return FixInput(
        client_id=client_id,
        recorded_at=recorded_at,
        lat=lat,
        lon=lon,
        accuracy_m=accuracy,
        crs=crs,
        altitude_m=altitude,
        speed_mps=speed,
        battery=battery,
        charging=charging,
        mock_location=mock,
        provider=provider,
        body_hash=hashlib.md5(canonical.encode(), usedforsecurity=False).hexdigest(),
        recorded_iso=iso,
    )


# ---------------------------------------------------------------------------------------------
# The fast path: a whole well-formed batch decoded in C
# ---------------------------------------------------------------------------------------------

_CANONICAL_UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
# No NUL (msgspec already refuses lone surrogates): anything else takes the detailed path.
_STORABLE_TEXT = "^[^\x00]*$"


def _well_formed(field: FixField) -> tuple[str, Any] | tuple[str, Any, None]:
    """A field of the fast path's struct: the same limits as ``parse_fix``'s checks.

    Only the canonical UUID form (what phones send; other forms take the detailed path, which
    makes them canonical) and the time as text (parsed by the same ``fromisoformat``).
    """
    kind: Any = {
        "uuid": Annotated[str, Meta(pattern=_CANONICAL_UUID)],
        "time": str,
        "number": Annotated[float, Meta(ge=field.minimum, le=field.maximum)],
        "choice": Literal[field.choices],
        "bool": bool,
        "text": Annotated[str, Meta(max_length=field.max_length, pattern=_STORABLE_TEXT)],
    }[field.type]
    return (field.name, kind) if field.required else (field.name, kind | None, None)


# A fix with nothing wrong, as the phone app sends it (required fields come first in the table).
# The struct is built from ``FIX_FIELDS`` at import, so its fields are known to the checker only as Any.
if TYPE_CHECKING:
    _WellFormedFix = Any
else:
    _WellFormedFix = msgspec.defstruct(
        "_WellFormedFix",
        [_well_formed(field) for field in FIX_FIELDS],
        forbid_unknown_fields=True,
        module=__name__,
    )


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
            fixes.append(
                _fix(
                    f.id,
                    recorded_at.astimezone(_UTC),
                    f.lat,
                    f.lon,
                    f.accuracy_m,
                    f.crs,
                    f.altitude_m,
                    f.speed_mps,
                    f.battery,
                    f.charging,
                    bool(f.mock_location),
                    f.provider or "",
                )
            )
    except (msgspec.DecodeError, ValueError, RecursionError):  # deep bodies: the parser refuses them
        return None
    return fixes, batch.sent_at
