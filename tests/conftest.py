"""The small cast every backend test uses: two offices, staff of each role, a subject per office.

``officer_a`` works in office A, ``officer_b`` in office B; ``bureau_head``, ``bureau_staff``,
``auditor`` and ``sysadmin`` see all offices. Factories make the rest.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def _fresh_zone_lists() -> None:
    """Each test starts with empty per-process zone lists: rolled-back test databases reuse ids."""
    from backend.monitoring import engine, zones

    zones._subject_zones.clear()
    engine._evaluator.update(evaluator=None, zones={})
    engine._remembered.clear()


SQUARE_A = {
    "type": "Polygon",
    "coordinates": [[[122.30, 37.10], [122.40, 37.10], [122.40, 37.20], [122.30, 37.20], [122.30, 37.10]]],
}
SQUARE_B = {
    "type": "Polygon",
    "coordinates": [[[122.40, 37.10], [122.50, 37.10], [122.50, 37.20], [122.40, 37.20], [122.40, 37.10]]],
}


def valid_id_number(seq: int, birth: str = "19850312") -> str:
    from backend.supervision.identity import check_digit

    first17 = f"371082{birth}{seq % 1000:03d}"
    return first17 + check_digit(first17)


@pytest.fixture
def bureau(db: Any) -> Any:
    from backend.accounts.models import Office

    return Office.objects.create(code="bureau", name="测试司法局", kind=Office.Kind.BUREAU)


@pytest.fixture
def office_a(bureau: Any) -> Any:
    from backend.accounts.models import Office

    return Office.objects.create(code="office-a", name="甲司法所", parent=bureau, boundary=SQUARE_A)


@pytest.fixture
def office_b(bureau: Any) -> Any:
    from backend.accounts.models import Office

    return Office.objects.create(code="office-b", name="乙司法所", parent=bureau, boundary=SQUARE_B)


def make_staff(username: str, role: str, office: Any = None, **extra: Any) -> Any:
    from backend.accounts.models import User

    user = User(
        username=username,
        role=role,
        office=office,
        is_staff=True,
        last_name="测",
        first_name=username,
        **extra,
    )
    user.set_password("correct-horse-battery")
    user.save()
    verified_second_factor(user)
    return user


def verified_second_factor(user: Any) -> Any:
    """Give ``user`` a confirmed authenticator and mark them verified by it, so a test client's
    ``force_login(user)`` opens a session that passed the second factor (as a real login does)."""
    from backend.accounts.otp import start_enrollment

    user.otp_device = start_enrollment(user, confirmed=True).device
    return user


def otp_code(user: Any) -> str:
    """A fresh, valid TOTP code for ``user``: a new confirmed authenticator each call, since a
    code of one device is accepted once (django-otp refuses a time step already used)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from backend.accounts.otp import current_code, start_enrollment

    _forget_login_throttle()
    TOTPDevice.objects.filter(user=user).delete()
    return current_code(start_enrollment(user, confirmed=True).device)


def _forget_login_throttle() -> None:
    """The login throttle (10 a minute per address) counts every test's logins in the process's
    cache; a test that logs in is not testing it. Only the in-process cache is cleared."""
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()


def login_verified(
    client: Any, user: Any, password: str = "correct-horse-battery", *, issue_token: bool = False
) -> dict[str, Any]:
    """Log ``client`` in through ``POST /api/v1/auth/login`` with password and TOTP code; with
    ``issue_token`` the answer also carries an API token (``token``)."""
    body: dict[str, Any] = {"username": user.username, "password": password, "otp_token": otp_code(user)}
    if issue_token:
        body["issue_token"] = True
    response = client.post("/api/v1/auth/login", body, format="json")
    assert response.status_code == 200, response.content
    return dict(response.json())


@pytest.fixture
def officer_a(office_a: Any) -> Any:
    return make_staff("officer_a", "officer", office_a)


@pytest.fixture
def head_a(office_a: Any) -> Any:
    return make_staff("head_a", "office_head", office_a)


@pytest.fixture
def officer_b(office_b: Any) -> Any:
    return make_staff("officer_b", "officer", office_b)


@pytest.fixture
def bureau_head(bureau: Any) -> Any:
    return make_staff("bureau_head", "bureau_head", bureau)


@pytest.fixture
def bureau_staff(bureau: Any) -> Any:
    return make_staff("bureau_staff", "bureau_staff", bureau)


@pytest.fixture
def auditor(bureau: Any) -> Any:
    return make_staff("auditor", "auditor", bureau)


@pytest.fixture
def sysadmin(db: Any) -> Any:
    return make_staff("sysadmin", "sysadmin", None, is_superuser=True)


def make_subject(office: Any, officer: Any = None, **overrides: Any) -> Any:
    from backend.supervision.models import Subject

    n = next(_counter)
    values: dict[str, Any] = {
        "office": office,
        "responsible_officer": officer,
        "name": f"对象{n}",
        "gender": "male",
        "id_number": valid_id_number(n),
        "home_address": "测试村1号",
        "home_lat": 37.15,
        "home_lon": 122.35,
        "case_number": f"(2023)测{n}号",
        "sentence_type": "probation",
        "supervision_start": dt.date(2026, 1, 1),
        "supervision_end": dt.date(2027, 12, 31),
        "supervision_level": "normal",
    }
    values.update(overrides)
    return Subject.objects.create(**values)


