"""Five failed sign-ins in 15 minutes lock the username and the address: 429 with a clear message
and Retry-After, the right password included; it holds under 50 simultaneous attempts."""

from __future__ import annotations

import threading
import time
from collections import Counter
from contextlib import nullcontext
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, connections
from rest_framework.test import APIClient

from tests.conftest import otp_code

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _fresh_throttle() -> None:
    cache.clear()


def attempt(
    username: str, password: str, ip: str, otp: str = "000000", proxy_chain: str | None = None
) -> Any:
    extra = {"REMOTE_ADDR": ip}
    if proxy_chain is not None:
        extra["HTTP_X_FORWARDED_FOR"] = proxy_chain
    return APIClient().post(
        "/api/v1/auth/login",
        {"username": username, "password": password, "otp_token": otp},
        format="json",
        **extra,
    )


@pytest.mark.django_db
def test_the_fifth_failure_locks_the_account_even_for_the_right_password(officer_a: Any) -> None:
    statuses = [attempt("officer_a", "wrong", f"10.0.0.{i}").status_code for i in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    locked = attempt("officer_a", PASSWORD, "10.0.1.1", otp=otp_code(officer_a))
    assert locked.status_code == 429
    body = locked.json()
    assert body["code"] == "locked_out" and "15" in body["detail"]
    assert locked["Retry-After"] == "900"


@pytest.mark.django_db
def test_wrong_codes_count_like_wrong_passwords(officer_a: Any) -> None:
    statuses = [attempt("officer_a", PASSWORD, f"10.0.0.{i}", otp="000000").status_code for i in range(5)]
    assert statuses[-1] == 429


@pytest.mark.django_db
def test_one_address_trying_many_usernames_is_locked(officer_a: Any) -> None:
    statuses = []
    for i in range(6):
        cache.clear()  # the per-address request throttle (10/min) is not what is tested here
        statuses.append(attempt(f"guess{i}", "wrong", "10.9.9.9").status_code)
    assert statuses[:4] == [401] * 4 and statuses[4:] == [429, 429]
    assert attempt("officer_a", PASSWORD, "10.9.9.9", otp=otp_code(officer_a)).status_code == 429
    assert attempt("officer_a", PASSWORD, "10.9.9.10", otp=otp_code(officer_a)).status_code == 200


@pytest.mark.django_db
def test_behind_the_proxy_the_lockout_counts_the_real_client(officer_a: Any, settings: Any) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for i in range(5):
        cache.clear()
        # Every request comes from the proxy (10.0.0.1); the client forges a first hop.
        attempt(f"guess{i}", "wrong", "10.0.0.1", proxy_chain=f"1.2.3.{i}, 203.0.113.7")
    from backend.audit.models import AccessLog

    assert set(AccessLog.objects.values_list("ip", flat=True)) == {"203.0.113.7"}
    assert (
        attempt(
            "officer_a", PASSWORD, "10.0.0.1", otp=otp_code(officer_a), proxy_chain="203.0.113.7"
        ).status_code
        == 429
    )
    assert (
        attempt(
            "officer_a", PASSWORD, "10.0.0.1", otp=otp_code(officer_a), proxy_chain="203.0.113.8"
        ).status_code
        == 200
    )


@pytest.mark.django_db
def test_a_success_resets_the_count(officer_a: Any) -> None:
    for i in range(4):
        attempt("officer_a", "wrong", f"10.0.0.{i}")
    assert attempt("officer_a", PASSWORD, "10.0.1.1", otp=otp_code(officer_a)).status_code == 200
    assert attempt("officer_a", "wrong", "10.0.2.1").status_code == 401


def concurrent_attempts(n: int) -> tuple[Counter[int], int, float]:
    """``n`` wrong passwords for one username from ``n`` addresses at once: statuses, passwords checked."""
    from backend.accounts.models import User

    checked = 0
    lock = threading.Lock()
    original = User.check_password

    def counting_check(self: Any, raw: str) -> bool:
        nonlocal checked
        with lock:
            checked += 1
        return bool(original(self, raw))

    statuses: Counter[int] = Counter()
    barrier = threading.Barrier(n)

    def one(i: int) -> None:
        try:
            barrier.wait()
            status = attempt("officer_a", "wrong", f"10.1.{i // 250}.{i % 250 + 1}").status_code
            with lock:
                statuses[status] += 1
        finally:
            connections.close_all()

    User.check_password = counting_check  # type: ignore[method-assign]
    try:
        started = time.perf_counter()
        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        User.check_password = original  # type: ignore[method-assign]
    return statuses, checked, elapsed


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent connections: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_fifty_simultaneous_attempts_check_at_most_five_passwords(officer_a: Any) -> None:
    statuses, checked, elapsed = concurrent_attempts(50)
    print(f"\n50 concurrent wrong passwords: {dict(statuses)}, passwords checked {checked}, {elapsed:.2f} s")
    assert checked == 5
    assert statuses == Counter({401: 4, 429: 46})


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent connections: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_without_the_serialization_the_lockout_leaks(officer_a: Any, monkeypatch: Any) -> None:
    """The negative control: django-axes alone checks more than five passwords under this load."""
    from backend.accounts.api import views

    monkeypatch.setattr(views, "serialized_login", lambda username, ip: nullcontext())
    statuses, checked, elapsed = concurrent_attempts(50)
    print(f"\nwithout serialization: {dict(statuses)}, passwords checked {checked}, {elapsed:.2f} s")
    assert checked > 5
