"""The published spec of a fix and the server's checks agree, field by field and limit by limit.

Driven by ``CheckinItemRequest`` in ``mobile_api_spec/openapi.yaml``: for every limit the spec
states (minimum, maximum, enum, maxLength, required, nullable, the time window) a value just
inside is accepted and a value just outside refused, by both paths (``parse_fix`` and
``decode_batch``); where the spec states no limit, the server must not have one either.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from backend.monitoring.checkin_input import FIX_FIELDS, KNOWN_FIELDS, decode_batch, parse_fix

SPEC = Path(__file__).resolve().parents[3] / "mobile_api_spec" / "openapi.yaml"
_SCHEMAS = yaml.safe_load(SPEC.read_text(encoding="utf-8"))["components"]["schemas"]
ITEM = _SCHEMAS["CheckinItemRequest"]


def spec_of(name: str) -> dict[str, Any]:
    """A property of the fix with its ``$ref`` (the CRS enum) resolved."""
    prop = dict(ITEM["properties"][name])
    ref = prop.pop("$ref", None) or next((part["$ref"] for part in prop.pop("allOf", [])), None)
    if ref is not None:
        prop = {**_SCHEMAS[ref.rsplit("/", 1)[1]], **prop}
    return prop


PROPERTIES = sorted(ITEM["properties"])


def base() -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "recorded_at": "2026-11-27T14:00:00Z",
        "lat": 37.1,
        "lon": 122.4,
        "accuracy_m": 15.0,
        "crs": "wgs84",
    }


def accepted(item: dict[str, Any]) -> bool:
    """Whether the server takes the fix; both paths must say the same."""
    fix, errors = parse_fix(item)
    decoded = decode_batch(json.dumps({"checkins": [item]}).encode())
    if fix is None:
        assert decoded is None, f"the fast path accepted {item} that parse_fix refuses: {errors}"
        return False
    assert decoded is None or decoded[0] == [fix], item  # the fast path may leave it to parse_fix
    return True


def with_value(name: str, value: Any) -> dict[str, Any]:
    return {**base(), name: value}


def without(name: str) -> dict[str, Any]:
    item = base()
    item.pop(name, None)
    return item


def test_the_base_fix_is_accepted() -> None:
    assert accepted(base())


def test_every_field_the_server_knows_is_in_the_spec_and_the_other_way_round() -> None:
    assert set(ITEM["properties"]) == set(KNOWN_FIELDS) == {field.name for field in FIX_FIELDS}
    assert set(ITEM["required"]) == {field.name for field in FIX_FIELDS if field.required}
    assert not accepted({**base(), "extra": 1}), "a field the spec does not name is refused"


@pytest.mark.parametrize("name", PROPERTIES)
def test_required_and_nullable_mean_what_they_say(name: str) -> None:
    prop = spec_of(name)
    assert accepted(without(name)) is (name not in ITEM["required"]), f"{name}: required is wrong in the spec"
    assert accepted(with_value(name, None)) is bool(prop.get("nullable")), (
        f"{name}: nullable is wrong in the spec"
    )


@pytest.mark.parametrize("name", [name for name in PROPERTIES if spec_of(name)["type"] == "number"])
def test_numbers_are_taken_up_to_their_limits_and_refused_past_them(name: str) -> None:
    prop = spec_of(name)
    assert not accepted(with_value(name, "1")) and not accepted(with_value(name, True)), name
    for bound, outward in (("minimum", -math.inf), ("maximum", math.inf)):
        if bound in prop:
            limit = float(prop[bound])
            inside = math.nextafter(limit, -outward)
            outside = math.nextafter(limit, outward)
            assert accepted(with_value(name, limit)), f"{name}={limit} is within the spec's {bound}"
            assert accepted(with_value(name, inside)), f"{name}={inside!r} is within the spec's {bound}"
            assert not accepted(with_value(name, outside)), f"{name}={outside!r} is past the spec's {bound}"
        else:
            far = math.copysign(1e300, outward)
            assert accepted(with_value(name, far)), (
                f"{name}: the server has a {bound} the spec does not state"
            )


@pytest.mark.parametrize("name", [name for name in PROPERTIES if spec_of(name)["type"] == "string"])
def test_strings_are_held_to_their_enum_length_and_format(name: str) -> None:
    prop = spec_of(name)
    assert not accepted(with_value(name, 5)), f"{name}: a number is not a string"
    if "enum" in prop:
        for value in prop["enum"]:
            assert accepted(with_value(name, value)), f"{name}={value!r} is in the spec's enum"
        for value in ("", "other", *(value.upper() for value in prop["enum"])):
            assert not accepted(with_value(name, value)), f"{name}={value!r} is not in the spec's enum"
    elif prop.get("format") == "uuid":
        assert accepted(with_value(name, str(uuid.uuid4())))
        assert not accepted(with_value(name, "not-a-uuid"))
    elif prop.get("format") == "date-time":
        # The window the description states: [lo, hi).
        lo, hi = (
            dt.datetime.fromisoformat(text)
            for text in re.findall(r"\d{4}-\d\d-\d\dT[\d:]+Z", prop["description"])
        )
        microsecond = dt.timedelta(microseconds=1)
        assert accepted(with_value(name, lo.isoformat()))
        assert accepted(with_value(name, (hi - microsecond).isoformat()))
        assert not accepted(with_value(name, (lo - microsecond).isoformat())), f"{name}: before {lo}"
        assert not accepted(with_value(name, hi.isoformat())), f"{name}: at {hi}, the end of the window"
    else:
        if "maxLength" in prop:
            assert accepted(with_value(name, "x" * prop["maxLength"])), (
                f"{name}: maxLength characters are allowed"
            )
            assert not accepted(with_value(name, "x" * (prop["maxLength"] + 1))), f"{name}: past maxLength"
        else:
            assert accepted(with_value(name, "x" * 10_000)), (
                f"{name}: the server has a length limit the spec lacks"
            )
        assert accepted(with_value(name, "")), f"{name}: an empty string is allowed"


@pytest.mark.parametrize("name", [name for name in PROPERTIES if spec_of(name)["type"] == "boolean"])
def test_booleans_take_true_and_false_only(name: str) -> None:
    assert accepted(with_value(name, True)) and accepted(with_value(name, False))
    for value in (1, 0, "true", "yes"):
        assert not accepted(with_value(name, value)), f"{name}={value!r} is not a boolean"


def test_the_stored_columns_hold_every_value_the_spec_allows() -> None:
    from backend.monitoring.models import CheckIn

    for name in PROPERTIES:
        prop = spec_of(name)
        longest = max((len(value) for value in prop.get("enum", [])), default=prop.get("maxLength"))
        if longest is not None:
            column = CheckIn._meta.get_field(name).max_length
            assert column is not None and column >= longest, (
                f"CheckIn.{name} holds {column} characters, not {longest}"
            )
