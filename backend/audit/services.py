"""Recording accesses to protected records."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from backend.accounts.client import client_ip as _client_ip
from backend.audit import chain
from backend.audit.models import AccessLog

Outcome = AccessLog.Outcome
Action = AccessLog.Action


def outcome_for_status(status_code: int) -> str:
    if status_code < 400:
        return Outcome.OK
    if status_code == 404:
        return Outcome.NOT_FOUND
    if status_code in (401, 403):
        return Outcome.DENIED
    if status_code < 500:
        return Outcome.INVALID
    return Outcome.ERROR


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as the throttles and the lockout see it: the connection's, or behind
    ``NUM_PROXIES`` proxies the one the last of them appended to X-Forwarded-For. A header the
    client writes itself (X-Real-IP, its own X-Forwarded-For) is never taken on trust."""
    return _client_ip(request)


def record_access(
    request: HttpRequest | None,
    *,
    action: str,
    resource: str,
    object_id: object = "",
    status_code: int | None = 200,
    detail: dict[str, Any] | None = None,
    actor: Any = None,
    reason: str = "",
) -> AccessLog:
    """Append one access-log row for the staff member behind ``request`` (or ``actor``), linked
    into the log's hash chain. ``reason`` is why the record was read, where the law asks for one."""
    user = actor if actor is not None else getattr(request, "user", None)
    staff = user if getattr(user, "is_authenticated", False) and hasattr(user, "role") else None
    detail = chain.normalized_detail(detail)
    row = AccessLog(
        actor=staff,
        actor_username=getattr(staff, "username", "") or (detail or {}).get("username", ""),
        actor_role=getattr(staff, "role", "") or "",
        actor_office_id=getattr(staff, "office_id", None),
        action=action,
        resource=resource,
        object_id=str(object_id or "")[:64],
        detail=detail or {},
        method=request.method or "" if request is not None else "",
        path=(request.get_full_path() if request is not None else "")[:300],
        ip=client_ip(request) if request is not None else None,
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:300],
        status_code=status_code,
        outcome=outcome_for_status(status_code or 200),
        reason=clean_reason(reason),
    )
    return chain.append(row)


def clean_reason(reason: object) -> str:
    """A stated reason, as stored: printable text, at most 200 characters."""
    text = "".join(ch for ch in str(reason or "") if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF)
    return text.strip()[:200]
