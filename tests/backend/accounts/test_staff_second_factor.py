"""Every staff path asks for the TOTP code: API login, admin login, the API's sessions, the console's
websocket; tokens are minted only after it, stored hashed, and lapse."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from tests.conftest import login_verified, otp_code

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _no_throttle_carry_over() -> None:
    cache.clear()


def post_login(client: Any, username: str, password: str = PASSWORD, otp: str | None = None) -> Any:
    body = {"username": username, "password": password}
    if otp is not None:
        body["otp_token"] = otp
    return client.post("/api/v1/auth/login", body, format="json")


def test_a_password_alone_opens_nothing(officer_a: Any) -> None:
    from backend.audit.models import AccessLog

    client = APIClient()
    response = post_login(client, "officer_a")
    assert response.status_code == 401 and response.json()["code"] == "bad_credentials"
    assert "token" not in response.json()
    assert client.get("/api/v1/auth/me").status_code in (401, 403)
    assert AccessLog.objects.get(action="login_failed").detail["reason"] == "otp"


def test_a_wrong_code_is_refused_and_a_right_one_works_once(officer_a: Any) -> None:
    code = otp_code(officer_a)
    wrong = str((int(code) + 1) % 1_000_000).zfill(6)
    assert post_login(APIClient(), "officer_a", otp=wrong).status_code == 401
    officer_a.totpdevice_set.update(throttling_failure_count=0, throttling_failure_timestamp=None)
    assert post_login(APIClient(), "officer_a", otp=code).status_code == 200
    # The same code cannot be replayed.
    assert post_login(APIClient(), "officer_a", otp=code).status_code == 401


def test_the_token_is_stored_hashed_and_expires(officer_a: Any) -> None:
    from backend.accounts.authentication import hash_key
    from backend.accounts.models import StaffToken

    key = login_verified(APIClient(), officer_a, issue_token=True)["token"]
    stored = StaffToken.objects.get(user=officer_a)
    assert stored.key_hash == hash_key(key) and key not in stored.key_hash
    assert abs((stored.expires_at - timezone.now()) - dt.timedelta(hours=12)) < dt.timedelta(minutes=1)
    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert script.get("/api/v1/auth/me").status_code == 200
    StaffToken.objects.filter(pk=stored.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert script.get("/api/v1/auth/me").status_code == 401
    assert not StaffToken.objects.filter(pk=stored.pk).exists()


def test_an_idle_token_lapses_after_30_minutes(officer_a: Any) -> None:
    from backend.accounts.models import StaffToken

    key = login_verified(APIClient(), officer_a, issue_token=True)["token"]
    StaffToken.objects.update(last_used_at=timezone.now() - dt.timedelta(minutes=31))
    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert script.get("/api/v1/auth/me").status_code == 401


def _age_session(client: Any, *, login_ago: float, seen_ago: float) -> None:
    from backend.accounts import sessions

    session = client.session
    now = timezone.now().timestamp()
    session[sessions.LOGIN_AT] = int(now - login_ago)
    session[sessions.SEEN_AT] = int(now - seen_ago)
    session.save()


@pytest.mark.parametrize(
    ("login_ago", "seen_ago", "alive"),
    [(60, 60, True), (3600, 29 * 60, True), (3600, 31 * 60, False), (12 * 3600 + 60, 10, False)],
)
def test_sessions_end_after_30_idle_minutes_or_12_hours(
    officer_a: Any, login_ago: float, seen_ago: float, alive: bool
) -> None:
    client = APIClient()
    login_verified(client, officer_a)
    _age_session(client, login_ago=login_ago, seen_ago=seen_ago)
    status = client.get("/api/v1/auth/me").status_code
    assert (status == 200) is alive, status


def test_a_session_that_skipped_the_second_factor_is_not_a_staff_session(officer_a: Any) -> None:
    from backend.accounts import sessions

    client = Client()
    session = client.session
    session["_auth_user_id"] = str(officer_a.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = officer_a.get_session_auth_hash()
    sessions.mark_signed_in(session)
    session.save()
    assert client.get("/api/v1/auth/me").status_code in (401, 403)
    assert client.get("/admin/").status_code == 302  # to the login page


def test_the_admin_login_needs_the_code_and_is_logged(officer_a: Any) -> None:
    from backend.audit.models import AccessLog

    client = Client()
    response = client.post("/admin/login/?next=/admin/", {"username": "officer_a", "password": PASSWORD})
    assert response.status_code == 200  # the form again
    assert client.get("/admin/").status_code == 302
    failed = AccessLog.objects.filter(action="login_failed").latest("id")
    assert failed.detail["reason"] == "otp" and failed.path.startswith("/admin/login/")
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "officer_a", "password": PASSWORD, "otp_token": otp_code(officer_a)},
    )
    assert response.status_code == 302 and response.url == "/admin/"
    assert client.get("/admin/").status_code == 200
    login = AccessLog.objects.filter(action="login").latest("id")
    assert login.actor == officer_a and login.path.startswith("/admin/login/")


def test_the_admin_logs_wrong_passwords(officer_a: Any) -> None:
    from backend.audit.models import AccessLog

    Client().post("/admin/login/", {"username": "officer_a", "password": "nope", "otp_token": "123456"})
    failed = AccessLog.objects.get(action="login_failed")
    assert failed.detail == {"username": "officer_a", "reason": "password"}


def test_enrolling_a_new_authenticator_needs_a_code_from_it(officer_a: Any) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from backend.accounts.otp import current_code

    client = APIClient()
    login_verified(client, officer_a)
    csrf = client.cookies["csrftoken"].value
    started = client.post("/api/v1/auth/otp-device", HTTP_X_CSRFTOKEN=csrf)
    assert started.status_code == 201, started.content
    body = started.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/") and body["qr_svg"].startswith(
        "data:image/svg+xml"
    )
    new = TOTPDevice.objects.get(pk=body["device_id"])
    assert not new.confirmed
    refused = client.post(
        "/api/v1/auth/otp-device/confirm",
        {"device_id": new.pk, "otp_token": "000000" if current_code(new) != "000000" else "111111"},
        format="json",
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert refused.status_code == 400
    new.refresh_from_db()
    new.throttling_failure_count = 0
    new.throttling_failure_timestamp = None
    new.save()
    confirmed = client.post(
        "/api/v1/auth/otp-device/confirm",
        {"device_id": new.pk, "otp_token": current_code(new)},
        format="json",
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json() == {"device_id": new.pk}  # the code is not echoed back
    assert list(TOTPDevice.objects.filter(user=officer_a).values_list("pk", flat=True)) == [new.pk]


def test_production_cannot_turn_the_second_factor_off() -> None:
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "STAFF_OTP_REQUIRED": "0",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "example.org",
        "DATABASE_URL": "postgres://u@127.0.0.1:1/x",
        "DJANGO_SETTINGS_MODULE": "backend.config.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0 and "STAFF_OTP_REQUIRED" in result.stderr


@override_settings(STAFF_OTP_REQUIRED=False)
def test_outside_production_the_demo_may_skip_the_second_factor(officer_a: Any) -> None:
    assert post_login(APIClient(), "officer_a").status_code == 200


def test_the_demo_authenticators_use_the_published_key(officer_a: Any, settings: Any) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from backend.accounts.demo import give_demo_authenticators
    from backend.accounts.otp import DEMO_TOTP_BASE32, DEMO_TOTP_KEY

    settings.DEMO_MODE = True
    TOTPDevice.objects.all().delete()
    assert DEMO_TOTP_BASE32 in give_demo_authenticators()
    assert TOTPDevice.objects.get(user=officer_a).key == DEMO_TOTP_KEY
    settings.DEMO_MODE = False
    assert "not in demo mode" in give_demo_authenticators()
