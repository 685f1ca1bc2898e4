"""Who sees which unit: the bureau all, a reporter their own, an office its town and villages."""

from __future__ import annotations

from typing import Any

import pytest

from backend.bureau.models import Unit
from backend.bureau.scoping import scope_to_units, visible_unit_ids
from backend.bureau.services import link_reporter
from tests.backend.bureau.conftest import make_reporter
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db


def _ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def test_the_bureau_sees_every_unit(api, bureau_staff, town_a, town_b, department, village_a):
    assert _ids(api(bureau_staff).get("/api/v1/units")) == {town_a.pk, town_b.pk, department.pk, village_a.pk}


def test_a_reporter_sees_their_own_unit_only(api, reporter_a, town_a, town_b, department):
    client = api(reporter_a)
    assert _ids(client.get("/api/v1/units")) == {town_a.pk}
    assert client.get(f"/api/v1/units/{town_b.pk}").status_code == 404
    assert client.get(f"/api/v1/units/{department.pk}").status_code == 404


def test_a_reporter_without_a_unit_sees_nothing(api, town_a):
    lone = make_reporter("lone", None)
    assert _ids(api(lone).get("/api/v1/units")) == set()


def test_an_office_sees_its_town_and_the_towns_villages(
    api, officer_a, town_a, village_a, town_b, department
):
    assert _ids(api(officer_a).get("/api/v1/units")) == {town_a.pk, village_a.pk}
    assert api(officer_a).get(f"/api/v1/units/{department.pk}").status_code == 404


def test_bureau_only_scope_gives_office_roles_nothing(officer_a, town_a):
    assert visible_unit_ids(officer_a, offices=False) == set()
    assert not scope_to_units(Unit.objects.all(), officer_a, "pk", offices=False).exists()


def test_only_the_bureau_creates_units(api, bureau_staff, reporter_a, officer_a, auditor):
    body = {"code": "dept-new", "name": "新部门", "kind": "department"}
    assert api(reporter_a).post("/api/v1/units", body).status_code == 403
    assert api(officer_a).post("/api/v1/units", body).status_code == 403
    assert api(auditor).post("/api/v1/units", body).status_code == 403
    assert api(bureau_staff).post("/api/v1/units", body).status_code == 201


def test_a_town_needs_its_office(api, bureau_staff):
    response = api(bureau_staff).post("/api/v1/units", {"code": "town-x", "name": "某镇", "kind": "town"})
    assert response.status_code == 400
    assert "office" in response.json()["errors"]


def test_only_reporters_are_linked_to_units(town_a):
    from django.core.exceptions import ValidationError

    officer = make_staff("not_a_reporter", "bureau_staff")
    with pytest.raises(ValidationError):
        link_reporter(officer, town_a)
