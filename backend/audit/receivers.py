"""The access log's record of staff sessions, from the signals of ``backend.accounts``.

Accounts sits below audit and cannot call it; its login and logout views send a signal and
these receivers append the rows (connected in ``AuditConfig.ready``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed

from backend.accounts.signals import (
    staff_admin_access,
    staff_logged_in,
    staff_logging_out,
    staff_login_failed,
)
from backend.audit.models import AccessLog
from backend.audit.services import record_access


def login_recorded(sender: Any, *, request: Any, user: Any, **kwargs: Any) -> None:
    record_access(request, action=AccessLog.Action.LOGIN, resource="session", actor=user)


def login_failure_recorded(
    sender: Any, *, request: Any, username: str, reason: str = "password", **kwargs: Any
) -> None:
    record_access(
        request,
        action=AccessLog.Action.LOGIN_FAILED,
        resource="session",
        status_code=429 if reason == "locked" else 401,
        detail={"username": username, "reason": reason},
    )


def logout_recorded(sender: Any, *, request: Any, **kwargs: Any) -> None:
    record_access(request, action=AccessLog.Action.LOGOUT, resource="session")


def _from_admin(sender: Any, request: Any) -> bool:
    """Django's own auth signals, for sign-ins outside the API (the admin): the API's views and
    the admin's second-factor form send the signals above themselves."""
    path = str(getattr(request, "path", "") or "")
    # No path: a test client's force_login, not a request anyone made.
    if request is None or not path or path.startswith("/api/"):
        return False
    return not (isinstance(sender, str) and sender.startswith("backend.accounts"))


def django_login_recorded(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    if _from_admin(sender, request):
        record_access(request, action=AccessLog.Action.LOGIN, resource="session", actor=user)


def django_login_failure_recorded(
    sender: Any, credentials: dict[str, Any] | None = None, request: Any = None, **kwargs: Any
) -> None:
    if _from_admin(sender, request):
        username = str((credentials or {}).get("username") or "")[:150]
        locked = bool(getattr(request, "axes_locked_out", False))
        login_failure_recorded(
            sender, request=request, username=username, reason="locked" if locked else "password"
        )


_ADMIN_ACTIONS = {
    "list": AccessLog.Action.LIST,
    "read": AccessLog.Action.READ,
    "create": AccessLog.Action.CREATE,
    "update": AccessLog.Action.UPDATE,
    "delete": AccessLog.Action.DELETE,
    "reveal": AccessLog.Action.REVEAL,
}


def admin_access_recorded(
    sender: Any,
    *,
    request: Any,
    action: str,
    resource: str,
    object_id: Any = "",
    status_code: int = 200,
    detail: dict[str, Any] | None = None,
    reason: str = "",
    **kwargs: Any,
) -> None:
    record_access(
        request,
        action=_ADMIN_ACTIONS.get(action, AccessLog.Action.ACTION),
        resource=resource,
        object_id=object_id,
        status_code=status_code,
        detail=detail,
        reason=reason,
    )


def connect() -> None:
    staff_admin_access.connect(admin_access_recorded, dispatch_uid="audit-admin-access")
    user_logged_in.connect(django_login_recorded, dispatch_uid="audit-django-login")
    user_login_failed.connect(django_login_failure_recorded, dispatch_uid="audit-django-login-failed")
    staff_logged_in.connect(login_recorded, dispatch_uid="audit-login")
    staff_login_failed.connect(login_failure_recorded, dispatch_uid="audit-login-failed")
    staff_logging_out.connect(logout_recorded, dispatch_uid="audit-logout")
