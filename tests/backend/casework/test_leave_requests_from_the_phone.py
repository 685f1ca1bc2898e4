"""外出请假 on the phone: ask, see who must decide, list one's own requests with decisions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.backend.casework.helpers import leave_body, make_leave
from tests.conftest import device_client, enroll_phone, make_subject

pytestmark = pytest.mark.django_db

URL = "/api/v1/mobile/leave-requests"


def test_a_phone_asks_for_leave_and_hears_who_must_decide(phone_a: Any) -> None:
    device, client = phone_a
    answer = client.post(URL, leave_body(days=3), format="json")
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["status"] == "pending"
    assert body["approver"] == "office_head"
    assert body["flagged"] is False
    assert body["radius_m"] == 5000
    assert body["destination_point"] == {"lat": 36.07, "lon": 120.38}
    from backend.casework.models import LeaveRequest

    leave = LeaveRequest.objects.get(pk=body["id"])
    assert leave.subject_id == device.subject_id and leave.device_id == device.pk


@pytest.mark.parametrize(
    ("days", "approver", "flagged"),
    [(7, "office_head", False), (7.5, "bureau", False), (30, "bureau", False), (31, "bureau_head", True)],
)
def test_the_length_routes_the_request(phone_a: Any, days: float, approver: str, flagged: bool) -> None:
    _device, client = phone_a
    body = client.post(URL, leave_body(days=days), format="json").json()
    assert (body["approver"], body["flagged"]) == (approver, flagged)


def test_more_than_30_days_in_60_goes_to_the_bureau_head_flagged(phone_a: Any) -> None:
    from backend.casework.services import approve_leave
    from tests.conftest import make_staff

    device, client = phone_a
    head = make_staff("juzhang", "bureau_head", device.subject.office.parent)
    first = make_leave(device, days=25, start=timezone.now() + dt.timedelta(hours=1))
    approve_leave(first, head)
    later = timezone.now() + dt.timedelta(days=27)
    body = client.post(
        URL,
        leave_body(days=6, start_in=later - timezone.now()),
        format="json",
    ).json()
    assert body["approver"] == "bureau_head" and body["flagged"] is True


def test_a_gcj02_point_is_stored_in_wgs84(phone_a: Any) -> None:
    _device, client = phone_a
    sent = leave_body(destination_point={"lat": 36.07, "lon": 120.38, "crs": "gcj02"})
    point = client.post(URL, sent, format="json").json()["destination_point"]
    assert point != {"lat": 36.07, "lon": 120.38}
    assert abs(point["lat"] - 36.07) < 0.01 and abs(point["lon"] - 120.38) < 0.01


def test_a_request_overlapping_another_is_refused(phone_a: Any) -> None:
    _device, client = phone_a
    assert client.post(URL, leave_body(days=3), format="json").status_code == 201
    again = client.post(URL, leave_body(days=2, start_in=dt.timedelta(days=1)), format="json")
    assert again.status_code == 400
    assert "starts_at" in again.json()["errors"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"destination": ""}, "destination"),
        ({"destination": "x" * 201}, "destination"),
        ({"reason": ""}, "reason"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"starts_at": "2026-12-10T08:00:00"}, "starts_at"),
        ({"ends_at": "9999-12-31T23:59:59+14:00"}, "ends_at"),
        ({"radius_m": 5}, "radius_m"),
        ({"radius_m": "5000"}, "radius_m"),
        ({"radius_m": True}, "radius_m"),
        ({"destination_point": {"lat": 91, "lon": 120, "crs": "wgs84"}}, "destination_point.lat"),
        ({"destination_point": {"lat": 30, "lon": 120, "crs": "mars"}}, "destination_point.crs"),
        ({"destination_point": [30, 120]}, "destination_point.non_field_errors"),
    ],
)
def test_bad_fields_are_named(phone_a: Any, change: dict[str, Any], field: str) -> None:
    _device, client = phone_a
    answer = client.post(URL, leave_body(**change), format="json")
    assert answer.status_code == 400, answer.json()
    assert field in answer.json()["errors"], answer.json()


def test_the_period_must_make_sense(phone_a: Any) -> None:
    _device, client = phone_a
    now = timezone.now()
    backwards = leave_body(
        starts_at=(now + dt.timedelta(days=2)).isoformat(), ends_at=(now + dt.timedelta(days=1)).isoformat()
    )
    assert "ends_at" in client.post(URL, backwards, format="json").json()["errors"]
    past = leave_body(
        starts_at=(now - dt.timedelta(days=3)).isoformat(), ends_at=(now + dt.timedelta(days=1)).isoformat()
    )
    assert "starts_at" in client.post(URL, past, format="json").json()["errors"]
    too_long = leave_body(days=181)
    assert "ends_at" in client.post(URL, too_long, format="json").json()["errors"]
    far = leave_body(start_in=dt.timedelta(days=400))
    assert "starts_at" in client.post(URL, far, format="json").json()["errors"]


def test_a_phone_lists_only_its_own_requests_with_decisions(
    phone_a: Any, office_b: Any, officer_b: Any, head_a: Any
) -> None:
    from backend.casework.services import reject_leave

    device, client = phone_a
    mine = make_leave(device)
    reject_leave(mine, head_a, reason="近期需参加集中教育")
    other_subject = make_subject(office_b, officer_b)
    other_device, _token = enroll_phone(other_subject, officer_b)
    make_leave(other_device)
    listed = client.get(URL).json()
    assert [row["id"] for row in listed] == [mine.pk]
    assert listed[0]["status"] == "rejected" and listed[0]["decision_note"] == "近期需参加集中教育"


def test_staff_credentials_do_not_reach_the_phone_endpoint(api: Any, officer_a: Any) -> None:
    assert api(officer_a).get(URL).status_code in (401, 403)
    assert device_client("not-a-token").get(URL).status_code == 401
