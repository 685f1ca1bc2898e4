"""Enterprise inspection plans merge into joint inspections; first-offence returns per department and month."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.bureau.models import Unit
from backend.lawadmin import services
from backend.lawadmin.models import InspectionPlan
from tests.openapi_helpers import assert_matches_spec

pytestmark = pytest.mark.django_db


@pytest.fixture
def enterprise(db):
    return Unit.objects.create(code="ent-1", name="海洋食品公司", kind=Unit.Kind.ENTERPRISE)


def plan(unit, enterprise, day, status="submitted"):
    return InspectionPlan.objects.create(
        unit=unit, enterprise=enterprise, planned_on=day, matters="检查", status=status
    )


def test_plans_for_one_enterprise_within_the_window_become_one_visit(
    api, bureau_staff, department, other_department, town_a, enterprise
):
    a = plan(department, enterprise, dt.date(2026, 5, 4))
    b = plan(other_department, enterprise, dt.date(2026, 5, 12))
    c = plan(town_a, enterprise, dt.date(2026, 5, 30))  # outside the 14 days of the first
    d = plan(town_a, enterprise, dt.date(2026, 6, 10))  # with c, but one department alone is no joint visit
    draft = plan(other_department, enterprise, dt.date(2026, 5, 5), status="draft")
    response = api(bureau_staff).post(
        "/api/v1/inspection-plans/merge", {"start": "2026-05-01", "end": "2026-06-30", "window_days": 14}
    )
    assert response.status_code == 201, response.content
    assert_matches_spec(response, "/api/v1/inspection-plans/merge", "post")  # a list, not a page
    joints = response.json()
    assert len(joints) == 1
    assert sorted(joints[0]["plans"]) == [a.pk, b.pk] and joints[0]["scheduled_on"] == "2026-05-04"
    assert joints[0]["departments"] == sorted([department.name, other_department.name])
    assert InspectionPlan.objects.get(pk=draft.pk).joint is None
    saved = api(bureau_staff).get("/api/v1/inspection-plans/visits-saved?year=2026").json()
    assert saved == {"plans": 5, "joint_inspections": 1, "plans_merged": 2, "visits": 4, "visits_saved": 1}
    again = api(bureau_staff).post(
        "/api/v1/inspection-plans/merge", {"start": "2026-05-01", "end": "2026-06-30"}
    )
    assert again.json() == []  # merged plans stay merged
    assert {c.pk, d.pk} == set(
        InspectionPlan.objects.filter(joint__isnull=True, unit=town_a).values_list("pk", flat=True)
    )


def test_three_departments_in_the_window_save_two_visits(department, other_department, town_a, enterprise):
    for unit, day in [(department, 1), (other_department, 3), (town_a, 10)]:
        plan(unit, enterprise, dt.date(2026, 3, day))
    joints = services.merge_joint_inspections(dt.date(2026, 3, 1), dt.date(2026, 3, 31), window_days=14)
    assert len(joints) == 1
    assert services.visits_saved(InspectionPlan.objects.all()).visits_saved == 2


def test_a_window_out_of_range_is_a_field_error(api, bureau_staff):
    body = {"start": "2026-05-01", "end": "2026-04-01"}
    response = api(bureau_staff).post("/api/v1/inspection-plans/merge", body)
    assert response.status_code == 400 and "end" in response.json()["errors"]
    response = api(bureau_staff).post(
        "/api/v1/inspection-plans/merge", {**body, "end": "2026-06-01", "window_days": 0}
    )
    assert response.status_code == 400 and "window_days" in response.json()["errors"]


def test_a_department_files_its_monthly_first_offence_counts(api, reporter_dept, bureau_staff, department):
    client = api(reporter_dept)
    created = client.post(
        "/api/v1/first-offence-returns", {"year": 2026, "month": 3, "no_penalty": 4, "light_penalty": 2}
    )
    assert created.status_code == 201, created.content
    again = client.post(
        "/api/v1/first-offence-returns", {"year": 2026, "month": 3, "no_penalty": 1, "light_penalty": 0}
    )
    assert again.status_code == 400 and "month" in again.json()["errors"]
    client.post(f"/api/v1/first-offence-returns/{created.json()['id']}/submit")
    rows = api(bureau_staff).get("/api/v1/first-offence-returns/by-month?year=2026").json()
    assert rows == [
        {"unit": department.pk, "unit_name": department.name, "month": 3, "no_penalty": 4, "light_penalty": 2}
    ]
