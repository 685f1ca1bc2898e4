"""``GET /api/v1/mobile/education``: the phone's own upcoming sessions and this month's hours."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from backend.education.services import compute_attendance
from tests.backend.education.helpers import enroll, make_session, set_required_hours, store_fixes
from tests.conftest import device_client, enroll_phone

pytestmark = pytest.mark.django_db


def test_the_phone_sees_its_upcoming_sessions_and_hours(
    office_a: Any, subject_a: Any, subject_b: Any, officer_a: Any, settings: Any
) -> None:
    set_required_hours(8)
    device, token = enroll_phone(subject_a, officer_a)
    now = timezone.now()
    month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    past = make_session(
        office_a,
        start=max(month_start, now - dt.timedelta(hours=3))
        if now - dt.timedelta(hours=3) >= month_start
        else month_start,
        minutes=120,
    )
    enroll(past, subject_a)
    store_fixes(subject_a, device, past.starts_at, 13)
    compute_attendance(past, max(now, past.ends_at))
    upcoming = make_session(office_a, start=now + dt.timedelta(days=1), topic="心理健康讲座")
    enroll(upcoming, subject_a)
    enroll(make_session(office_a, start=now + dt.timedelta(days=2)), make_subject_other(office_a))

    response = device_client(token).get("/api/v1/mobile/education")

    assert response.status_code == 200
    body = response.json()
    assert [s["session_id"] for s in body["upcoming"]] == [upcoming.pk]
    assert body["upcoming"][0]["topic"] == "心理健康讲座"
    assert body["hours"]["required"] == 8.0
    if past.ends_at <= now:
        assert body["hours"]["completed"] == 2.0
        assert body["hours"]["missing"] == 6.0


def make_subject_other(office: Any) -> Any:
    from tests.conftest import make_subject

    return make_subject(office)


def test_staff_credentials_are_not_a_phone(officer_a: Any) -> None:
    from tests.conftest import client_for

    assert client_for(officer_a).get("/api/v1/mobile/education").status_code in (401, 403)
