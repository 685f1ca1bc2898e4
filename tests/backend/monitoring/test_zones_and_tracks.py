"""Zones as GeoJSON through the staff API, and audited reads of a person's track."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.backend.monitoring.helpers import post_checkins, track
from tests.conftest import client_for, device_client, enroll_phone

pytestmark = pytest.mark.django_db

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[122.34, 37.14], [122.36, 37.14], [122.36, 37.16], [122.34, 37.16], [122.34, 37.14]]],
}


def test_an_officer_creates_a_polygon_zone_for_a_subject(officer_a: Any, subject_a: Any) -> None:
    response = client_for(officer_a).post(
        "/api/v1/zones",
        {
            "subject": subject_a.pk,
            "name": "居住地",
            "kind": "inclusion",
            "purpose": "home",
            "geometry": SQUARE,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["office"] == subject_a.office_id and body["geometry"]["type"] == "Polygon"
    listed = client_for(officer_a).get("/api/v1/zones", {"subject": subject_a.pk}).json()["results"]
    assert [z["id"] for z in listed] == [body["id"]]


def test_a_gcj02_zone_is_stored_in_wgs84(officer_a: Any, subject_a: Any) -> None:
    response = client_for(officer_a).post(
        "/api/v1/zones",
        {"subject": subject_a.pk, "name": "学校", "kind": "exclusion", "geometry": SQUARE, "crs": "gcj02"},
        format="json",
    )
    assert response.status_code == 201, response.content
    lon, lat = response.json()["geometry"]["coordinates"][0][0]
    assert 0.0005 < 122.34 - lon < 0.01 and 0 < 37.14 - lat < 0.005


@pytest.mark.parametrize(
    "geometry",
    [
        {
            "type": "Polygon",
            "coordinates": [
                [[122.34, 37.14], [122.36, 37.16], [122.36, 37.14], [122.34, 37.16], [122.34, 37.14]]
            ],
        },  # a bow tie: self-intersecting
        {
            "type": "Polygon",
            "coordinates": [[[122.34, 37.14], [122.36, 37.14], [122.34, 37.14]]],
        },  # too few points
        {
            "type": "Polygon",
            "coordinates": [[[222.34, 37.14], [122.36, 37.14], [122.36, 37.16], [222.34, 37.14]]],
        },
        {"type": "LineString", "coordinates": [[122.34, 37.14], [122.36, 37.14]]},
        "not an object",
    ],
)
def test_invalid_geometry_is_a_field_error(officer_a: Any, subject_a: Any, geometry: Any) -> None:
    response = client_for(officer_a).post(
        "/api/v1/zones",
        {"subject": subject_a.pk, "name": "x", "kind": "exclusion", "geometry": geometry},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "geometry" in response.json()["errors"]


def test_a_circle_needs_a_positive_radius(officer_a: Any, subject_a: Any) -> None:
    response = client_for(officer_a).post(
        "/api/v1/zones",
        {
            "subject": subject_a.pk,
            "name": "x",
            "kind": "exclusion",
            "geometry": {"type": "Point", "coordinates": [122.35, 37.15]},
            "radius_m": -5,
        },
        format="json",
    )
    assert response.status_code == 400


def test_zones_of_another_office_are_404(officer_a: Any, officer_b: Any, subject_a: Any) -> None:
    created = (
        client_for(officer_a)
        .post(
            "/api/v1/zones",
            {"subject": subject_a.pk, "name": "居住地", "kind": "inclusion", "geometry": SQUARE},
            format="json",
        )
        .json()
    )
    assert client_for(officer_b).get(f"/api/v1/zones/{created['id']}").status_code == 404
    refused = client_for(officer_b).post(
        "/api/v1/zones",
        {"subject": subject_a.pk, "name": "x", "kind": "inclusion", "geometry": SQUARE},
        format="json",
    )
    assert refused.status_code == 400 and "subject" in refused.json()["errors"]


def test_deleting_a_zone_deactivates_it(officer_a: Any, subject_a: Any) -> None:
    from backend.monitoring.models import Zone

    created = (
        client_for(officer_a)
        .post(
            "/api/v1/zones",
            {"subject": subject_a.pk, "name": "居住地", "kind": "inclusion", "geometry": SQUARE},
            format="json",
        )
        .json()
    )
    assert client_for(officer_a).delete(f"/api/v1/zones/{created['id']}").status_code == 204
    assert Zone.objects.get(pk=created["id"]).is_active is False


def test_a_track_read_is_audited_and_scoped(officer_a: Any, officer_b: Any, subject_a: Any) -> None:
    from backend.audit.models import AccessLog

    _, token = enroll_phone(subject_a, officer_a)
    post_checkins(device_client(token), track([(37.15, 122.35)] * 3))
    since = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    points = client_for(officer_a).get(f"/api/v1/subjects/{subject_a.pk}/track", {"from": since}).json()
    assert len(points) == 3 and points[0]["recorded_at"] <= points[-1]["recorded_at"]
    entry = AccessLog.objects.filter(resource="track").get()
    assert entry.actor == officer_a and entry.detail["points"] == 3
    assert client_for(officer_b).get(f"/api/v1/subjects/{subject_a.pk}/track").status_code == 404
    assert AccessLog.objects.filter(resource="track", outcome="not_found").count() == 1


def test_a_bad_track_window_is_a_400(officer_a: Any, subject_a: Any) -> None:
    response = client_for(officer_a).get(f"/api/v1/subjects/{subject_a.pk}/track", {"from": "soon"})
    assert response.status_code == 400 and "from" in response.json()["errors"]


def test_latest_positions_are_scoped(officer_a: Any, officer_b: Any, subject_a: Any) -> None:
    _, token = enroll_phone(subject_a, officer_a)
    post_checkins(device_client(token), track([(37.15, 122.35)]))
    assert [p["subject_id"] for p in client_for(officer_a).get("/api/v1/positions").json()] == [subject_a.pk]
    assert client_for(officer_b).get("/api/v1/positions").json() == []
