"""Which credential each operation of the spec is called with (shared by the harness and the hooks)."""

from __future__ import annotations

import re

PUBLIC = re.compile(r"^/api/v1/(auth/login|mobile/enroll|ping)$")
PHONE = re.compile(r"^/api/v1/mobile/")
LOGOUT = "/api/v1/auth/logout"


def operation_kind(path: str) -> str:
    """``public`` (no credential), ``phone`` (device token), ``logout`` (a throwaway staff token) or ``staff``."""
    if PUBLIC.match(path):
        return "public"
    if PHONE.match(path):
        return "phone"
    if path == LOGOUT:
        return "logout"
    return "staff"
