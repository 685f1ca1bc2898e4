"""The check-in fast path answers exactly as the view would, and leaves everything else to it."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest
from django.test import override_settings

from backend.monitoring.api.views import CheckinView
from backend.monitoring.models import CheckIn
from tests.backend.monitoring.helpers import fix
from tests.conftest import device_client, enroll_phone

pytestmark = pytest.mark.django_db

# Fields whose values differ from one answer to the next by nature.
_VOLATILE = {"server_time", "next_checkin_due"}


@pytest.fixture
def token(subject_a: Any, officer_a: Any) -> str:
    return enroll_phone(subject_a, officer_a)[1]


def _post(token: str, fixes: list[dict[str, Any]], body: dict[str, Any] | None = None, **headers: str) -> Any:
    return device_client(token).post("/api/v1/mobile/checkins", {"checkins": fixes, **(body or {})}, format="json",
                                     **headers)


def _answer(token: str, fixes: list[dict[str, Any]], **headers: str) -> tuple[int, dict[str, str], dict[str, Any]]:
    response = _post(token, fixes, **headers)
    body = response.json()
    for key in _VOLATILE:
        body.pop(key, None)
    kept = {k: v for k, v in response.headers.items() if k not in ("Date", "Content-Length")}
    return response.status_code, kept, body


def _both_ways(token: str, batch: list[dict[str, Any]], **headers: str) -> tuple[Any, Any]:
    """The answer to ``batch`` with the fast path off, then to the same batch sent again with it on."""
    with override_settings(CHECKIN_FAST_PATH=False):
        slow = _answer(token, batch, **headers)
    with override_settings(CHECKIN_FAST_PATH=True):
        fast = _answer(token, batch, **headers)
    return slow, fast


def _not_the_view() -> Any:
    return mock.patch.object(CheckinView, "post", side_effect=AssertionError("the view was reached"))


def test_a_good_upload_is_answered_without_the_view(token: str) -> None:
    batch = [fix(), fix()]
    with override_settings(CHECKIN_FAST_PATH=True), _not_the_view():
        response = _post(token, batch)
    assert response.status_code == 200
    assert [r["status"] for r in response.json()["results"]] == ["accepted", "accepted"]
    assert CheckIn.objects.filter(client_id__in=[f["id"] for f in batch]).count() == 2


def test_it_writes_what_the_view_writes(token: str) -> None:
    batch = [fix(), fix(battery=55, charging=True, provider="gps")]
    (slow_status, slow_headers, slow_body), (fast_status, fast_headers, fast_body) = _both_ways(token, batch)
    assert slow_status == fast_status == 200
    # Sent twice, the second answer is all duplicates: compare it with the view's duplicates.
    assert [r["status"] for r in slow_body["results"]] == ["accepted", "accepted"]
    assert [r["status"] for r in fast_body["results"]] == ["duplicate", "duplicate"]
    assert fast_headers == slow_headers
    with override_settings(CHECKIN_FAST_PATH=False):
        again = _answer(token, batch)
    assert again[2] == fast_body


def test_a_conflict_is_answered_in_the_phones_language(token: str) -> None:
    first = fix()
    _post(token, [first])
    changed = {**first, "lat": first["lat"] + 0.01}
    for language, expected in (("en", "already sent with a different fix"), ("zh-hans", "不同")):
        with override_settings(CHECKIN_FAST_PATH=False):
            slow = _answer(token, [changed], HTTP_ACCEPT_LANGUAGE=language)
        with override_settings(CHECKIN_FAST_PATH=True), _not_the_view():
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
    with override_settings(CHECKIN_FAST_PATH=True), mock.patch.object(
            CheckinView, "dispatch", autospec=True, side_effect=CheckinView.dispatch) as view:
        if case == "not json":
            response = device_client(client_token).post("/api/v1/mobile/checkins", "checkins=1",
                                                        content_type="application/x-www-form-urlencoded")
        else:
            response = _post(client_token, batch, body, **headers)
    expected = {"bad token": 401, "malformed fix": 400, "bad sent_at": 400, "not json": 415, "accepts xml": 406}
    assert response.status_code == expected[case], response.content
    assert view.called  # the view answered, with its own error
    assert not CheckIn.objects.exists()


def test_a_host_not_allowed_is_refused_as_by_the_rest_of_the_stack(token: str) -> None:
    for enabled in (False, True):
        with override_settings(CHECKIN_FAST_PATH=enabled):
            response = _post(token, [fix()], HTTP_HOST="evil.example.com")
        assert response.status_code == 400
    assert not CheckIn.objects.exists()
