"""The address of the client behind a request, as the throttles, the lockout and the access log see it.

``REMOTE_ADDR`` is whoever opened the connection: the reverse proxy when there is one. Each proxy
(``NUM_PROXIES`` of them, a setting of ``REST_FRAMEWORK``) appends the address it saw to
``X-Forwarded-For``, so the client is the entry ``NUM_PROXIES`` from the right; anything further
left was written by the client itself and is never trusted. With no proxy configured, the header is
ignored. DRF's throttles count the same address (``SimpleRateThrottle.get_ident``).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from rest_framework.settings import api_settings


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: Any) -> str | None:
    """The client's address, or ``None`` when the request carries no valid one."""
    meta = getattr(request, "META", None) or {}
    remote = _address(str(meta.get("REMOTE_ADDR") or ""))
    num_proxies = api_settings.NUM_PROXIES or 0
    forwarded = str(meta.get("HTTP_X_FORWARDED_FOR") or "")
    if num_proxies > 0 and forwarded:
        hops = [hop for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return _address(hops[-min(num_proxies, len(hops))]) or remote
    return remote


def axes_client_ip(request: Any) -> str:
    """``AXES_CLIENT_IP_CALLABLE``: the same address for the lockout (axes wants a string)."""
    return client_ip(request) or "0.0.0.0"  # noqa: S104 - not a bind address: "unknown client"
