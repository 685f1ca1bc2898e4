"""How long a staff sign-in lasts: 30 minutes without activity, 12 hours in all.

A session records when its staff member signed in and when they were last seen; the middleware
ends it (and the request goes on as anonymous) once either limit passes, and the console's
websocket refuses such a session at its handshake. API tokens follow the same two limits
(``backend.accounts.tokens``). Disabling an account ends every session and token of it at once
(``backend.accounts.services.end_staff_access``).

``STAFF_IDLE_TIMEOUT`` and ``STAFF_SESSION_MAX_AGE`` (seconds) set the limits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

LOGIN_AT = "staff_login_at"
SEEN_AT = "staff_seen_at"
# The last-seen time is written at most this often: a write per request would cost every read.
SEEN_WRITE_EVERY_S = 60


def idle_timeout() -> int:
    return int(getattr(settings, "STAFF_IDLE_TIMEOUT", 30 * 60))


def max_age() -> int:
    return int(getattr(settings, "STAFF_SESSION_MAX_AGE", 12 * 3600))


def mark_signed_in(session: Any, user: Any = None) -> None:
    """At every sign-in (API, admin, a test client's ``force_login``): start both clocks, and keep
    the second factor the login verified (``user.otp_device``) in the session."""
    now = int(timezone.now().timestamp())
    session[LOGIN_AT] = now
    session[SEEN_AT] = now
    device = getattr(user, "otp_device", None)
    if device is not None and device.user_id == getattr(user, "pk", None):
        from django_otp import DEVICE_ID_SESSION_KEY

        session[DEVICE_ID_SESSION_KEY] = device.persistent_id


def expiry_problem(session: Any, now: float | None = None) -> str | None:
    """``"idle"`` or ``"expired"`` when a signed-in session must end, else ``None``."""
    now = timezone.now().timestamp() if now is None else now
    login_at, seen_at = session.get(LOGIN_AT), session.get(SEEN_AT)
    if not isinstance(login_at, int) or not isinstance(seen_at, int):
        return "expired"  # a session from before these rules, or one not made by a sign-in
    if now - login_at > max_age():
        return "expired"
    if now - seen_at > idle_timeout():
        return "idle"
    return None


class StaffSessionMiddleware:
    """End sessions past the idle timeout or the sign-in age; keep the last-seen time fresh."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        # Only a request with a session cookie has a sign-in to check; touching the session of
        # any other (a phone's upload) would add "Vary: Cookie" to its answer.
        if (
            session is not None
            and settings.SESSION_COOKIE_NAME in request.COOKIES
            and session.get("_auth_user_id") is not None
        ):
            problem = expiry_problem(session)
            if problem is not None:
                logout(request)  # flushes the session; request.user becomes anonymous
                request.staff_session_ended = problem  # type: ignore[attr-defined]
            elif timezone.now().timestamp() - session[SEEN_AT] >= SEEN_WRITE_EVERY_S:
                session[SEEN_AT] = int(timezone.now().timestamp())
        return self.get_response(request)


def websocket_refusal(scope: dict[str, Any]) -> str | None:
    """Why a websocket handshake's staff user may not connect, or ``None`` (run it in a sync thread).

    Channels' session middleware puts the user of the session cookie in the scope; nothing there
    checks the second factor or the sign-in's age, so the handshake must. A user object that was
    verified in this process (``otp_device`` set, as a test's ``force_login`` user is) counts as
    verified, like DRF's ``force_authenticate``.
    """
    from backend.accounts.models import User
    from backend.accounts.otp import session_is_verified

    user = scope.get("user")
    if not isinstance(user, User) or not user.is_active:
        return "unauthenticated"
    if getattr(user, "otp_device", None) is not None:
        return None
    session = scope.get("session")
    if session is None or session.get("_auth_user_id") is None:
        return "unauthenticated"
    problem = expiry_problem(session)
    if problem is not None:
        return problem
    if not session_is_verified(session, user):
        return "unverified"
    return None
