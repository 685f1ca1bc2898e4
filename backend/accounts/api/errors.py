"""One error shape for the whole API, so the phone app and console handle errors one way.

``{"detail": "<summary>", "code": "<machine code>", "errors": {"<field>": ["<message>", ...]}}``;
``errors`` is present for validation errors, nested fields are joined with dots (``device.platform``,
``checkins.3.lat``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from backend.core.parsers import too_large


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error detail into ``{"a.b.0.c": ["message"]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for field, messages in flatten_errors(value, name).items():
                out.setdefault(field, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            out[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item:
                    for field, messages in flatten_errors(
                        item, f"{prefix}.{index}" if prefix else str(index)
                    ).items():
                        out.setdefault(field, []).extend(messages)
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def _first_code(codes: Any) -> str:
    if isinstance(codes, dict):
        for value in codes.values():
            return _first_code(value)
    if isinstance(codes, list):
        for value in codes:
            return _first_code(value)
        return "invalid"
    return str(codes)


def _answer_in_json(request: Any) -> None:
    """An error is JSON even where the client asked for a file (``?format=xlsx``, ``Accept:
    application/zip``): a file's renderer has no error to write, and the error shape is JSON."""
    renderer = getattr(request, "accepted_renderer", None)
    if renderer is not None and "json" not in renderer.media_type:
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):  # Django's own limit, met through ``request.body``
        exc = too_large()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    _answer_in_json(context.get("request"))
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        code = _first_code(exc.get_codes())
        if code in ("invalid", "required", "null", "blank"):
            code = "invalid"
        first_field, first_messages = next(iter(errors.items()))
        summary = (
            first_messages[0] if first_field == "non_field_errors" else f"{first_field}: {first_messages[0]}"
        )
        response.data = {"detail": summary, "code": code, "errors": errors}
    else:
        detail = exc.detail
        response.data = {
            "detail": str(detail if not isinstance(detail, dict | list) else exc.default_detail),
            "code": _first_code(exc.get_codes()),
            # What the client needs to act on this error beyond its code (e.g. the server's time
            # for a phone request signed with a clock that is off).
            **(getattr(exc, "extra", None) or {}),
        }
    return response
