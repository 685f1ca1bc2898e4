"""Check-in uploads: per-fix fates, idempotency, partial batches, clock skew, coordinate systems."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.utils import timezone

from tests.backend.monitoring.helpers import fix, post_checkins
from tests.conftest import device_client, enroll_phone

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone(subject_a: Any, officer_a: Any) -> Any:
    _device, token = enroll_phone(subject_a, officer_a)
    return device_client(token)


def stored() -> int:
    from backend.monitoring.models import CheckIn

    return CheckIn.objects.count()


def test_a_batch_is_accepted_and_stored(phone: Any) -> None:
    response = post_checkins(phone, [fix(), fix()])
    assert response.status_code == 200, response.content
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["accepted", "accepted"]
    assert body["accepted"] == 2 and body["next_checkin_due"] and body["server_time"]
    assert body["reminders"] == [] and body["commands"] == []
    assert stored() == 2


def test_the_same_batch_sent_twice_is_stored_once(phone: Any) -> None:
    batch = [fix(), fix(), fix()]
    post_checkins(phone, batch)
    again = post_checkins(phone, batch)
    assert again.status_code == 200
    assert [r["status"] for r in again.json()["results"]] == ["duplicate"] * 3
    assert stored() == 3


def test_the_same_id_with_a_different_body_is_a_conflict(phone: Any) -> None:
    first = fix()
    post_checkins(phone, [first])
    changed = {**first, "lat": first["lat"] + 0.01}
    result = post_checkins(phone, [changed, fix()]).json()["results"]
    assert result[0]["status"] == "conflict" and "id" in result[0]["errors"]
    assert result[1]["status"] == "accepted"
    assert stored() == 2


def test_a_repeated_id_inside_one_batch_is_stored_once(phone: Any) -> None:
    one = fix()
    result = post_checkins(phone, [one, dict(one)]).json()["results"]
    assert [r["status"] for r in result] == ["accepted", "duplicate"]
    assert stored() == 1


def test_a_malformed_fix_is_rejected_alone(phone: Any) -> None:
    bad = fix(lat=123.0)
    response = post_checkins(phone, [fix(), bad, fix(crs="utm")])
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "rejected"]
    assert "lat" in results[1]["errors"] and results[1]["id"] == bad["id"]
    assert "crs" in results[2]["errors"]
    assert stored() == 1


@pytest.mark.parametrize(
    "change, field",
    [
        ({"id": "not-a-uuid"}, "id"),
        ({"recorded_at": "2026-11-27T10:00:00"}, "recorded_at"),  # no offset
        ({"recorded_at": "yesterday"}, "recorded_at"),
        ({"lon": "122.3"}, "lon"),  # a string, not a number
        ({"lat": True}, "lat"),
        ({"accuracy_m": -1}, "accuracy_m"),
        ({"battery": 140}, "battery"),
        ({"mock_location": "yes"}, "mock_location"),
        ({"teleported": 1}, "non_field_errors"),
    ],
)
def test_each_bad_field_gets_its_own_message(phone: Any, change: dict[str, Any], field: str) -> None:
    response = post_checkins(phone, [{**fix(), **change}])
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert f"checkins.0.{field}" in body["errors"], body["errors"]
    assert stored() == 0


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "checkins"),
        ({"checkins": []}, "checkins"),
        ({"checkins": "x"}, "checkins"),
        ({"checkins": [1]}, "checkins.0.non_field_errors"),
        ({"checkins": [fix()], "sent_at": "noon"}, "sent_at"),
    ],
)
def test_malformed_batches_are_400s(phone: Any, body: dict[str, Any], field: str) -> None:
    response = phone.post("/api/v1/mobile/checkins", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_more_than_500_fixes_are_refused_whole(phone: Any) -> None:
    response = post_checkins(phone, [fix() for _ in range(501)])
    assert response.status_code == 400 and response.json()["code"] == "batch_size"
    assert stored() == 0


def test_a_body_past_the_upload_size_limit_is_a_413_in_json(phone: Any) -> None:
    from django.conf import settings

    padding = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = phone.post("/api/v1/mobile/checkins", {"checkins": [fix()], "pad": padding}, format="json")
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    assert stored() == 0


def test_500_fixes_out_of_order_are_accepted(phone: Any) -> None:
    start = timezone.now() - dt.timedelta(hours=9)
    fixes = [fix(at=start + dt.timedelta(minutes=i)) for i in range(500)]
    response = post_checkins(phone, list(reversed(fixes)))
    assert response.json()["accepted"] == 500


def test_the_phone_time_and_the_server_time_are_both_kept_and_skew_is_flagged(phone: Any) -> None:
    from backend.monitoring.models import CheckIn

    sent_at = timezone.now() + dt.timedelta(minutes=10)  # the phone's clock runs 10 minutes fast
    one = fix(at=timezone.now() - dt.timedelta(minutes=1))
    result = post_checkins(phone, [one], sent_at=sent_at.isoformat()).json()["results"][0]
    assert result["clock_skew_s"] == pytest.approx(600, abs=5)
    row = CheckIn.objects.get()
    assert row.recorded_at == dt.datetime.fromisoformat(one["recorded_at"])
    assert abs((row.received_at - timezone.now()).total_seconds()) < 5
    assert row.clock_skew_s == pytest.approx(600, abs=5)


def test_gcj02_fixes_are_stored_in_wgs84_and_as_sent(phone: Any) -> None:
    from backend.monitoring.models import CheckIn

    post_checkins(phone, [fix(37.15, 122.35, crs="gcj02")])
    row = CheckIn.objects.get()
    assert (row.raw_lat, row.raw_lon, row.crs) == (37.15, 122.35, "gcj02")
    # GCJ-02 is offset by a few hundred metres in Shandong; WGS-84 lies south-west of it.
    assert 0.0005 < row.raw_lon - row.lon < 0.01 and 0.0 < row.raw_lat - row.lat < 0.005


def test_a_fix_from_the_future_is_kept_and_classified(phone: Any) -> None:
    result = post_checkins(phone, [fix(at=timezone.now() + dt.timedelta(hours=2))]).json()["results"][0]
    assert result["status"] == "accepted" and result["quality"] == "future"


def test_uploads_need_a_device_token(db: Any) -> None:
    from rest_framework.test import APIClient

    assert (
        APIClient().post("/api/v1/mobile/checkins", {"checkins": [fix()]}, format="json").status_code == 401
    )


def test_an_upload_moves_the_next_due_time_by_the_supervision_level(phone: Any, subject_a: Any) -> None:
    from backend.monitoring.models import MonitorState

    post_checkins(phone, [fix()])
    state = MonitorState.objects.get(subject=subject_a)
    assert (
        dt.timedelta(hours=3, minutes=59) < state.next_checkin_due - timezone.now() <= dt.timedelta(hours=4)
    )
    assert state.last_fix_at is not None and state.last_lat == pytest.approx(37.15)


@pytest.mark.parametrize(("level", "hours"), [("strict", 1), ("normal", 4), ("lenient", 12)])
def test_the_answer_gives_the_next_due_time_of_the_persons_level(
    office_a: Any, officer_a: Any, level: str, hours: int
) -> None:
    from tests.conftest import make_subject

    _, token = enroll_phone(make_subject(office_a, officer_a, supervision_level=level), officer_a)
    body = post_checkins(device_client(token), [fix()]).json()
    due = dt.datetime.fromisoformat(body["next_checkin_due"]) - dt.datetime.fromisoformat(body["server_time"])
    assert due == dt.timedelta(hours=hours)


def test_an_upload_with_no_valid_fix_moves_no_due_time(phone: Any) -> None:
    body = post_checkins(phone, [fix(lat=95.0)]).json()
    assert body["next_checkin_due"] is None and body["results"][0]["status"] == "rejected"


def test_an_upload_marks_the_phone_seen(subject_a: Any, officer_a: Any) -> None:
    from backend.supervision.models import Device

    device, token = enroll_phone(subject_a, officer_a)
    Device.objects.filter(pk=device.pk).update(last_seen_at=timezone.now() - dt.timedelta(hours=1))
    post_checkins(device_client(token), [fix()])
    device.refresh_from_db()
    assert timezone.now() - device.last_seen_at < dt.timedelta(seconds=30)


def test_a_phone_revoked_after_its_check_stores_nothing(subject_a: Any, officer_a: Any) -> None:
    from django.db import connection
    from rest_framework.exceptions import AuthenticationFailed

    from backend.monitoring.services import record_checkins
    from backend.supervision.services import authenticate_device_token, revoke_device

    if connection.vendor != "postgresql":
        pytest.skip("the upload statement checks the phone again on PostgreSQL only")
    device, token = enroll_phone(subject_a, officer_a)
    checked = authenticate_device_token(token)
    assert checked is not None
    revoke_device(device, "lost")
    with pytest.raises(AuthenticationFailed):
        record_checkins(checked, [fix()])
    assert stored() == 0


def test_ids_are_scoped_to_the_phone(subject_a: Any, subject_b: Any, officer_a: Any, officer_b: Any) -> None:
    _, token_a = enroll_phone(subject_a, officer_a)
    _, token_b = enroll_phone(subject_b, officer_b)
    shared = str(uuid.uuid4())
    a = post_checkins(device_client(token_a), [{**fix(), "id": shared}]).json()["results"][0]
    b = post_checkins(device_client(token_b), [{**fix(lon=122.45), "id": shared}]).json()["results"][0]
    assert (a["status"], b["status"]) == ("accepted", "accepted")


def test_answers_match_the_published_contract(phone: Any, subject_a: Any, officer_a: Any) -> None:
    from tests.backend.monitoring.helpers import circle_zone, track
    from tests.conftest import client_for
    from tests.openapi_helpers import assert_matches_spec

    accepted = post_checkins(phone, [fix(), fix(lat=123.0)])
    assert_matches_spec(accepted, "/api/v1/mobile/checkins", "post")
    rejected = post_checkins(phone, [fix(lat=123.0)])
    assert rejected.status_code == 400
    assert_matches_spec(rejected, "/api/v1/mobile/checkins", "post")
    status = phone.post("/api/v1/mobile/status", {"battery": 50, "gps_enabled": True}, format="json")
    assert_matches_spec(status, "/api/v1/mobile/status", "post")
    circle_zone(subject_a, 37.16, 122.36, 300)
    post_checkins(phone, track([(37.16, 122.36)] * 3))
    alerts = client_for(officer_a).get("/api/v1/alerts")
    assert alerts.json()["count"] == 1
    assert_matches_spec(alerts, "/api/v1/alerts", "get")


def test_text_with_quotes_braces_and_backslashes_is_stored_exactly(phone: Any) -> None:
    from backend.monitoring.models import CheckIn

    awkward = 'a"b\\c{x},NULL'
    sent = fix(
        provider=awkward, altitude_m=12.5, speed_mps=None, battery=55, charging=True, mock_location=False
    )
    assert post_checkins(phone, [sent]).json()["results"][0]["status"] == "accepted"
    row = CheckIn.objects.get(client_id=sent["id"])
    assert (row.provider, row.altitude_m, row.speed_mps, row.battery, row.charging) == (
        awkward,
        12.5,
        None,
        55,
        True,
    )
    assert row.recorded_at == dt.datetime.fromisoformat(sent["recorded_at"])