def make_released_person(office: Any, **overrides: Any) -> Any:
    from backend.supervision.models import ReleasedPerson

    n = next(_counter)
    values: dict[str, Any] = {
        "office": office,
        "name": f"释放{n}",
        "gender": "male",
        "id_number": valid_id_number(n, "19790101"),
        "home_address": "测试路2号",
        "release_date": dt.date(2026, 10, 1),
    }
    values.update(overrides)
    return ReleasedPerson.objects.create(**values)


@pytest.fixture
def subject_a(office_a: Any, officer_a: Any) -> Any:
    return make_subject(office_a, officer_a)


@pytest.fixture
def subject_b(office_b: Any, officer_b: Any) -> Any:
    return make_subject(office_b, officer_b, home_lon=122.45)


def client_for(user: Any) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def api() -> Any:
    return client_for


def signed_in_client(user: Any, **defaults: Any) -> Client:
    """A browser's client with a session of ``user`` (the admin, the console's pages)."""
    client = Client(**defaults)
    client.force_login(user)
    return client


# Each enrolled phone's private key, by its device token: the phone clients sign with it.
_PHONE_KEYS: dict[str, Any] = {}


def new_phone_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.generate()


def phone_description(key: Any, platform: str = "android") -> dict[str, Any]:
    """What a phone sends about itself at enrollment, its public key included."""
    from backend.supervision.signing import public_key_text

    return {
        "platform": platform,
        "model": "Mate 60",
        "os_version": "14",
        "app_version": "1.0.0",
        "public_key": public_key_text(key),
    }


def enroll_phone(subject: Any, issued_by: Any, platform: str = "android") -> tuple[Any, str]:
    """Enroll a phone for ``subject`` through the services; returns (device, token). The phone's
    key pair is kept: ``device_client(token)`` signs with it."""
    from backend.supervision.services import enroll_device, issue_enrollment_code

    key = new_phone_key()
    code = issue_enrollment_code(subject, issued_by).code
    enrollment = enroll_device(code, phone_description(key, platform))
    remember_phone_key(enrollment.device_token, key)
    return enrollment.device, enrollment.device_token


def remember_phone_key(token: str, key: Any) -> None:
    _PHONE_KEYS[token] = key


def phone_key(token: str) -> Any:
    """The private key of the phone enrolled with ``token`` (``None`` for a token never enrolled here)."""
    return _PHONE_KEYS.get(token)


_last_signed_ms: dict[str, int] = {}


def phone_signature(token: str, method: str, target: str, body: bytes = b"", **kwargs: Any) -> dict[str, str]:
    """The signature headers, as WSGI environ keys, the phone of ``token`` sends with this request.

    Each phone's signing time moves forward by at least a millisecond from one request to the
    next, so two identical requests in a row are two requests (as a retry, signed again).
    """
    import time

    from backend.supervision.signing import sign_request

    key = phone_key(token)
    if key is None:
        return {}
    time_ms = kwargs.get("time_ms")
    if time_ms is None:
        time_ms = max(int(time.time() * 1000), _last_signed_ms.get(token, 0) + 1)
        _last_signed_ms[token] = time_ms
    headers = sign_request(key, method, target, body, time_ms)
    return {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}


class PhoneClient(APIClient):
    """An enrolled phone: its device token on every request, each request signed with its key."""

    def __init__(self, token: str, *args: Any, sign: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.token, self.sign = token, sign
        self.credentials(HTTP_AUTHORIZATION=f"Device {token}")

    def generic(
        self,
        method: str,
        path: str,
        data: Any = "",
        content_type: str | None = "application/octet-stream",
        secure: bool = False,
        **extra: Any,
    ) -> Any:
        from urllib.parse import urlsplit

        if self.sign:
            body = data.encode() if isinstance(data, str) else bytes(data or b"")
            parts = urlsplit(str(path))
            query = extra.get("QUERY_STRING") or parts.query
            target = parts.path + (f"?{query}" if query else "")
            extra = {**phone_signature(self.token, method, target, body), **extra}
        return super().generic(method, path, data, content_type, secure, **extra)


def device_client(token: str, *, sign: bool = True) -> APIClient:
    """The phone of ``token``: every request carries the token and (unless ``sign`` is false)
    the phone's signature."""
    return PhoneClient(token, sign=sign)


# ---------------------------------------------------------------------------------------------
# Integration tests: skipped with a reason on a machine without the services, failed under CI
# ---------------------------------------------------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    outcome = yield
    report = outcome.get_result()
    import os

    if (
        report.skipped
        and item.get_closest_marker("integration")
        and os.environ.get("CI", "").lower() == "true"
    ):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.longrepr = f"integration test skipped under CI=true (services must be running): {reason}"
