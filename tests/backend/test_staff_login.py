"""Staff log in for the console (session + CSRF) and, when they ask (``issue_token``), for scripts
(token); both are audited."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.conftest import otp_code

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_login_throttle() -> None:
    from django.core.cache import cache

    cache.clear()  # the login throttle counts other tests' logins in this process's cache


def _login(client: APIClient, officer: Any, **extra: Any) -> Any:
    return client.post(
        "/api/v1/auth/login",
        {
            "username": "officer_a",
            "password": "correct-horse-battery",
            "otp_token": otp_code(officer),
            **extra,
        },
        format="json",
    )


def test_login_opens_a_session_and_mints_no_token_unasked(officer_a: Any, subject_a: Any) -> None:
    from backend.accounts.models import StaffToken
    from backend.audit.models import AccessLog

    client = APIClient(enforce_csrf_checks=True)
    response = _login(client, officer_a)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["user"]["role"] == "officer" and body["user"]["office"] == officer_a.office_id
    # The console's sign-in: no bearer credential is made, none is handed to the page.
    assert "token" not in body
    assert not StaffToken.objects.exists()
    assert AccessLog.objects.filter(action="login", actor=officer_a).count() == 1
    assert "sessionid" in response.cookies
    # The session works for reads...
    assert client.get("/api/v1/subjects").status_code == 200
    # ...and writes need the CSRF token the login returned.
    url = f"/api/v1/subjects/{subject_a.pk}"
    assert client.patch(url, {"notes": "家访"}, format="json").status_code == 403
    assert (
        client.patch(url, {"notes": "家访"}, format="json", HTTP_X_CSRFTOKEN=body["csrf_token"]).status_code
        == 200
    )


def test_login_asked_for_a_token_returns_one_that_works_without_a_session(officer_a: Any) -> None:
    from backend.accounts.authentication import hash_key
    from backend.accounts.models import StaffToken

    response = _login(APIClient(), officer_a, issue_token=True)
    assert response.status_code == 200, response.content
    key = response.json()["token"]
    assert StaffToken.objects.get().key_hash == hash_key(key)
    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert script.get("/api/v1/auth/me").json()["username"] == "officer_a"


def test_issue_token_false_is_the_same_as_leaving_it_out(officer_a: Any) -> None:
    from backend.accounts.models import StaffToken

    response = _login(APIClient(), officer_a, issue_token=False)
    assert response.status_code == 200, response.content
    assert "token" not in response.json() and not StaffToken.objects.exists()


def test_asking_for_a_token_with_a_wrong_code_mints_nothing(officer_a: Any) -> None:
    from backend.accounts.models import StaffToken
    from backend.audit.models import AccessLog

    wrong = f"{(int(otp_code(officer_a)) + 1) % 1_000_000:06d}"
    response = APIClient().post(
        "/api/v1/auth/login",
        {
            "username": "officer_a",
            "password": "correct-horse-battery",
            "otp_token": wrong,
            "issue_token": True,
        },
        format="json",
    )
    assert response.status_code == 401 and "token" not in response.json()
    assert not StaffToken.objects.exists()
    assert AccessLog.objects.get(action="login_failed").detail["reason"] == "otp"


@pytest.mark.parametrize("value", ["maybe", 2, [True], {"yes": True}])
def test_a_non_boolean_issue_token_is_a_field_error(officer_a: Any, value: Any) -> None:
    from backend.accounts.models import StaffToken
    from backend.audit.models import AccessLog

    response = _login(APIClient(), officer_a, issue_token=value)
    assert response.status_code == 400, response.content
    assert list(response.json()["errors"]) == ["issue_token"]
    # Refused before the password is looked at: no session, no token, no sign-in recorded.
    assert "sessionid" not in response.cookies
    assert not StaffToken.objects.exists()
    assert not AccessLog.objects.filter(action__in=["login", "login_failed"]).exists()


def test_wrong_password_is_a_401_and_is_logged(officer_a: Any) -> None:
    from backend.audit.models import AccessLog

    response = APIClient().post(
        "/api/v1/auth/login", {"username": "officer_a", "password": "nope"}, format="json"
    )
    assert response.status_code == 401
    assert response.json()["code"] == "bad_credentials"
    entry = AccessLog.objects.get(action="login_failed")
    assert entry.detail["reason"] == "password"
    assert entry.detail["username"] == "officer_a" and entry.outcome == "denied"


def test_missing_fields_are_field_errors(db: Any) -> None:
    response = APIClient().post("/api/v1/auth/login", {"username": "x"}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == ["password"]
    assert "必填" in errors["password"][0]  # the zh-hans default language


def test_logout_ends_the_session_and_the_token(officer_a: Any) -> None:
    client = APIClient()
    token = _login(client, officer_a, issue_token=True).json()["token"]
    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert script.post("/api/v1/auth/logout").status_code == 204
    assert script.get("/api/v1/auth/me").status_code == 401
    assert client.post("/api/v1/auth/logout").status_code == 204
    assert client.get("/api/v1/auth/me").status_code in (401, 403)


def test_inactive_staff_cannot_log_in(officer_a: Any) -> None:
    officer_a.is_active = False
    officer_a.save()
    response = APIClient().post(
        "/api/v1/auth/login",
        {"username": "officer_a", "password": "correct-horse-battery", "otp_token": otp_code(officer_a)},
        format="json",
    )
    assert response.status_code == 401


def test_chinese_names_read_family_name_first(db: Any) -> None:
    from backend.accounts.models import User

    assert User(last_name="王", first_name="建国").get_full_name() == "王建国"
    assert User(last_name="Smith", first_name="Anna").get_full_name() == "Anna Smith"
