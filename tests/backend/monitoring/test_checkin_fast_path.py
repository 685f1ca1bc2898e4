"""The check-in fast path answers exactly as the view would, and leaves everything else to Django.

The fast path wraps the WSGI application (what gunicorn serves), so these tests call that
application with a WSGI environ, as a server would, instead of going through Django's test client.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import OperationalError, close_old_connections
from django.test import RequestFactory, override_settings

from backend.config.wsgi import application
from backend.monitoring.api import fast_path
from backend.monitoring.api.fast_path import CheckinFastPath
from backend.monitoring.api.views import CheckinView
from backend.monitoring.models import CheckIn
from backend.supervision.signing import SIGNATURE_HEADER, TIME_HEADER, sign_request
from tests.backend.monitoring.helpers import fix
from tests.conftest import enroll_phone, new_phone_key, phone_signature

pytestmark = pytest.mark.django_db

PATH = "/api/v1/mobile/checkins"
# Fields whose values differ from one answer to the next by nature.
_VOLATILE = {"server_time", "next_checkin_due"}


@pytest.fixture
def token(subject_a: Any, officer_a: Any) -> str:
    return enroll_phone(subject_a, officer_a)[1]


@contextmanager
def _keep_test_connection() -> Iterator[None]:
    """As Django's test client does: a request must not close the test's connection (its transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _environ(
    token: str, body: bytes | str, content_type: str = "application/json", **headers: str
) -> dict[str, Any]:
    """The environ of an upload by the phone of ``token``, signed by it (``headers`` may replace
    the signature's)."""
    raw = body.encode() if isinstance(body, str) else body
    headers = {
        "HTTP_HOST": "testserver",
        "HTTP_AUTHORIZATION": f"Device {token}",
        **phone_signature(token, "POST", PATH, raw),
        **headers,
    }
    return RequestFactory().post(PATH, body, content_type=content_type, **headers).environ  # type: ignore[no-any-return]


def _fresh_application() -> CheckinFastPath:
    """The WSGI application built anew, so Django's middleware reads the settings as overridden."""
    return CheckinFastPath(WSGIHandler())


def _call(environ: dict[str, Any], app: Any = application) -> tuple[int, dict[str, str], bytes]:
    """Call the WSGI application as a server would: status, headers, body (closed after)."""
    started: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        started.update(status=int(status.split(" ", 1)[0]), headers=dict(headers))

    with _keep_test_connection():
        result = app(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
    return started["status"], started["headers"], body


def _post(
    token: str, fixes: list[dict[str, Any]], body: dict[str, Any] | None = None, **headers: str
) -> tuple[int, dict[str, str], bytes]:
    return _call(_environ(token, json.dumps({"checkins": fixes, **(body or {})}), **headers))


def _answer(
    token: str, fixes: list[dict[str, Any]], **headers: str
) -> tuple[int, dict[str, str], dict[str, Any]]:
    status, response_headers, content = _post(token, fixes, **headers)
    body = json.loads(content)
    for key in _VOLATILE:
        body.pop(key, None)
    kept = {k: v for k, v in response_headers.items() if k not in ("Date", "Content-Length")}
    return status, kept, body


def _both_ways(token: str, batch: list[dict[str, Any]], **headers: str) -> tuple[Any, Any]:
    """The answer to ``batch`` with the fast path off, then to the same batch sent again with it on."""
    with override_settings(CHECKIN_FAST_PATH=False):
        slow = _answer(token, batch, **headers)
    with override_settings(CHECKIN_FAST_PATH=True):
        fast = _answer(token, batch, **headers)
    return slow, fast


def _not_django() -> Any:
    return mock.patch.object(application, "app", side_effect=AssertionError("Django was reached"))


def test_a_good_upload_is_answered_without_django(token: str) -> None:
    batch = [fix(), fix()]
    with override_settings(CHECKIN_FAST_PATH=True), _not_django():
        status, headers, content = _post(token, batch)
    assert status == 200
    assert int(headers["Content-Length"]) == len(content)
    assert [r["status"] for r in json.loads(content)["results"]] == ["accepted", "accepted"]
    assert CheckIn.objects.filter(client_id__in=[f["id"] for f in batch]).count() == 2


def test_a_json_body_with_its_charset_takes_the_fast_path(token: str) -> None:
    with override_settings(CHECKIN_FAST_PATH=True), _not_django():
        status, _headers, _content = _call(
            _environ(token, json.dumps({"checkins": [fix()]}), content_type="application/json; charset=UTF-8")
        )
    assert status == 200
    assert CheckIn.objects.count() == 1


def test_it_writes_what_the_view_writes(token: str) -> None:
    batch = [fix(), fix(battery=55, charging=True, provider="gps")]
    (slow_status, slow_headers, slow_body), (fast_status, fast_headers, fast_body) = _both_ways(token, batch)
    assert slow_status == fast_status == 200
    # Sent twice, the second answer is all duplicates: compare it with the view's duplicates.
    assert [r["status"] for r in slow_body["results"]] == ["accepted", "accepted"]
    assert [r["status"] for r in fast_body["results"]] == ["duplicate", "duplicate"]
    assert fast_headers == slow_headers
    assert {"X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options", "Allow"} <= set(fast_headers)
    with override_settings(CHECKIN_FAST_PATH=False):
        again = _answer(token, batch)
    assert again[2] == fast_body


@override_settings(SECURE_HSTS_SECONDS=3600, SECURE_HSTS_INCLUDE_SUBDOMAINS=True)
def test_over_https_it_sends_the_security_headers_django_sends(token: str) -> None:
    batch = [fix()]
    https = {"wsgi.url_scheme": "https"}
    app = _fresh_application()
    with override_settings(CHECKIN_FAST_PATH=False):
        slow = _call({**_environ(token, json.dumps({"checkins": batch})), **https}, app)
    with override_settings(CHECKIN_FAST_PATH=True), mock.patch.object(app, "app", side_effect=AssertionError):
        fast = _call({**_environ(token, json.dumps({"checkins": batch})), **https}, app)
    assert slow[1]["Strict-Transport-Security"] == "max-age=3600; includeSubDomains"
    drop = {"Date", "Content-Length"}
    assert {k: v for k, v in fast[1].items() if k not in drop} == {
        k: v for k, v in slow[1].items() if k not in drop
    }


def test_a_conflict_is_answered_in_the_phones_language(token: str) -> None:
    first = fix()
    _post(token, [first])
    changed = {**first, "lat": first["lat"] + 0.01}
    for language, expected in (("en", "already sent with a different fix"), ("zh-hans", "不同")):
        with override_settings(CHECKIN_FAST_PATH=False):
            slow = _answer(token, [changed], HTTP_ACCEPT_LANGUAGE=language)
        with override_settings(CHECKIN_FAST_PATH=True), _not_django():
            fast = _answer(token, [changed], HTTP_ACCEPT_LANGUAGE=language)
        assert slow == fast
        assert fast[0] == 400 and fast[1]["Content-Language"] == language
        assert expected in json.dumps(fast[2]["results"][0]["errors"], ensure_ascii=False)


@pytest.mark.parametrize("case", ["bad token", "malformed fix", "bad sent_at", "not json", "accepts xml"])
def test_everything_else_goes_to_the_view(token: str, case: str) -> None:
    batch, body, headers, client_token = [fix()], {}, {}, token
    if case == "bad token":
        client_token = "not-a-token"
    elif case == "malformed fix":
        batch = [fix(lat=123.0)]
    elif case == "bad sent_at":
        body = {"sent_at": "yesterday"}
    elif case == "accepts xml":
        headers = {"HTTP_ACCEPT": "application/xml"}
    with (
        override_settings(CHECKIN_FAST_PATH=True),
        mock.patch.object(CheckinView, "dispatch", autospec=True, side_effect=CheckinView.dispatch) as view,
    ):
        if case == "not json":
            status, _headers, content = _call(
                _environ(client_token, "checkins=1", content_type="application/x-www-form-urlencoded")
            )
        else:
            status, _headers, content = _post(client_token, batch, body, **headers)
    expected = {
        "bad token": 401,
        "malformed fix": 400,
        "bad sent_at": 400,
        "not json": 415,
        "accepts xml": 406,
    }
    assert status == expected[case], content
    assert view.called  # the view answered, with its own error (it read the body the fast path read)
    if case == "malformed fix":
        assert "lat" in json.dumps(json.loads(content))
    assert not CheckIn.objects.exists()


def test_a_host_not_allowed_is_refused_as_by_the_rest_of_the_stack(token: str) -> None:
    for enabled in (False, True):
        with override_settings(CHECKIN_FAST_PATH=enabled):
            status, _headers, _content = _post(token, [fix()], HTTP_HOST="evil.example.com")
        assert status == 400
    assert not CheckIn.objects.exists()


@override_settings(SECURE_SSL_REDIRECT=True)
def test_plain_http_is_redirected_where_https_is_required(token: str) -> None:
    app = _fresh_application()
    for enabled in (False, True):
        with override_settings(CHECKIN_FAST_PATH=enabled):
            status, headers, _content = _call(_environ(token, json.dumps({"checkins": [fix()]})), app)
        assert status == 301 and headers["Location"].startswith("https://")
    assert not CheckIn.objects.exists()


def test_a_database_failure_is_a_logged_503_as_django_gives_it(token: str, caplog: Any) -> None:
    with (
        override_settings(CHECKIN_FAST_PATH=True, DEBUG=False),
        mock.patch.object(
            fast_path,
            "record_checkins_with_token",
            side_effect=OperationalError("server closed the connection"),
        ),
    ):
        status, headers, _content = _post(token, [fix()])
    # A database that cannot be reached is "briefly unavailable" (backend/core/errors.py), as the view says it.
    assert status == 503 and "Retry-After" in headers
    assert "server closed the connection" in caplog.text
    assert not CheckIn.objects.exists()


# ---------------------------------------------------------------------------------------------
# Signed uploads (backend/supervision/signing.py)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["unsigned", "empty headers", "altered body", "expired", "another key"])
def test_an_upload_not_signed_by_its_phone_is_refused_by_the_view(token: str, case: str) -> None:
    body = json.dumps({"checkins": [fix()]}).encode()
    headers = phone_signature(token, "POST", PATH, body)
    if case == "empty headers":
        headers = {"HTTP_X_SIGNATURE_TIME": "", "HTTP_X_SIGNATURE": ""}
    elif case == "altered body":
        body = body.replace(b'"accuracy_m": 10.0', b'"accuracy_m": 11.0')
    elif case == "expired":
        headers = phone_signature(token, "POST", PATH, body, time_ms=int(time.time() * 1000) - 600_000)
    elif case == "another key":
        signed = sign_request(new_phone_key(), "POST", PATH, body)
        headers = {"HTTP_X_SIGNATURE_TIME": signed[TIME_HEADER], "HTTP_X_SIGNATURE": signed[SIGNATURE_HEADER]}
    expected = {"unsigned": "signature_required", "expired": "signature_expired"}.get(
        case, "signature_invalid"
    )
    environ = _environ(token, body, **headers)
    if case == "unsigned":
        del environ["HTTP_X_SIGNATURE_TIME"], environ["HTTP_X_SIGNATURE"]
    with (
        override_settings(CHECKIN_FAST_PATH=True),
        mock.patch.object(CheckinView, "dispatch", autospec=True, side_effect=CheckinView.dispatch) as view,
    ):
        status, _headers, content = _call(environ)
    assert status == 401 and json.loads(content)["code"] == expected, content
    assert view.called
    assert not CheckIn.objects.exists()


def test_a_replayed_upload_is_refused_and_a_retry_signed_again_is_answered_fast(token: str) -> None:
    body = json.dumps({"checkins": [fix()]}).encode()
    environ = _environ(token, body)
    replay = {**environ, "wsgi.input": io.BytesIO(body)}
    with override_settings(CHECKIN_FAST_PATH=True):
        with _not_django():
            first = _call(environ)
        second = _call(replay)
        with _not_django():
            retry = _call(_environ(token, body))
    assert first[0] == 200
    assert second[0] == 409 and json.loads(second[2])["code"] == "signature_replayed"
    assert retry[0] == 200 and json.loads(retry[2])["results"][0]["status"] == "duplicate"
    assert CheckIn.objects.count() == 1


def test_the_phones_key_is_looked_up_once_per_process(token: str, django_assert_num_queries: Any) -> None:
    from backend.supervision import services

    services._PUBLIC_KEYS.clear()
    with django_assert_num_queries(1):
        key = services.public_key_for_token(token)
    with django_assert_num_queries(0):
        assert services.public_key_for_token(token) == key
    assert key and services.public_key_for_token("not-a-token") is None


@pytest.fixture
def keyless_token(subject_a: Any, officer_a: Any) -> str:
    from backend.supervision.services import enroll_device, issue_enrollment_code

    with override_settings(PHONE_SIGNATURES_REQUIRED=False):
        return enroll_device(
            issue_enrollment_code(subject_a, officer_a).code, {"platform": "ios"}
        ).device_token


def test_a_phone_without_a_key_is_told_to_enroll_again(keyless_token: str) -> None:
    with override_settings(CHECKIN_FAST_PATH=True):
        status, _headers, content = _post(keyless_token, [fix()])
    assert status == 401 and json.loads(content)["code"] == "reenroll"
    assert not CheckIn.objects.exists()


def test_without_required_signatures_a_phone_without_a_key_is_answered_fast(keyless_token: str) -> None:
    with override_settings(CHECKIN_FAST_PATH=True, PHONE_SIGNATURES_REQUIRED=False), _not_django():
        status, _headers, _content = _post(keyless_token, [fix()])
    assert status == 200 and CheckIn.objects.count() == 1
