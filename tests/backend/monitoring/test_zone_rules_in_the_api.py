"""The zone API refuses exactly what the engine refuses, field by field, in the API's error shape.

Hostile testing found an exclusion circle with a 6 km approach distance stored as active (201)
while the engine refused it, so fixes at its centre raised nothing. The API, the admin and the
loader now share one validator (``zones.check_zone``), whose limits are geofence's own.
"""

from __future__ import annotations

from typing import Any

import pytest

from backend.monitoring.zones import to_engine_zone
from geofence.zones import MAX_APPROACH_BUFFER_M, MAX_EPISODE_FIXES, MAX_VERTICES
from tests.backend.monitoring.helpers import post_checkins, track
from tests.conftest import client_for, device_client, enroll_phone

pytestmark = pytest.mark.django_db

CENTRE = (37.16, 122.36)  # lat, lon
CIRCLE = {"type": "Point", "coordinates": [CENTRE[1], CENTRE[0]]}
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[122.34, 37.14], [122.36, 37.14], [122.36, 37.16], [122.34, 37.16], [122.34, 37.14]]],
}


def create(user: Any, subject: Any, **fields: Any) -> Any:
    payload = {
        "subject": subject.pk,
        "name": "网吧",
        "kind": "exclusion",
        "geometry": CIRCLE,
        "radius_m": 200,
        **fields,
    }
    return client_for(user).post("/api/v1/zones", payload, format="json")


def refused_field(response: Any) -> set[str]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"detail", "code", "errors"} and body["detail"]
    assert all(isinstance(m, str) and m for messages in body["errors"].values() for m in messages)
    return set(body["errors"])


@pytest.mark.parametrize(
    "buffer_m", [MAX_APPROACH_BUFFER_M + 1000, 1e300, 2**70, -1, "NaN", "Infinity", False, True]
)
def test_an_approach_distance_the_engine_refuses_is_a_400(
    officer_a: Any, subject_a: Any, buffer_m: Any
) -> None:
    from backend.monitoring.models import Zone

    assert refused_field(create(officer_a, subject_a, approach_buffer_m=buffer_m)) == {"approach_buffer_m"}
    assert not Zone.objects.exists()


def test_the_engine_gives_the_message(officer_a: Any, subject_a: Any) -> None:
    response = create(officer_a, subject_a, approach_buffer_m=6000)
    assert response.json()["errors"]["approach_buffer_m"] == [
        f"approach_buffer_m must be at most {MAX_APPROACH_BUFFER_M:.0f} m"
    ]


def test_approach_warnings_on_an_inclusion_zone_are_refused(officer_a: Any, subject_a: Any) -> None:
    assert refused_field(create(officer_a, subject_a, kind="inclusion", approach_buffer_m=100)) == {
        "approach_buffer_m"
    }


@pytest.mark.parametrize("radius", [0, -5, "NaN", "-Infinity", 1e300, 10**400, 2**64, "two hundred", True])
def test_a_radius_the_engine_refuses_is_a_400(officer_a: Any, subject_a: Any, radius: Any) -> None:
    assert refused_field(create(officer_a, subject_a, radius_m=radius)) == {"radius_m"}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("confirm_fixes", 0),
        ("confirm_fixes", MAX_EPISODE_FIXES + 1),
        ("confirm_fixes", 2**63),
        ("confirm_fixes", 2**64 + 7),
        ("confirm_fixes", 10**400),
        ("confirm_fixes", 1.5),
        ("confirm_fixes", "NaN"),
        ("confirm_seconds", -1),
        ("confirm_seconds", 2**100),
        ("confirm_seconds", 1e300),
        ("clear_fixes", 0),
        ("clear_fixes", 2**70),
        ("clear_fixes", True),
    ],
)
def test_breach_settings_the_engine_refuses_are_a_400_not_a_500(
    officer_a: Any, subject_a: Any, name: str, value: Any
) -> None:
    assert refused_field(create(officer_a, subject_a, **{name: value})) == {name}


def test_every_bad_breach_setting_is_named_at_once(officer_a: Any, subject_a: Any) -> None:
    response = create(officer_a, subject_a, confirm_fixes=0, confirm_seconds=10**9, clear_fixes=2**64)
    assert refused_field(response) == {"confirm_fixes", "confirm_seconds", "clear_fixes"}


