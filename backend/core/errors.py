"""What the server answers when it fails: a database that cannot be reached is a 503 the client
retries (with ``Retry-After``), never an HTML 500; any other failure of an API call is a 500 in the
API's JSON error shape. And ``/readyz``: whether this process can serve now.

``server_error`` is the project's ``handler500``. Django calls it for every uncaught exception —
of a view, of a middleware, and of the check-in fast path in front of Django — inside the
``except`` block, so the exception is in ``sys.exc_info()``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.defaults import page_not_found as django_page_not_found
from django.views.defaults import server_error as django_server_error

# Seconds a client waits before it tries again when the database is away (a restart, a failover).
RETRY_AFTER_S = 5


def _causes(exc: BaseException | None) -> Iterator[BaseException]:
    """``exc`` and what caused it, at most ten deep."""
    seen = 0
    while exc is not None and seen < 10:
        yield exc
        exc = exc.__cause__ or exc.__context__
        seen += 1


def database_unreachable(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what caused it) says the database cannot be reached right now."""
    for cause in _causes(exc):
        if isinstance(cause, OperationalError | InterfaceError):
            return True
        name = type(cause).__module__ + "." + type(cause).__qualname__
        if name.startswith("psycopg.") and ("Operational" in name or "Interface" in name):
            return True
    return False


def redis_unreachable(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what caused it) says Redis (cache, throttles, channel layer) cannot be
    reached right now: a request that needed it is retried later like one that needed the database."""
    return any(
        kind.__module__ == "redis.exceptions" and kind.__qualname__ in ("ConnectionError", "TimeoutError")
        for cause in _causes(exc)
        for kind in type(cause).__mro__
    )


def service_unreachable(exc: BaseException | None) -> bool:
    """PostgreSQL or Redis cannot be reached: the client is told to retry (503), not that it failed."""
    return database_unreachable(exc) or redis_unreachable(exc)


def unavailable_response() -> JsonResponse:
    response = JsonResponse(
        {
            "detail": _("The service is briefly unavailable. Try again shortly."),
            "code": "service_unavailable",
        },
        status=503,
        json_dumps_params={"ensure_ascii": False},
    )
    response["Retry-After"] = str(RETRY_AFTER_S)
    return response


def server_error(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    exc = sys.exc_info()[1]
    if service_unreachable(exc):
        return unavailable_response()
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": _("A server error occurred."), "code": "error"},
            status=500,
            json_dumps_params={"ensure_ascii": False},
        )
    return django_server_error(request, *args, **kwargs)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The project's ``handler404``: a path under ``/api/`` that matches no route (an id the route's
    pattern refuses, a typo) answers the API's JSON error, not Django's HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": _("Not found."), "code": "not_found"},
            status=404,
            json_dumps_params={"ensure_ascii": False},
        )
    return django_page_not_found(request, exception)


class UnavailableMiddleware:
    """A view that failed because PostgreSQL or Redis is away answers 503 with ``Retry-After``.

    ``server_error`` does the same from ``sys.exc_info()``, but under ASGI Django builds the error
    answer in another thread, where ``sys.exc_info()`` is empty: there every such failure was a
    500. ``process_exception`` is given the exception itself, under WSGI and ASGI alike.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)  # type: ignore[no-any-return]

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if service_unreachable(exception):
            return unavailable_response()
        return None


def _check_database() -> str | None:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        # A broken connection is dropped so the next request opens a new one.
        connections["default"].close_if_unusable_or_obsolete()
        return type(exc).__name__
    return None


def _check_channel_layer() -> str | None:
    layer: dict[str, Any] = settings.CHANNEL_LAYERS.get("default", {})
    if "redis" not in str(layer.get("BACKEND", "")).lower():
        return None
    try:
        import redis

        hosts = layer.get("CONFIG", {}).get("hosts", [])
        host = hosts[0] if hosts else "redis://127.0.0.1:6379/0"
        client = redis.Redis.from_url(host["address"] if isinstance(host, dict) else host, socket_timeout=1)
        client.ping()
    except Exception as exc:  # any failure to reach it is "not ready", with its name
        return type(exc).__name__
    return None


@csrf_exempt
def readiness(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, 503 when it does not.

    ``/healthz`` says the process lives; this says it can serve: a load balancer takes a process
    out of rotation on a 503 here while PostgreSQL is away, and back when it returns. Redis away
    is a 200 that says "degraded": the process still stores every upload and records every alert
    (their pushes wait in the outbox, consoles read from the database), so it must stay in rotation.
    """
    database = _check_database()
    if database is not None:
        response = JsonResponse({"status": "unavailable", "problems": {"database": database}}, status=503)
        response["Retry-After"] = str(RETRY_AFTER_S)
        return response
    channel_layer = _check_channel_layer()
    if channel_layer is not None:
        return JsonResponse({"status": "degraded", "problems": {"channel_layer": channel_layer}})
    return JsonResponse({"status": "ready"})
