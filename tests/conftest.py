"""The small cast every backend test uses: two offices, staff of each role, a subject per office.

``officer_a`` works in office A, ``officer_b`` in office B; ``bureau_head``, ``bureau_staff``,
``auditor`` and ``sysadmin`` see all offices. Factories make the rest.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
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


def login_verified(client: Any, user: Any, password: str = "correct-horse-battery") -> dict[str, Any]:
    """Log ``client`` in through ``POST /api/v1/auth/login`` with password and TOTP code."""
    response = client.post(
        "/api/v1/auth/login",
        {"username": user.username, "password": password, "otp_token": otp_code(user)},
        format="json",
    )
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


def enroll_phone(subject: Any, issued_by: Any, platform: str = "android") -> tuple[Any, str]:
    """Enroll a phone for ``subject`` through the services; returns (device, token)."""
    from backend.supervision.services import enroll_device, issue_enrollment_code

    code = issue_enrollment_code(subject, issued_by).code
    enrollment = enroll_device(
        code, {"platform": platform, "model": "Mate 60", "os_version": "14", "app_version": "1.0.0"}
    )
    return enrollment.device, enrollment.device_token


def device_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    return client


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
