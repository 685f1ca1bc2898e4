"""The error answers every operation can give, written into the published spec.

Every error of the API has one shape (``backend.accounts.api.errors``). Which statuses an
operation can answer follows from what it takes: a body (400 invalid, 413 too large, 415 not
JSON), query parameters (400), path parameters (404), credentials (401 missing or revoked,
403 not allowed, 404 for a module the caller's role does not have), a throttle (429), and any change may be refused by a rule of the domain
(400). Any operation may also be refused a request line too long (414, from the HTTP server, in HTML).
A view names the others it answers in ``documented_errors`` (``{handler or action:
{status: description}}``, e.g. a 409). This hook adds them all to each operation that does not
document them itself, so the phone team and the API tests see every status the server answers.
"""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error answer. `errors` is present for validation errors: field paths (such as "
    "`checkins.3.lat`) to messages.",
    "properties": {
        "detail": {"type": "string", "description": "A summary in the request's language."},
        "code": {
            "type": "string",
            "description": "A machine code: invalid, too_deep, too_large, "
            "unsupported_media_type, not_authenticated, authentication_failed, device_revoked, "
            "signature_required, signature_invalid, signature_expired, signature_replayed, reenroll, "
            "permission_denied, not_found, throttled, ...",
        },
        "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        "server_time": {
            "type": "string",
            "format": "date-time",
            "description": "With `signature_expired`: the server's clock, to sign again by.",
        },
        "server_time_ms": {
            "type": "integer",
            "description": "With `signature_expired`: the server's clock in milliseconds since the epoch "
            "(the unit of X-Signature-Time).",
        },
    },
    "required": ["detail", "code"],
}

_DESCRIPTIONS = {
    "400": "Invalid input: `errors` names each field.",
    "401": "No credentials, or credentials that are unknown, expired or revoked.",
    "403": "The caller may not do this.",
    "404": "Not found, outside the caller's offices, or a module the caller's role does not have.",
    "413": "The body is larger than the server accepts.",
    "415": "The body is not `application/json`.",
    "429": "Too many requests; retry after the `Retry-After` header's seconds.",
}


# Any request whose request line (method, path and query string) is longer than the server reads
# is refused before the API sees it, by the server in front of it: gunicorn answers 414 past 4094
# bytes, in HTML. The phone and the console never build such a line; a client that does gets this.
REQUEST_LINE_TOO_LONG: dict[str, Any] = {
    "description": "The request line is too long (past 4094 bytes): answered by the HTTP server, "
    "before the API, as a short HTML page.",
    "content": {"text/html": {"schema": {"type": "string"}}},
}


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: see the module text."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    throttled: set[tuple[str, str]] = set()
    declared: dict[tuple[str, str], dict[str, str]] = {}
    for path, _regex, method, callback in getattr(generator, "endpoints", None) or []:
        view = getattr(callback, "cls", None)
        key = (path.replace("{pk}", "{id}"), method.lower())  # as SCHEMA_COERCE_PATH_PK writes it
        if getattr(view, "throttle_classes", None):
            throttled.add(key)
        handler = (getattr(callback, "actions", None) or {}).get(method.lower(), method.lower())
        declared[key] = getattr(view, "documented_errors", {}).get(handler, {})
    for path, path_item in result.get("paths", {}).items():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            statuses = set()
            if method != "get":  # a rule of the domain may refuse any change
                statuses.add("400")
            if "requestBody" in operation:
                statuses |= {"400", "413", "415"}
            parameters = operation.get("parameters", [])
            if any(p.get("in") == "query" for p in parameters):
                statuses.add("400")
            if any(p.get("in") == "path" for p in parameters):
                statuses.add("404")
            security = operation.get("security")
            if security and any(scheme for scheme in security):
                # 404 too: a module a role does not have (the bureau's own, to an office's staff)
                # answers 404 on its lists as on its objects, so as not to say what exists.
                statuses |= {"401", "403", "404"}
            if (path, method) in throttled:
                statuses.add("429")
            extra = declared.get((path, method), {})
            responses = operation.setdefault("responses", {})
            for code in sorted(statuses | set(extra)):
                if code not in responses:
                    responses[code] = {
                        "content": {"application/json": {"schema": ref}},
                        "description": extra.get(code) or _DESCRIPTIONS[code],
                    }
            for code, response in responses.items():  # an error a view described without a body
                if str(code).startswith(("4", "5")) and not response.get("content"):
                    response["content"] = {"application/json": {"schema": ref}}
            responses.setdefault("414", {"$ref": "#/components/responses/RequestLineTooLong"})
    result["components"].setdefault("responses", {})["RequestLineTooLong"] = REQUEST_LINE_TOO_LONG
    return result


# A time of day as the server writes it (``TimeField``): local wall-clock time, no offset.
LOCAL_TIME = {
    "type": "string",
    "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
    "example": "21:00:00",
}


def _local_times(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("format") == "time":
            del node["format"]
            node.update({key: value for key, value in LOCAL_TIME.items() if key not in node})
            node.setdefault(
                "description", "A local time of day (Asia/Shanghai), HH:MM or HH:MM:SS, without an offset."
            )
        for value in node.values():
            _local_times(value)
    elif isinstance(node, list):
        for value in node:
            _local_times(value)


def local_times(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: a time of day is a local wall-clock time, written
    ``HH:MM:SS`` (a curfew's start and end). OpenAPI's ``format: time`` is RFC 3339's full-time,
    which needs an offset (``21:00:00+08:00``): neither what the server answers nor what it reads
    back, so the spec says what it is with a pattern instead."""
    _local_times(result)
    return result
