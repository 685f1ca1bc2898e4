"""Indicators: the registry computes each module's progress; the API reads them all."""

from __future__ import annotations

import pytest

from backend.bureau.indicators import IndicatorSpec, Progress, _registry, cumulative, register_indicator

pytestmark = pytest.mark.django_db


@pytest.fixture
def events_indicator(town_a, department):
    def compute(year: int) -> Progress:
        return Progress(
            value=3, by_unit={town_a.pk: 2, department.pk: 1}, by_month=cumulative({1: 1, 3: 2}, through=3)
        )

    register_indicator(
        IndicatorSpec(
            code="test-events", module="test", name="测试活动", target=5, measure="场", compute=compute
        )
    )
    yield
    _registry.pop("test-events")


def test_the_list_shows_progress_against_the_target(api, bureau_staff, events_indicator):
    rows = api(bureau_staff).get("/api/v1/indicators?year=2026").json()
    row = next(r for r in rows if r["code"] == "test-events")
    assert row["value"] == 3
    assert row["ratio"] == 0.6
    assert row["met"] is False
    assert row["by_month"] == [{"month": 1, "value": 1}, {"month": 2, "value": 1}, {"month": 3, "value": 3}]


def test_a_reporter_sees_their_own_unit_in_the_breakdown(
    api, bureau_staff, reporter_a, town_a, events_indicator
):
    rows = api(reporter_a).get("/api/v1/indicators?year=2026").json()
    pk = next(r["id"] for r in rows if r["code"] == "test-events")
    assert [u["unit"] for u in api(reporter_a).get(f"/api/v1/indicators/{pk}").json()["by_unit"]] == [
        town_a.pk
    ]
    assert len(api(bureau_staff).get(f"/api/v1/indicators/{pk}").json()["by_unit"]) == 2


@pytest.mark.parametrize("year", ["1999", "2101", "abc", "99999999999999999999"])
def test_a_year_out_of_range_is_a_field_error(api, bureau_staff, year):
    response = api(bureau_staff).get(f"/api/v1/indicators?year={year}")
    assert response.status_code == 400
    assert "year" in response.json()["errors"]