@pytest.mark.parametrize(
    ("geometry", "radius"),
    [
        ({"type": "Point", "coordinates": [122.36, 37.16]}, None),  # a Point without radius
        (SQUARE, 200),  # a Polygon with a radius
    ],
)
def test_a_radius_must_match_the_shape(officer_a: Any, subject_a: Any, geometry: Any, radius: Any) -> None:
    assert refused_field(create(officer_a, subject_a, geometry=geometry, radius_m=radius)) == {"radius_m"}


def many_vertices(n: int) -> dict[str, Any]:
    import math

    ring = [
        [122.35 + 0.01 * math.cos(2 * math.pi * i / n), 37.15 + 0.01 * math.sin(2 * math.pi * i / n)]
        for i in range(n)
    ]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "Polygon", "coordinates": []},  # empty
        {"type": "MultiPolygon", "coordinates": [[]]},
        {
            "type": "Polygon",
            "coordinates": [
                [[122.34, 37.14], [122.36, 37.16], [122.36, 37.14], [122.34, 37.16], [122.34, 37.14]]
            ],
        },  # self-intersecting
        {
            "type": "Polygon",
            "coordinates": [[[122.34, 37.14], [122.36, 37.14], [122.36, 37.16], [122.34, 600]]],
        },
        {
            "type": "Polygon",
            "coordinates": [[[122.34, 37.14], [122.36, 37.14], [122.36, 37.16], [10**400, 37.1]]],
        },
        {"type": "Polygon", "coordinates": [[["122.34", "37.14"], ["122.36", "37.14"], ["122.36", "37.16"]]]},
        {"type": "Polygon", "coordinates": "122.34,37.14 122.36,37.14 122.36,37.16"},
        {"type": "Polygon", "coordinates": [[[[[[122.34, 37.14]]]]]]},
        {"type": "Point", "coordinates": "122.36,37.16"},
        {"type": "GeometryCollection", "geometries": []},
        {"type": "Feature", "geometry": None, "properties": {}},
        {"coordinates": [122.36, 37.16]},
        [122.36, 37.16],
        many_vertices(MAX_VERTICES + 1),
    ],
)
def test_a_geometry_the_engine_refuses_is_a_400(officer_a: Any, subject_a: Any, geometry: Any) -> None:
    assert refused_field(create(officer_a, subject_a, geometry=geometry, radius_m=None)) <= {
        "geometry",
        "radius_m",
    }


def test_an_unclosed_ring_is_stored_closed(officer_a: Any, subject_a: Any) -> None:
    ring = SQUARE["coordinates"][0][:-1]
    response = create(
        officer_a, subject_a, geometry={"type": "Polygon", "coordinates": [ring]}, radius_m=None
    )
    assert response.status_code == 201, response.content
    stored = response.json()["geometry"]["coordinates"][0]
    assert stored[0] == stored[-1] and len(stored) == 5


@pytest.mark.parametrize(
    "schedule",
    [
        {"tz": "Mars/Olympus_Mons", "windows": [{"start": "22:00", "end": "06:00"}]},
        {"tz": "../../etc/passwd", "windows": [{"start": "22:00", "end": "06:00"}]},
        {"tz": 8, "windows": [{"start": "22:00", "end": "06:00"}]},
        {"windows": [{"start": "25:00", "end": "06:00"}]},
        {"windows": [{"start": "22:00", "end": "22:00"}]},
        {"windows": [{"days": [], "start": "22:00", "end": "06:00"}]},
        {"windows": [{"days": ["someday"], "start": "22:00", "end": "06:00"}]},
        {"windows": []},
        {"windows": "22:00-06:00"},
        {"windows": [{"start": "22:00", "end": "06:00"}], "off_dates": ["2026-02-30"]},
        {"extra_windows": [{"start": "2026-05-02T10:00", "end": "2026-05-01T10:00"}]},
        [],
        "22:00-06:00",
    ],
)
def test_a_schedule_the_engine_refuses_is_a_400(officer_a: Any, subject_a: Any, schedule: Any) -> None:
    assert refused_field(create(officer_a, subject_a, schedule=schedule)) == {"schedule"}


