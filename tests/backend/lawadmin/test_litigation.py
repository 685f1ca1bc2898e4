"""Litigation: units report their cases; win and loss rates per unit; late reporters listed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from backend.lawadmin.models import LitigationCase

pytestmark = pytest.mark.django_db


def case(unit, number, served, reported, outcome="pending", decided=None):
    return LitigationCase.objects.create(
        unit=unit,
        case_number=number,
        court="荣成市人民法院",
        cause="行政处罚",
        plaintiff="原告",
        served_on=served,
        reported_on=reported,
        outcome=outcome,
        decided_on=decided,
    )


def test_a_town_reports_its_case_dated_today(api, reporter_a, town_a):
    today = timezone.localdate()
    body = {
        "case_number": "(2026)鲁1082行初1号",
        "court": "荣成市人民法院",
        "cause": "行政强制",
        "plaintiff": "张某",
        "served_on": (today - dt.timedelta(days=7)).isoformat(),
    }
    response = api(reporter_a).post("/api/v1/litigation-cases", body)
    assert response.status_code == 201, response.content
    assert response.json()["unit"] == town_a.pk
    assert response.json()["reported_on"] == today.isoformat()
    assert response.json()["reported_late"] is True  # 7 days after being served
    backdated = api(reporter_a).post(
        "/api/v1/litigation-cases", {**body, "case_number": "x2", "reported_on": "2026-01-01"}
    )
    assert backdated.status_code == 400 and "reported_on" in backdated.json()["errors"]


def test_win_and_loss_rates_count_decided_cases_only(api, bureau_staff, town_a, department):
    day = dt.date(2026, 3, 1)
    case(town_a, "a1", day, day, "won", dt.date(2026, 5, 1))
    case(town_a, "a2", day, day, "won", dt.date(2026, 5, 1))
    case(town_a, "a3", day, day, "lost", dt.date(2026, 5, 1))
    case(town_a, "a4", day, day, "withdrawn")
    case(department, "d1", day, day + dt.timedelta(days=9))
    rows = {
        r["unit"]: r for r in api(bureau_staff).get("/api/v1/litigation-cases/statistics?year=2026").json()
    }
    assert rows[town_a.pk] | {} == {
        "unit": town_a.pk,
        "unit_name": "甲镇",
        "cases": 4,
        "decided": 3,
        "won": 2,
        "lost": 1,
        "late": 0,
        "win_rate": 0.6667,
        "loss_rate": 0.3333,
    }
    assert rows[department.pk]["win_rate"] is None and rows[department.pk]["late"] == 1


def test_late_reporters_are_listed_most_late_first(api, bureau_staff, town_a, department):
    day = dt.date(2026, 3, 1)
    case(town_a, "a1", day, day + dt.timedelta(days=6))
    case(department, "d1", day, day + dt.timedelta(days=20))
    case(department, "d2", day, day + dt.timedelta(days=7))
    case(department, "d3", day, day + dt.timedelta(days=5))  # on the last day: on time
    rows = api(bureau_staff).get("/api/v1/litigation-cases/late-reporters?year=2026").json()
    assert [(r["unit"], r["late_cases"], r["most_days_late"]) for r in rows] == [
        (department.pk, 2, 15),
        (town_a.pk, 1, 1),
    ]


def test_a_decided_case_needs_its_date_and_a_key_case_its_reason(api, bureau_staff, town_a):
    body = {
        "unit": town_a.pk,
        "case_number": "k1",
        "court": "c",
        "cause": "c",
        "plaintiff": "p",
        "served_on": "2026-03-01",
        "outcome": "won",
    }
    response = api(bureau_staff).post("/api/v1/litigation-cases", body)
    assert response.status_code == 400 and "decided_on" in response.json()["errors"]
    response = api(bureau_staff).post(
        "/api/v1/litigation-cases", {**body, "outcome": "pending", "is_key": True}
    )
    assert response.status_code == 400 and "key_reason" in response.json()["errors"]


def test_another_units_case_is_not_found(api, reporter_a, department):
    other = case(department, "d1", dt.date(2026, 3, 1), dt.date(2026, 3, 2))
    assert api(reporter_a).get(f"/api/v1/litigation-cases/{other.pk}").status_code == 404
    assert (
        api(reporter_a).patch(f"/api/v1/litigation-cases/{other.pk}", {"stage": "second"}).status_code == 404
    )
