"""The access log's record of staff sessions, from the signals of ``backend.accounts``.

Accounts sits below audit and cannot call it; its login and logout views send a signal and
these receivers append the rows (connected in ``AuditConfig.ready``).
"""

from __future__ import annotations

from typing import Any

from backend.accounts.signals import staff_logged_in, staff_logging_out, staff_login_failed
from backend.audit.models import AccessLog
from backend.audit.services import record_access


def login_recorded(sender: Any, *, request: Any, user: Any, **kwargs: Any) -> None:
    record_access(request, action=AccessLog.Action.LOGIN, resource="session", actor=user)


def login_failure_recorded(sender: Any, *, request: Any, username: str, **kwargs: Any) -> None:
    record_access(
        request,
        action=AccessLog.Action.LOGIN_FAILED,
        resource="session",
        status_code=401,
        detail={"username": username},
    )


def logout_recorded(sender: Any, *, request: Any, **kwargs: Any) -> None:
    record_access(request, action=AccessLog.Action.LOGOUT, resource="session")


def connect() -> None:
    staff_logged_in.connect(login_recorded, dispatch_uid="audit-login")
    staff_login_failed.connect(login_failure_recorded, dispatch_uid="audit-login-failed")
    staff_logging_out.connect(logout_recorded, dispatch_uid="audit-logout")
