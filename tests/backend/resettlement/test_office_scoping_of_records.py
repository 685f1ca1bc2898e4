"""Office A's officer gets 404 for office B's education and resettlement records, through every
method of every route with an id; the bureau sees them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.backend.resettlement.scoping_ids import education_and_resettlement_ids
from tests.backend.test_office_scoping import staff_detail_routes
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_another_offices_records_are_404_everywhere(officer_a: Any, subject_b: Any) -> None:
    ids = education_and_resettlement_ids(subject_b)
    client = client_for(officer_a)
    checked = 0
    for route in staff_detail_routes():
        resource = route.split("/")[2]
        if resource not in ids:
            continue
        url = "/" + route.replace("<pk>", str(ids[resource]))
        for method in ("get", "post", "patch", "put", "delete"):
            response = getattr(client, method)(url, {}, format="json")
            if response.status_code == 405:
                continue
            assert response.status_code == 404, (method, url, response.status_code, response.content)
            checked += 1
    assert checked >= 15
    assert {route.split("/")[2] for route in staff_detail_routes()} >= set(ids)


def test_the_bureau_reads_them(bureau_staff: Any, subject_b: Any) -> None:
    ids = education_and_resettlement_ids(subject_b)
    client = client_for(bureau_staff)
    for resource, pk in ids.items():
        assert client.get(f"/api/v1/{resource}/{pk}").status_code == 200, resource
