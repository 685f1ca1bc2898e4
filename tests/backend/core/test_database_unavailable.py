"""A database that cannot be reached is a 503 with Retry-After in the API's JSON shape — from a
view, from the check-in fast path, from the admin — and /readyz says so while /healthz does not."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client

from backend.core.errors import database_unreachable
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def broken(*args: Any, **kwargs: Any) -> Any:
    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')


def test_a_staff_call_answers_503_with_retry_after(officer_a: Any, subject_a: Any) -> None:
    client = client_for(officer_a)
    client.raise_request_exception = False
    with mock.patch("backend.supervision.api.views.SubjectViewSet.get_queryset", broken):
        answer = client.get("/api/v1/subjects")
    assert answer.status_code == 503
    assert answer["Retry-After"] == "5"
    assert answer["Content-Type"] == "application/json"
    assert answer.json()["code"] == "service_unavailable"


def database_away() -> Any:
    """Every statement fails as it does while PostgreSQL is stopped."""
    from django.db.backends.utils import CursorWrapper

    return mock.patch.multiple(CursorWrapper, execute=broken, executemany=broken)


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8"])
def test_the_check_in_upload_answers_503_while_the_database_is_away(
    subject_a: Any, officer_a: Any, content_type: str
) -> None:
    """Through the WSGI application phones talk to: the fast path in front of Django, then Django."""
    import io

    from django.test import RequestFactory

    from backend.config.wsgi import application
    from tests.backend.monitoring.helpers import fix
    from tests.conftest import enroll_phone, phone_signature

    _device, token = enroll_phone(subject_a, officer_a)
    body = json.dumps({"checkins": [fix()]}).encode()
    environ = (
        RequestFactory()
        .post(
            "/api/v1/mobile/checkins",
            data=body,
            content_type=content_type,
            HTTP_AUTHORIZATION=f"Device {token}",
            **phone_signature(token, "POST", "/api/v1/mobile/checkins", body),
        )
        .environ
    )
    environ["wsgi.input"] = io.BytesIO(body)
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        captured["status"], captured["headers"] = status, dict(headers)

    with database_away():
        payload = b"".join(application(environ, start_response))
    assert captured["status"].startswith("503"), (captured, payload[:300])
    assert captured["headers"]["Retry-After"] == "5"
    assert json.loads(payload)["code"] == "service_unavailable"


def test_readiness_says_unavailable_and_health_still_lives(client: Client) -> None:
    assert client.get("/readyz").json() == {"status": "ready"}
    with mock.patch("backend.core.errors._check_database", return_value="OperationalError"):
        answer = client.get("/readyz")
    assert answer.status_code == 503 and answer["Retry-After"] == "5"
    assert answer.json()["problems"] == {"database": "OperationalError"}
    assert client.get("/healthz").status_code == 200


def test_another_failure_under_the_api_is_a_json_500_not_a_page(officer_a: Any) -> None:
    client = client_for(officer_a)
    client.raise_request_exception = False

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("bug")

    with mock.patch("backend.supervision.api.views.SubjectViewSet.get_queryset", boom):
        answer = client.get("/api/v1/subjects")
    assert answer.status_code == 500 and answer.json()["code"] == "error"


def test_the_cause_chain_is_read() -> None:
    try:
        try:
            raise OperationalError("server closed the connection unexpectedly")
        except OperationalError as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        assert database_unreachable(outer)
    assert not database_unreachable(ValueError("no"))
    assert not database_unreachable(None)


def test_redis_away_is_a_503_too_and_only_redis_errors_are(officer_a: Any) -> None:
    """Throttles and the cache live in Redis in production: a request that needed it while it is
    away is retried like one that needed the database, not a 500."""
    import redis.exceptions

    from backend.core.errors import redis_unreachable

    client = client_for(officer_a)
    client.raise_request_exception = False

    def redis_away(*args: Any, **kwargs: Any) -> Any:
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except ConnectionRefusedError as exc:
            raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379.") from exc

    with mock.patch("backend.supervision.api.views.SubjectViewSet.get_queryset", redis_away):
        answer = client.get("/api/v1/subjects")
    assert answer.status_code == 503 and answer["Retry-After"] == "5"
    assert answer.json()["code"] == "service_unavailable"
    assert redis_unreachable(redis.exceptions.TimeoutError("read timed out"))
    assert redis_unreachable(redis.exceptions.BusyLoadingError("loading"))  # a ConnectionError
    assert not redis_unreachable(redis.exceptions.ResponseError("WRONGTYPE"))  # a bug, not an outage
    assert not redis_unreachable(ConnectionRefusedError(111, "a socket of something else"))


def test_readiness_with_redis_away_is_degraded_not_out_of_rotation(client: Client) -> None:
    with mock.patch("backend.core.errors._check_channel_layer", return_value="ConnectionError"):
        answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "degraded", "problems": {"channel_layer": "ConnectionError"}}


@pytest.mark.django_db(transaction=True)
async def test_under_asgi_the_answer_is_503_too(officer_a: Any) -> None:
    """Django builds an ASGI error answer in another thread, where ``sys.exc_info()`` is empty:
    the middleware sees the exception itself."""
    from asgiref.sync import sync_to_async
    from django.test import AsyncClient

    client = AsyncClient(raise_request_exception=False)
    await sync_to_async(client.force_login)(officer_a)
    with mock.patch("backend.supervision.api.views.SubjectViewSet.get_queryset", broken):
        answer = await client.get("/api/v1/subjects")
    assert answer.status_code == 503 and answer["Retry-After"] == "5"
    assert json.loads(answer.content)["code"] == "service_unavailable"


def test_an_api_path_that_matches_no_route_is_a_json_404(officer_a: Any) -> None:
    client = client_for(officer_a)
    for path in ("/api/v1/leave-requests/1.5/reject", "/api/v1/no-such-thing", "/api/v1/subjects/%20/"):
        answer = client.post(path) if "reject" in path else client.get(path)
        assert answer.status_code == 404, path
        assert answer["Content-Type"] == "application/json", path
        assert answer.json()["code"] == "not_found"
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and "application/json" not in page["Content-Type"]


def test_the_throttles_stay_open_while_their_cache_is_away() -> None:
    """Staff sign in and phones enroll during a Redis outage: the scoped throttle lets the request
    through (the failed-sign-in lockout lives in the database); any other error still raises."""
    import redis.exceptions
    from rest_framework.test import APIRequestFactory

    from backend.core.api import ScopedRateThrottle

    class View:
        throttle_scope = "login"

    from django.contrib.auth.models import AnonymousUser
    from rest_framework.request import Request

    request = Request(APIRequestFactory().post("/api/v1/auth/login"))
    request.user = AnonymousUser()
    throttle = ScopedRateThrottle()
    away = redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with mock.patch.object(throttle, "cache") as cache:
        cache.get.side_effect = away
        assert throttle.allow_request(request, View()) is True
        cache.get.side_effect = ValueError("a bug, not an outage")
        with pytest.raises(ValueError):
            throttle.allow_request(request, View())
