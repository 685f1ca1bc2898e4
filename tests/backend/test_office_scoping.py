"""Office A's officer gets 404 for office B's objects through every staff endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.backend.archives.scoping_ids import archive_ids
from tests.backend.bureau.records import bureau_record_ids
from tests.backend.bureau_functions.records import bureau_function_ids, office_record_ids
from tests.backend.resettlement.scoping_ids import education_and_resettlement_ids
from tests.backend.screening.scoping_ids import screening_ids
from tests.conftest import client_for, make_released_person

pytestmark = pytest.mark.django_db


def staff_detail_routes() -> list[str]:
    """Every /api/v1/ route with a ``pk`` parameter, except the phone's own and the audit log."""
    routes: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                route = (
                    (prefix + str(entry.pattern))
                    .replace("(?P<pk>[^/.]+)", "<pk>")
                    .replace("<int:pk>", "<pk>")
                )
                if route.startswith("api/v1/") and "<pk>" in route:
                    routes.append(route.replace("^", "").replace("$", ""))

    walk(get_resolver().url_patterns, "")
    return sorted({r for r in routes if "/mobile/" not in r and "audit/" not in r and "offices" not in r})


def test_the_route_list_covers_the_person_endpoints() -> None:
    routes = staff_detail_routes()
    assert "api/v1/subjects/<pk>" in routes
    assert "api/v1/subjects/<pk>/enrollment-code" in routes
    assert "api/v1/released-persons/<pk>" in routes
    assert "api/v1/subjects/<pk>/track" in routes
    assert "api/v1/alerts/<pk>/acknowledge" in routes


def test_officer_of_office_a_gets_404_for_office_b_everywhere(
    officer_a: Any, subject_b: Any, office_b: Any
) -> None:
    from django.db import transaction
    from django.utils import timezone

    from backend.monitoring.models import Zone
    from backend.monitoring.services import raise_alert

    released_b = make_released_person(office_b)
    zone_b = Zone.objects.create(
        office=office_b,
        subject=subject_b,
        name="禁入区",
        kind="exclusion",
        geometry={"type": "Point", "coordinates": [122.45, 37.15]},
        radius_m=100,
    )
    with transaction.atomic():
        alert_b = raise_alert(
            subject_b,
            kind="entered_zone",
            severity="critical",
            occurred_at=timezone.now(),
            dedupe_key="scoping-test",
            zone=zone_b,
        )
    # A new staff resource must be added here, or this test fails with a KeyError: on purpose.
    ids = {
        "subjects": subject_b.pk,
        "released-persons": released_b.pk,
        "alerts": alert_b.pk,
        "zones": zone_b.pk,
        **archive_ids(subject_b, subject_b.responsible_officer),
        **education_and_resettlement_ids(subject_b),
        **screening_ids(office_b),
        **bureau_record_ids(),
        **bureau_function_ids(),
        **office_record_ids(subject_b),
    }
    client = client_for(officer_a)
    checked = 0
    for route in staff_detail_routes():
        # The collection is the route up to the id ("learning/classes"), or its first part ("subjects").
        resource = route.split("/<pk>")[0].split("api/v1/", 1)[1]
        if resource in ("indicators", "mediation/credit-rules"):
            continue  # the county's own tables (the plan's targets, the mediation rule table), read by all
        url = "/" + route.replace(
            "<pk>", str(ids[resource] if resource in ids else ids[resource.split("/")[0]])
        )
        for method in ("get", "post", "patch", "put", "delete"):
            response = getattr(client, method)(url, {}, format="json")
            if response.status_code == 405:
                continue
            if response.status_code == 403 and method != "get":
                # A write the role may never make (an officer edits no roster, reviews no return) is
                # refused before any lookup: the same answer as for an id nobody has, so it tells
                # nothing of office B.
                unknown = "/" + route.replace("<pk>", "987654321")
                assert getattr(client, method)(unknown, {}, format="json").status_code == 403, url
                checked += 1
                continue
            assert response.status_code == 404, (method, url, response.status_code, response.content)
            checked += 1
    assert checked >= 15
    # Office B's people are not in office A's lists either.
    assert subject_b.pk not in [row["id"] for row in client.get("/api/v1/subjects").json()["results"]]
    assert released_b.pk not in [
        row["id"] for row in client.get("/api/v1/released-persons").json()["results"]
    ]


def test_office_a_sees_only_its_own_office(officer_a: Any, office_a: Any, office_b: Any) -> None:
    offices = client_for(officer_a).get("/api/v1/offices").json()["results"]
    assert [o["id"] for o in offices] == [office_a.pk]
    assert client_for(officer_a).get(f"/api/v1/offices/{office_b.pk}").status_code == 404


@pytest.mark.parametrize("role_fixture", ["bureau_head", "bureau_staff", "auditor", "sysadmin"])
def test_bureau_wide_roles_see_every_office(
    request: Any, role_fixture: str, subject_a: Any, subject_b: Any
) -> None:
    user = request.getfixturevalue(role_fixture)
    ids = {row["id"] for row in client_for(user).get("/api/v1/subjects").json()["results"]}
    assert {subject_a.pk, subject_b.pk} <= ids


def test_a_django_superuser_without_role_sees_every_office(db: Any, subject_a: Any, subject_b: Any) -> None:
    from backend.accounts.models import User

    root = User.objects.create_superuser("root", "root@example.org", "correct-horse-battery", role="sysadmin")
    ids = {row["id"] for row in client_for(root).get("/api/v1/subjects").json()["results"]}
    assert {subject_a.pk, subject_b.pk} <= ids


def test_auditor_cannot_write(auditor: Any, subject_a: Any) -> None:
    response = client_for(auditor).patch(f"/api/v1/subjects/{subject_a.pk}", {"notes": "x"}, format="json")
    assert response.status_code == 403


def test_anonymous_gets_401_or_403(subject_a: Any) -> None:
    assert client_for(None).get("/api/v1/subjects").status_code in (401, 403)


def test_list_endpoint_query_count_does_not_grow_with_rows(
    officer_a: Any, office_a: Any, django_assert_max_num_queries: Any
) -> None:
    from tests.conftest import enroll_phone, make_subject

    for _ in range(15):
        subject = make_subject(office_a, officer_a)
        enroll_phone(subject, officer_a)
    client = client_for(officer_a)
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/subjects")
    assert response.status_code == 200 and response.json()["count"] == 15
