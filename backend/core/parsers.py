"""The API's one JSON parser: the input limits of ``json_input`` applied to every request body."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import APIException, ParseError, ValidationError
from rest_framework.parsers import JSONParser

from backend.core.json_input import (
    MAX_JSON_DEPTH,
    find_bad_text,
    json_depth,
    may_hold_bad_text,
    too_deep_message,
)


class PayloadTooLarge(APIException):
    """A request body past ``DATA_UPLOAD_MAX_MEMORY_SIZE``: 413 in the API's error shape."""

    status_code = 413
    default_detail = _("The request body is too large.")
    default_code = "too_large"


def too_large() -> PayloadTooLarge:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return PayloadTooLarge(_("The request body is too large (at most %(n)d bytes).") % {"n": limit})


def read_limited(stream: Any) -> bytes:
    """The whole body of ``stream``, refusing one past ``DATA_UPLOAD_MAX_MEMORY_SIZE`` without
    reading more than one byte beyond it (DRF's parsers read the raw stream, which Django's
    own limit, checked only by ``request.body``, never sees)."""
    if stream is None:
        return b""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    raw = stream.read() if limit is None else stream.read(limit + 1)
    if limit is not None and len(raw) > limit:
        raise too_large()
    return bytes(raw)


class StrictJSONParser(JSONParser):
    """JSON bodies with a bounded depth and only storable text.

    The depth is measured on the raw bytes before anything is decoded (``json.loads`` would
    recurse into a deep body and fail with ``RecursionError``). A string that spells a NUL or a
    lone surrogate is refused with the path of its field, the same message a ``CharField``
    gives, so one rule holds for every text, also those inside JSON fields (zone geometry,
    schedules). ``check_text = False`` leaves that rule to a view that applies it item by item
    (the check-in upload refuses one bad fix and keeps the others).
    """

    check_text = True

    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        raw = read_limited(stream)
        if json_depth(raw) > MAX_JSON_DEPTH:
            raise ParseError(too_deep_message(), code="too_deep")
        try:
            data = json.loads(raw.decode(encoding), parse_constant=_refuse_constant)
        except (ValueError, UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        if self.check_text and may_hold_bad_text(raw):
            found = find_bad_text(data)
            if found is not None:
                field, message = found
                raise ValidationError({field: [message]}, code="invalid")
        return data


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON (DRF's own parser refuses them too, in strict mode).
    raise ValueError(f"{name} is not valid JSON")
