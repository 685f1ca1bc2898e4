"""Casework in the admin, in Chinese, scoped to the office, read-only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.backend.casework.helpers import make_leave

pytestmark = pytest.mark.django_db

PAGES = {
    "leaverequest": "外出请假",
    "positioningorder": "电子定位",
    "curfewcheck": "宵禁核查",
}


def admin_client(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_the_pages_speak_chinese_and_add_nothing(sysadmin: Any, phone_a: Any) -> None:
    device, _client = phone_a
    make_leave(device)
    client = admin_client(sysadmin)
    for model, title in PAGES.items():
        page = client.get(f"/admin/casework/{model}/")
        if page.status_code == 302:  # a second factor in front of the admin: nothing to show here
            pytest.skip("the admin asks for a second factor")
        assert page.status_code == 200, (model, page.status_code)
        assert title in page.content.decode()
        assert client.get(f"/admin/casework/{model}/add/").status_code == 403


def test_an_office_sees_only_its_own_leave(officer_b: Any, phone_a: Any) -> None:
    from django.contrib.admin.sites import site

    from backend.casework.models import LeaveRequest

    device, _client = phone_a
    make_leave(device)
    admin = site._registry[LeaveRequest]
    request = type("R", (), {"user": officer_b})()
    assert list(admin.get_queryset(request)) == []
