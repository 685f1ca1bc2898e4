"""Login lockout: 5 failures in 15 minutes lock the username and the client address (django-axes).

django-axes counts failures in the database (``AccessAttempt``, one row per username, address and
user agent, updated under ``SELECT ... FOR UPDATE``) and refuses a locked-out login before the
password is checked. Its check and its count are two steps, though: 50 attempts arriving at once
would all pass the check before the first failure is counted. ``serialized_login`` makes the pair
one step per username and per address: on PostgreSQL each login takes two transaction-level
advisory locks (username first, then address, always in that order, so two logins never wait on
each other in a cycle) and holds them until its failure is counted; SQLite's write transactions
(``BEGIN IMMEDIATE``) are serialized already. So at most 5 wrong passwords are ever checked per
15 minutes, however many arrive together (measured in ``docs/security.md``).

A locked-out client gets 429 with ``Retry-After`` and a message saying when to try again, as JSON
on the API and as a page in the admin.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

LOCKOUT_CODE = "locked_out"


def cooloff_seconds() -> int:
    cooloff = getattr(settings, "AXES_COOLOFF_TIME", None)
    return int(cooloff.total_seconds()) if cooloff is not None else 15 * 60


def lockout_message() -> str:
    minutes = max(1, cooloff_seconds() // 60)
    return _(
        "Too many failed sign-ins: this account or address is locked for %(minutes)d minutes. "
        "Try again later or ask the system administrator."
    ) % {"minutes": minutes}


def lockout_response(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: 429, JSON in the API's error shape, a short page elsewhere."""
    headers = {"Retry-After": str(cooloff_seconds())}
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": lockout_message(), "code": LOCKOUT_CODE},
            status=429,
            headers=headers,
            json_dumps_params={"ensure_ascii": False},
        )
    return HttpResponse(
        lockout_message(), status=429, headers=headers, content_type="text/plain; charset=utf-8"
    )


def _lock_key(kind: str, value: str) -> int:
    digest = hashlib.sha256(f"login:{kind}:{value}".encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def serialized_login(username: str, ip: str | None) -> Iterator[None]:
    """One login at a time per username and per client address, until its outcome is recorded."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key("user", username.lower())])
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key("ip", ip or "")])
        yield
