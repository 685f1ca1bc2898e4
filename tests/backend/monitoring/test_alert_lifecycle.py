"""Breaches become alerts; staff acknowledge and resolve them; other offices never see them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.backend.monitoring.helpers import circle_zone, post_checkins, track
from tests.conftest import client_for, device_client, enroll_phone

pytestmark = pytest.mark.django_db

VICTIM = (37.16, 122.36)


@pytest.fixture
def phone(subject_a: Any, officer_a: Any) -> Any:
    _, token = enroll_phone(subject_a, officer_a)
    return device_client(token)


def enter_exclusion_zone(phone: Any, subject: Any) -> Any:
    from backend.monitoring.models import Alert

    zone = circle_zone(subject, *VICTIM, 300)
    post_checkins(phone, track([VICTIM] * 4, step_s=60))
    return zone, Alert.objects.get()


def test_entering_an_exclusion_zone_raises_exactly_one_alert(phone: Any, subject_a: Any) -> None:
    zone, alert = enter_exclusion_zone(phone, subject_a)
    assert (alert.kind, alert.severity, alert.status, alert.category) == (
        "entered_zone",
        "critical",
        "open",
        "position",
    )
    assert alert.zone == zone and alert.office_id == subject_a.office_id
    assert len(alert.evidence["fix_ids"]) >= 2
    # More fixes in the same place do not raise more alerts (one per episode, no storms).
    post_checkins(phone, track([VICTIM] * 5, step_s=60, start=timezone.now()))
    from backend.monitoring.models import Alert

    assert Alert.objects.count() == 1


def test_gps_drift_at_home_raises_nothing(phone: Any, subject_a: Any) -> None:
    from backend.monitoring.models import Alert

    circle_zone(subject_a, 37.15, 122.35, 200, kind="inclusion")
    # A fix whose accuracy disc crosses the boundary is uncertain, never a breach.
    post_checkins(phone, track([(37.1515, 122.3515)] * 6, accuracy=150))
    assert Alert.objects.count() == 0


def test_an_officer_acknowledges_then_resolves(phone: Any, subject_a: Any, officer_a: Any) -> None:
    _, alert = enter_exclusion_zone(phone, subject_a)
    client = client_for(officer_a)
    acked = client.post(f"/api/v1/alerts/{alert.pk}/acknowledge").json()
    assert acked["status"] == "acknowledged" and acked["acknowledged_by"] == officer_a.pk
    # Acknowledging twice changes nothing.
    assert (
        client.post(f"/api/v1/alerts/{alert.pk}/acknowledge").json()["acknowledged_at"]
        == acked["acknowledged_at"]
    )
    missing_note = client.post(
        f"/api/v1/alerts/{alert.pk}/resolve", {"resolution": "verbal_warning"}, format="json"
    )
    assert missing_note.status_code == 400 and "note" in missing_note.json()["errors"]
    resolved = client.post(
        f"/api/v1/alerts/{alert.pk}/resolve",
        {"resolution": "reprimand_proposal", "note": "已电话联系，提请训诫"},
        format="json",
    ).json()
    assert (resolved["status"], resolved["resolution"]) == ("resolved", "reprimand_proposal")
    again = client.post(f"/api/v1/alerts/{alert.pk}/acknowledge")
    assert again.status_code == 400 and again.json()["code"] == "already_resolved"


def test_a_bad_resolution_is_a_field_error(phone: Any, subject_a: Any, officer_a: Any) -> None:
    _, alert = enter_exclusion_zone(phone, subject_a)
    response = client_for(officer_a).post(
        f"/api/v1/alerts/{alert.pk}/resolve", {"resolution": "shrug"}, format="json"
    )
    assert response.status_code == 400 and "resolution" in response.json()["errors"]


def test_another_office_cannot_see_or_handle_the_alert(phone: Any, subject_a: Any, officer_b: Any) -> None:
    _, alert = enter_exclusion_zone(phone, subject_a)
    client = client_for(officer_b)
    assert client.get("/api/v1/alerts").json()["count"] == 0
    assert client.get(f"/api/v1/alerts/{alert.pk}").status_code == 404
    assert client.post(f"/api/v1/alerts/{alert.pk}/acknowledge").status_code == 404


def test_auditors_cannot_handle_alerts(phone: Any, subject_a: Any, auditor: Any) -> None:
    _, alert = enter_exclusion_zone(phone, subject_a)
    assert client_for(auditor).post(f"/api/v1/alerts/{alert.pk}/acknowledge").status_code == 403


def test_alerts_filter_by_status_kind_person_and_time(phone: Any, subject_a: Any, officer_a: Any) -> None:
    _, alert = enter_exclusion_zone(phone, subject_a)
    client = client_for(officer_a)

    def ids(**params: Any) -> list[int]:
        return [row["id"] for row in client.get("/api/v1/alerts", params).json()["results"]]

    assert ids(status="open") == [alert.pk]
    assert ids(status="resolved") == []
    assert ids(kind="entered_zone", person=subject_a.pk) == [alert.pk]
    assert ids(since=(timezone.now() + dt.timedelta(hours=1)).isoformat()) == []
    assert ids(after_seq=alert.seq) == []


def test_leaving_the_inclusion_zone_is_reported_and_coming_back_noted(phone: Any, subject_a: Any) -> None:
    from backend.monitoring.models import Alert

    circle_zone(subject_a, 37.15, 122.35, 500, kind="inclusion", purpose="home")
    away = (37.20, 122.35)  # ~5.5 km north
    start = timezone.now() - dt.timedelta(minutes=30)
    post_checkins(phone, track([(37.15, 122.35)] * 2 + [away] * 4 + [(37.15, 122.35)] * 3, start=start))
    alert = Alert.objects.get()
    assert alert.kind == "left_zone"
    assert "returned_at" in alert.evidence


def test_mock_location_is_a_risk_warning_once_a_day(phone: Any) -> None:
    from backend.monitoring.models import Alert

    fixes = track([(37.15, 122.35)] * 3)
    for item in fixes:
        item["mock_location"] = True
    post_checkins(phone, fixes)
    warning = Alert.objects.get()
    assert (warning.kind, warning.category) == ("mock_location", "risk")


def test_low_battery_is_a_risk_warning(phone: Any) -> None:
    from backend.monitoring.models import Alert

    fixes = track([(37.15, 122.35)])
    fixes[0].update(battery=8, charging=False)
    post_checkins(phone, fixes)
    assert Alert.objects.get().kind == "low_battery"


def test_location_permission_off_is_a_risk_warning(phone: Any) -> None:
    from backend.monitoring.models import Alert

    response = phone.post(
        "/api/v1/mobile/status", {"location_permission": False, "battery": 80}, format="json"
    )
    assert response.status_code == 200
    assert Alert.objects.get().kind == "permission_off"
    bad = phone.post("/api/v1/mobile/status", {"battery": "full"}, format="json")
    assert bad.status_code == 400 and "battery" in bad.json()["errors"]


def test_late_data_breach_is_reported_and_marked_late(phone: Any, subject_a: Any) -> None:
    from backend.monitoring.models import Alert

    circle_zone(subject_a, *VICTIM, 300)
    now = timezone.now()
    post_checkins(phone, track([(37.15, 122.35)] * 2, start=now - dt.timedelta(minutes=2)))
    # Fixes buffered offline an hour ago arrive now: the breach is reported, marked late.
    post_checkins(phone, track([VICTIM] * 3, start=now - dt.timedelta(hours=1)))
    alert = Alert.objects.get()
    assert alert.kind == "entered_zone" and alert.late is True


def test_sequence_numbers_increase_with_every_alert(
    phone: Any, subject_a: Any, subject_b: Any, officer_b: Any
) -> None:
    from backend.monitoring.models import Alert

    enter_exclusion_zone(phone, subject_a)
    _, token_b = enroll_phone(subject_b, officer_b)
    circle_zone(subject_b, 37.16, 122.46, 300)
    post_checkins(device_client(token_b), track([(37.16, 122.46)] * 3))
    seqs = list(Alert.objects.order_by("raised_at", "id").values_list("seq", flat=True))
    assert len(seqs) == 2 and seqs[0] < seqs[1]


def test_the_console_shows_each_new_alert_as_the_staff_api_does(
    phone: Any, subject_a: Any, officer_a: Any
) -> None:
    """The websocket payload is built without re-reading the alert, by one serializer reused
    for every alert: it must still be exactly what the API returns, alert after alert."""
    from backend.monitoring.models import ConsoleEvent

    zone, _ = enter_exclusion_zone(phone, subject_a)
    fixes = track([(37.15, 122.35)] * 3, start=timezone.now())
    for item in fixes:
        item["mock_location"] = True
    post_checkins(phone, fixes)
    client = client_for(officer_a)
    created = ConsoleEvent.objects.filter(type="alert.created").order_by("seq")
    assert [event.payload["kind"] for event in created] == ["entered_zone", "mock_location"]
    for event in created:
        assert event.payload == client.get(f"/api/v1/alerts/{event.payload['id']}").json()
    assert created[0].payload["zone"] == {"id": zone.pk, "name": zone.name, "kind": "exclusion"}
    assert created[0].payload["office_name"] == subject_a.office.name and created[1].payload["zone"] is None
