"""Validate API responses against the committed contract, ``mobile_api_spec/openapi.yaml``.

``assert_matches_spec(response, "/api/v1/mobile/me", "get")`` finds the operation (a concrete path
such as ``/api/v1/subjects/12`` matches its template ``/api/v1/subjects/{id}``), takes the schema
documented for the response's status code, and validates the body with jsonschema. After Zulip's
``validate_api_response_openapi``: a test that calls an endpoint also checks the phone app's contract.

Two things make the check stricter than plain OpenAPI:

* an object schema that lists its properties admits no others, so a field the code returns but the
  spec does not document fails the test instead of reaching the app undocumented;
* ``date``, ``date-time`` and ``uuid`` formats are checked.

OpenAPI 3.0 schemas are not quite JSON Schema (``nullable``), so they are converted first.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import re
import uuid
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SPEC_PATH = Path(__file__).resolve().parent.parent / "mobile_api_spec" / "openapi.yaml"


@functools.cache
def load_spec(path: Path = SPEC_PATH) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------------------
# OpenAPI 3.0 schema -> JSON Schema
# ---------------------------------------------------------------------------------------------


_DROPPED = (
    "nullable",
    "readOnly",
    "writeOnly",
    "example",
    "examples",
    "deprecated",
    "discriminator",
    "xml",
    "externalDocs",
)


def to_json_schema(schema: Any) -> Any:
    """Convert an OpenAPI 3.0 schema object (recursively) into strict JSON Schema."""
    if not isinstance(schema, dict):
        return schema
    converted: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DROPPED:
            continue
        if key == "properties":
            converted[key] = {name: to_json_schema(sub) for name, sub in value.items()}
        elif key in ("items", "not", "additionalProperties"):
            converted[key] = to_json_schema(value)
        elif key in ("allOf", "oneOf", "anyOf"):
            converted[key] = [to_json_schema(sub) for sub in value]
        else:
            converted[key] = value
    if "properties" in converted and "additionalProperties" not in converted:
        converted["additionalProperties"] = False
    if schema.get("nullable"):
        if "type" in converted and not any(key in converted for key in ("allOf", "oneOf", "anyOf", "$ref")):
            types = converted["type"] if isinstance(converted["type"], list) else [converted["type"]]
            converted["type"] = [*types, "null"]
            if "enum" in converted and None not in converted["enum"]:
                converted["enum"] = [*converted["enum"], None]
        else:
            converted = {"anyOf": [{"type": "null"}, converted]}
    return converted


def components(spec: dict[str, Any]) -> dict[str, Any]:
    schemas = spec.get("components", {}).get("schemas", {})
    return {"schemas": {name: to_json_schema(schema) for name, schema in schemas.items()}}


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    dt.date.fromisoformat(value)
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value))


def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    # RFC 3339 demands a time zone; a naive time in an API answer is a bug.
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.tzinfo is not None and "T" in value


def _is_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return True
    uuid.UUID(value)
    return True


FORMATS = jsonschema.FormatChecker(formats=())
FORMATS.checks("date", raises=ValueError)(_is_date)
FORMATS.checks("date-time", raises=ValueError)(_is_datetime)
FORMATS.checks("uuid", raises=ValueError)(_is_uuid)


# ---------------------------------------------------------------------------------------------
# Finding the operation and validating
# ---------------------------------------------------------------------------------------------


def find_path(path: str, spec: dict[str, Any]) -> str:
    """The spec's path template for ``path``: itself, or the template its segments match."""
    path = path.split("?", 1)[0]
    if path in spec["paths"]:
        return path
    for template in spec["paths"]:
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            return template
    raise AssertionError(f"{path} is not in {SPEC_PATH.name}; run `make spec` if the endpoint is new")


def response_schema(
    path: str, method: str, status: int, spec: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """The JSON Schema for the body of ``status`` from ``method path``; None if documented without a body."""
    spec = spec or load_spec()
    template = find_path(path, spec)
    operation = spec["paths"][template].get(method.lower())
    assert operation is not None, f"{method.upper()} {template} is not in the spec"
    responses = operation.get("responses", {})
    documented = (
        responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
    )
    assert documented is not None, (
        f"{method.upper()} {template} answered {status}, which the spec does not document "
        f"(documented: {', '.join(sorted(responses))})"
    )
    content = documented.get("content")
    if not content:
        return None
    media = content.get("application/json")
    assert media is not None, f"{method.upper()} {template} {status} has no application/json body in the spec"
    return {"allOf": [to_json_schema(media["schema"])], "components": components(spec)}


def assert_matches_spec(response: Any, path: str, method: str) -> None:
    """Fail unless ``response`` (a DRF/Django test response) is what the spec promises for it."""
    schema = response_schema(path, method, response.status_code)
    body = response.content
    if schema is None:
        assert not body, (
            f"{method.upper()} {path} answered {response.status_code} with a body, but the spec "
            "documents none"
        )
        return
    data = response.json()
    validator = jsonschema.Draft7Validator(schema, format_checker=FORMATS)
    errors = sorted(validator.iter_errors(data), key=lambda error: list(error.absolute_path))
    if errors:
        lines = [
            f"{'.'.join(str(p) for p in error.absolute_path) or '(body)'}: {error.message}"
            for error in errors
        ]
        raise AssertionError(
            f"{method.upper()} {path} -> {response.status_code} does not match the spec:\n"
            + "\n".join(lines[:20])
        )


def example_schema(name: str) -> dict[str, Any]:
    """A component schema, converted; for tests of the helper itself."""
    spec = load_spec()
    return copy.deepcopy(
        {"allOf": [{"$ref": f"#/components/schemas/{name}"}], "components": components(spec)}
    )