def test_a_schedule_is_stored_as_the_engine_reads_it(officer_a: Any, subject_a: Any) -> None:
    response = create(
        officer_a,
        subject_a,
        schedule={"windows": [{"days": ["Monday", 6], "start": "22:00", "end": "06:00"}]},
    )
    assert response.status_code == 201, response.content
    assert response.json()["schedule"] == {
        "tz": "Asia/Shanghai",
        "windows": [{"days": ["mon", "sun"], "start": "22:00:00", "end": "06:00:00"}],
        "off_dates": [],
        "extra_windows": [],
    }


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "a\x00b"])
def test_a_bad_name_is_a_400(officer_a: Any, subject_a: Any, name: str) -> None:
    assert refused_field(create(officer_a, subject_a, name=name)) == {"name"}


def test_a_subject_of_another_office_is_refused(officer_a: Any, subject_b: Any) -> None:
    assert "subject" in refused_field(create(officer_a, subject_b))


def test_a_patch_that_breaks_a_zone_is_refused_and_changes_nothing(officer_a: Any, subject_a: Any) -> None:
    from backend.monitoring.models import Zone

    created = create(officer_a, subject_a, approach_buffer_m=300).json()
    client = client_for(officer_a)
    for change in (
        {"approach_buffer_m": 6000},
        {"kind": "inclusion"},
        {"radius_m": None},
        {"geometry": SQUARE},
        {"confirm_fixes": 2**64},
        {"schedule": {"windows": []}},
    ):
        assert refused_field(client.patch(f"/api/v1/zones/{created['id']}", change, format="json")), change
    put = {**{k: created[k] for k in ("subject", "name", "kind", "geometry")}, "radius_m": 1e300}
    assert refused_field(client.put(f"/api/v1/zones/{created['id']}", put, format="json")) == {"radius_m"}
    zone = Zone.objects.get()
    assert (zone.approach_buffer_m, zone.kind, zone.radius_m) == (300, "exclusion", 200)


def test_a_patch_may_turn_a_circle_into_a_polygon_when_it_drops_the_radius(
    officer_a: Any, subject_a: Any
) -> None:
    created = create(officer_a, subject_a).json()
    response = client_for(officer_a).patch(
        f"/api/v1/zones/{created['id']}", {"geometry": SQUARE, "radius_m": None}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["geometry"]["type"] == "Polygon" and response.json()["evaluable"] is True


def test_a_patch_in_gcj02_without_geometry_keeps_the_stored_position(officer_a: Any, subject_a: Any) -> None:
    created = create(officer_a, subject_a).json()
    response = client_for(officer_a).patch(
        f"/api/v1/zones/{created['id']}", {"radius_m": 250, "crs": "gcj02"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["geometry"] == created["geometry"] and response.json()["radius_m"] == 250


def test_a_point_with_its_radius_inside_the_geometry_is_stored_as_a_circle(
    officer_a: Any, subject_a: Any
) -> None:
    from backend.monitoring.models import Zone

    response = create(officer_a, subject_a, geometry={**CIRCLE, "radius_m": 150}, radius_m=None)
    assert response.status_code == 201, response.content
    assert response.json()["radius_m"] == 150
    assert to_engine_zone(Zone.objects.get()).circle_spec.radius_m == 150  # type: ignore[union-attr]


def test_an_accepted_exclusion_zone_raises_an_alert_at_its_centre(officer_a: Any, subject_a: Any) -> None:
    from backend.monitoring.models import Alert

    response = create(
        officer_a,
        subject_a,
        radius_m=200,
        approach_buffer_m=MAX_APPROACH_BUFFER_M,
        confirm_fixes=2,
        confirm_seconds=60,
    )
    assert response.status_code == 201 and response.json()["evaluable"] is True
    _, token = enroll_phone(subject_a, officer_a)
    post_checkins(device_client(token), track([CENTRE] * 4, step_s=60))
    assert Alert.objects.filter(kind="entered_zone", zone_id=response.json()["id"]).count() == 1
