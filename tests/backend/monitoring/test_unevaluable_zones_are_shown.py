"""A stored zone the engine cannot evaluate is shown to staff, and skipped with one log line per version.

Zones stored before the API checked them with the engine, or edited in the database, may be
refused by the engine. Nothing about that is stored: the API's ``evaluable``/``problems`` and the
admin's column, filter and change page compute it with the same validator as the loader.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.utils import timezone

from backend.monitoring import zones
from tests.backend.monitoring.helpers import circle_zone, post_checkins, track
from tests.conftest import client_for, device_client, enroll_phone, signed_in_client

pytestmark = pytest.mark.django_db

CENTRE = (37.16, 122.36)


@pytest.fixture
def broken(subject_a: Any) -> Any:
    """The hostile zone as it was stored before the fix: active, with a 6 km approach distance."""
    return circle_zone(subject_a, *CENTRE, 200, approach_buffer_m=6000)


def test_the_api_shows_a_stored_zone_the_engine_refuses(officer_a: Any, broken: Any, subject_a: Any) -> None:
    good = circle_zone(subject_a, 37.15, 122.35, 100)
    listed = {z["id"]: z for z in client_for(officer_a).get("/api/v1/zones").json()["results"]}
    assert listed[broken.pk]["evaluable"] is False
    assert listed[broken.pk]["problems"] == {
        "approach_buffer_m": ["approach_buffer_m must be at most 5000 m"]
    }
    assert listed[good.pk]["evaluable"] is True and listed[good.pk]["problems"] == {}


def test_a_zone_broken_in_the_database_shows_up_once_its_version_changes(
    officer_a: Any, subject_a: Any
) -> None:
    from backend.monitoring.models import Zone

    zone = circle_zone(subject_a, *CENTRE, 200)
    assert client_for(officer_a).get(f"/api/v1/zones/{zone.pk}").json()["evaluable"] is True
    Zone.objects.filter(pk=zone.pk).update(radius_m=-1, schedule={"tz": "Nowhere"}, updated_at=timezone.now())
    body = client_for(officer_a).get(f"/api/v1/zones/{zone.pk}").json()
    assert body["evaluable"] is False and set(body["problems"]) == {"radius_m", "schedule"}


def test_fixing_the_zone_through_the_api_makes_it_evaluable(officer_a: Any, broken: Any) -> None:
    response = client_for(officer_a).patch(
        f"/api/v1/zones/{broken.pk}", {"approach_buffer_m": 500}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["evaluable"] is True


def test_a_patch_that_leaves_it_broken_is_refused(officer_a: Any, broken: Any) -> None:
    response = client_for(officer_a).patch(f"/api/v1/zones/{broken.pk}", {"name": "新名字"}, format="json")
    assert response.status_code == 400 and set(response.json()["errors"]) == {"approach_buffer_m"}


def zone_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "backend.monitoring.zones"]


def test_the_loader_skips_it_and_logs_it_once_per_version(
    broken: Any, subject_a: Any, officer_a: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from backend.monitoring.models import Alert, Zone

    good = circle_zone(subject_a, *CENTRE, 300)
    _, token = enroll_phone(subject_a, officer_a)
    phone = device_client(token)
    with caplog.at_level(logging.WARNING, logger="backend.monitoring.engine"):
        for _ in range(3):
            zones._subject_zones.clear()  # every load reads the zones again, as after any zone edit
            assert [z.id for z in zones.zones_for(subject_a)] == [str(good.pk)]
        post_checkins(phone, track([CENTRE] * 4, step_s=60))
        assert len(zone_lines(caplog)) == 1
        # A new version of the zone (still broken) is logged once more.
        Zone.objects.filter(pk=broken.pk).update(approach_buffer_m=7000, updated_at=timezone.now())
        for _ in range(2):
            zones._subject_zones.clear()
            zones.zones_for(subject_a)
    lines = zone_lines(caplog)
    assert len(lines) == 2 and all(f"zone {broken.pk} " in r.getMessage() and not r.exc_info for r in lines)
    # The good zone still raises its alert; the broken one cannot.
    assert list(Alert.objects.values_list("zone_id", flat=True)) == [good.pk]


# ---------------------------------------------------------------------------------------------
# Admin
# ---------------------------------------------------------------------------------------------


def test_the_admin_lists_and_filters_zones_the_engine_cannot_evaluate(
    sysadmin: Any, broken: Any, subject_a: Any
) -> None:
    good = circle_zone(subject_a, 37.15, 122.35, 100, name="居住地")
    page = signed_in_client(sysadmin).get("/admin/monitoring/zone/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "evaluable by the engine" in page.content.decode()
    refused = (
        signed_in_client(sysadmin)
        .get("/admin/monitoring/zone/", {"evaluable": "no"})
        .context["cl"]
        .result_list
    )
    accepted = (
        signed_in_client(sysadmin)
        .get("/admin/monitoring/zone/", {"evaluable": "yes"})
        .context["cl"]
        .result_list
    )
    assert [z.pk for z in refused] == [broken.pk] and [z.pk for z in accepted] == [good.pk]


def test_the_admin_change_page_says_what_is_wrong(sysadmin: Any, broken: Any) -> None:
    page = signed_in_client(sysadmin).get(f"/admin/monitoring/zone/{broken.pk}/change/")
    assert page.status_code == 200 and "approach_buffer_m must be at most 5000 m" in page.content.decode()


def form_data(zone: Any, **changes: Any) -> dict[str, Any]:
    import json

    data = {
        "office": zone.office_id,
        "subject": zone.subject_id,
        "name": zone.name,
        "kind": zone.kind,
        "purpose": zone.purpose,
        "geometry": json.dumps(zone.geometry),
        "radius_m": zone.radius_m,
        "schedule": "",
        "approach_buffer_m": zone.approach_buffer_m,
        "confirm_fixes": zone.confirm_fixes,
        "confirm_seconds": zone.confirm_seconds,
        "clear_fixes": zone.clear_fixes,
        "is_active": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({}, "approach_buffer_m"),  # saving the broken zone as it is
        ({"approach_buffer_m": 100, "kind": "inclusion"}, "approach_buffer_m"),
        ({"approach_buffer_m": 0, "radius_m": "1e300"}, "radius_m"),
        ({"approach_buffer_m": 0, "confirm_fixes": 500}, "confirm_fixes"),
        (
            {
                "approach_buffer_m": 0,
                "schedule": '{"tz": "Nowhere", "windows": [{"start": "22:00", "end": "06:00"}]}',
            },
            "schedule",
        ),
        (
            {
                "approach_buffer_m": 0,
                "geometry": '{"type": "LineString", "coordinates": [[122, 37], [122.1, 37.1]]}',
            },
            "geometry",
        ),
    ],
)
def test_the_admin_form_refuses_what_the_engine_refuses(
    sysadmin: Any, broken: Any, changes: dict[str, Any], field: str
) -> None:
    from backend.monitoring.models import Zone

    page = signed_in_client(sysadmin).post(
        f"/admin/monitoring/zone/{broken.pk}/change/", form_data(broken, **changes)
    )
    assert page.status_code == 200, "the form was accepted"
    assert field in page.context["adminform"].form.errors
    assert Zone.objects.get(pk=broken.pk).approach_buffer_m == 6000


def test_the_admin_form_saves_a_fixed_zone(sysadmin: Any, broken: Any) -> None:
    from backend.monitoring.models import Zone

    page = signed_in_client(sysadmin).post(
        f"/admin/monitoring/zone/{broken.pk}/change/", form_data(broken, approach_buffer_m=500)
    )
    assert page.status_code == 302, page.context["adminform"].form.errors if page.context else page
    zone = Zone.objects.get(pk=broken.pk)
    assert zone.approach_buffer_m == 500 and zones.zone_problems(zone) == {}


def test_the_admin_refuses_a_subject_of_another_office(head_a: Any, broken: Any, subject_b: Any) -> None:
    page = signed_in_client(head_a).post(
        f"/admin/monitoring/zone/{broken.pk}/change/",
        form_data(broken, approach_buffer_m=0, subject=subject_b.pk),
    )
    assert page.status_code == 200 and "subject" in page.context["adminform"].form.errors
