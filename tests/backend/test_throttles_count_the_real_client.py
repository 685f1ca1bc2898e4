"""The login and enrollment throttles count the client's real address: a client cannot dodge
them by sending its own X-Forwarded-For (no proxy is trusted unless NUM_PROXIES says so)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.core.cache import cache
from django.test import override_settings
from rest_framework.settings import api_settings

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def attempts_until_throttled(forwarded: itertools.count[int]) -> int:
    cache.clear()
    for attempt in range(1, 30):
        response = client_for(None).post(
            "/api/v1/mobile/enroll",
            {"code": "NOSUCHCODE", "device": {"platform": "android"}},
            format="json",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{next(forwarded)}",
        )
        if response.status_code == 429:
            return attempt
    return 0


def test_a_forged_forwarded_for_does_not_reset_the_enrollment_limit() -> None:
    assert api_settings.NUM_PROXIES == 0
    assert attempts_until_throttled(itertools.count(1)) == 21  # 20 a minute, then refused


def test_behind_one_proxy_the_last_forwarded_address_is_the_client(settings: Any) -> None:
    rest = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    with override_settings(REST_FRAMEWORK=rest):
        assert attempts_until_throttled(itertools.count(1)) == 0, "each address has its own limit"
