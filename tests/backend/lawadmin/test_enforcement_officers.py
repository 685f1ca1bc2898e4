"""Enforcement officers: study hours and who is behind, the reproducible stratified draw, the ranking."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from backend.bureau.models import Unit
from backend.lawadmin import services
from backend.lawadmin.models import AbilityTest, EnforcementOfficer, StudyRecord

pytestmark = pytest.mark.django_db


def make_officers(unit: Unit, field: str, count: int, start: int = 0) -> list[EnforcementOfficer]:
    return EnforcementOfficer.objects.bulk_create(
        EnforcementOfficer(
            unit=unit, name=f"执法{start + n}", certificate_no=f"C{field}{start + n}", field=field
        )
        for n in range(count)
    )


def test_officers_under_60_hours_are_behind_fewest_first(api, bureau_staff, department):
    keen, lazy, idle = make_officers(department, "market", 3)
    StudyRecord.objects.create(officer=keen, date=dt.date(2026, 3, 1), hours=Decimal(12), topic="x")
    for month in range(1, 6):
        StudyRecord.objects.create(officer=keen, date=dt.date(2026, month, 2), hours=Decimal(12), topic="x")
    StudyRecord.objects.create(officer=lazy, date=dt.date(2026, 3, 1), hours=Decimal(8), topic="x")
    StudyRecord.objects.create(officer=lazy, date=dt.date(2025, 3, 1), hours=Decimal(12), topic="last year")
    rows = api(bureau_staff).get("/api/v1/enforcement-officers/behind?year=2026").json()["results"]
    assert [(r["officer"], r["hours"], r["missing"]) for r in rows] == [(idle.pk, 0, 60), (lazy.pk, 8, 52)]


def test_the_draw_is_stratified_and_reproducible_from_its_seed(bureau_staff, department, other_department):
    make_officers(department, "market", 95)
    make_officers(other_department, "safety", 31, start=100)
    make_officers(other_department, "fishery", 4, start=200)
    first = AbilityTest.objects.create(year=2026, title="t1", held_on=dt.date(2026, 9, 1))
    services.draw_sample(first)
    drawn = list(first.entries.values_list("officer_id", "field"))
    by_field = {f: sum(1 for _, g in drawn if g == f) for f in ("market", "safety", "fishery")}
    assert by_field == {"market": 10, "safety": 4, "fishery": 1}  # ceil(10 %) of each field
    assert len(drawn) >= 0.1 * 130
    again = AbilityTest.objects.create(year=2026, title="t2", held_on=dt.date(2026, 9, 1))
    services.draw_sample(again, seed=first.seed)
    assert sorted(again.entries.values_list("officer_id", flat=True)) == sorted(o for o, _ in drawn)


def test_the_published_ranking_shares_ranks_on_ties(api, bureau_staff, reporter_dept, department):
    make_officers(department, "market", 30)
    test = AbilityTest.objects.create(
        year=2026, title="测试", held_on=dt.date(2026, 9, 1), sample_ratio=Decimal("0.1")
    )
    client = api(bureau_staff)
    assert client.post(f"/api/v1/ability-tests/{test.pk}/draw", {"seed": 7}).status_code == 200
    entries = list(test.entries.order_by("pk"))
    assert api(reporter_dept).get(f"/api/v1/ability-tests/{test.pk}/entries").status_code == 404  # not yet
    early = client.post(f"/api/v1/ability-tests/{test.pk}/publish")
    assert early.status_code == 400  # scores missing
    scores = [{"entry": e.pk, "score": s} for e, s in zip(entries, ["90", "90", "70"], strict=True)]
    assert client.post(f"/api/v1/ability-tests/{test.pk}/scores", {"scores": scores}).status_code == 200
    assert client.post(f"/api/v1/ability-tests/{test.pk}/publish").json()["status"] == "published"
    ranking = api(reporter_dept).get(f"/api/v1/ability-tests/{test.pk}/entries").json()["results"]
    assert [r["rank"] for r in ranking] == [1, 1, 3]


def test_a_score_for_another_tests_entry_is_refused(api, bureau_staff, department):
    make_officers(department, "market", 10)
    test = AbilityTest.objects.create(year=2026, title="测试", held_on=dt.date(2026, 9, 1))
    api(bureau_staff).post(f"/api/v1/ability-tests/{test.pk}/draw", {})
    response = api(bureau_staff).post(
        f"/api/v1/ability-tests/{test.pk}/scores", {"scores": [{"entry": 99999, "score": "50"}]}
    )
    assert response.status_code == 400
    assert "scores" in response.json()["errors"]


def test_a_departments_reporter_keeps_only_its_own_officers(api, reporter_dept, department, other_department):
    (mine,) = make_officers(department, "market", 1)
    (theirs,) = make_officers(other_department, "safety", 1, start=10)
    client = api(reporter_dept)
    assert {r["id"] for r in client.get("/api/v1/enforcement-officers").json()["results"]} == {mine.pk}
    assert client.get(f"/api/v1/enforcement-officers/{theirs.pk}").status_code == 404
    record = {"officer": theirs.pk, "date": "2026-03-01", "hours": "4", "topic": "x"}
    assert client.post("/api/v1/study-records", record).status_code == 400
    assert client.post("/api/v1/study-records", {**record, "officer": mine.pk}).status_code == 201
    created = client.post(
        "/api/v1/enforcement-officers", {"name": "新人", "certificate_no": "N1", "field": "market"}
    )
    assert created.status_code == 201 and created.json()["unit"] == department.pk
    refused = client.post(
        "/api/v1/enforcement-officers",
        {"unit": other_department.pk, "name": "x", "certificate_no": "N2", "field": "market"},
    )
    assert refused.status_code == 400 and "unit" in refused.json()["errors"]


def test_office_roles_get_404_on_the_bureaus_modules(api, officer_a, department):
    (officer,) = make_officers(department, "market", 1)
    assert api(officer_a).get("/api/v1/enforcement-officers").status_code == 404
    assert api(officer_a).get(f"/api/v1/enforcement-officers/{officer.pk}").status_code == 404
    assert api(officer_a).get("/api/v1/litigation-cases").status_code == 404


def test_reading_officers_is_audited(api, bureau_staff, department):
    from backend.audit.models import AccessLog

    (officer,) = make_officers(department, "market", 1)
    api(bureau_staff).get(f"/api/v1/enforcement-officers/{officer.pk}")
    row = AccessLog.objects.filter(resource="enforcement_officer").latest("pk")
    assert row.object_id == str(officer.pk) and row.actor == bureau_staff


def test_the_study_hours_indicator_reads_the_average(department):
    from backend.lawadmin.indicators import study_hours_progress

    a, b = make_officers(department, "market", 2)
    StudyRecord.objects.create(officer=a, date=dt.date(2026, 1, 5), hours=Decimal(10), topic="x")
    StudyRecord.objects.create(officer=b, date=dt.date(2026, 2, 5), hours=Decimal(6), topic="x")
    progress = study_hours_progress(2026)
    assert progress.value == 8
    assert progress.by_unit == {department.pk: 8}
    assert progress.by_month[1] == 5 and progress.by_month[2] == 8


def test_every_enforcing_department_has_its_field_and_the_spec_lists_it(api, bureau_staff, department):
    """Education, taxation and public security enforce law in the county as the other departments
    do (the demo's departments say so): an officer of theirs is in the spec's enum."""
    from backend.bureau.demo import DEPARTMENTS
    from backend.lawadmin.models import EnforcementField
    from tests.openapi_helpers import assert_matches_spec

    assert {field for _code, _name, field in DEPARTMENTS} <= set(EnforcementField.values)
    (officer,) = make_officers(department, "public_security", 1)
    for path in ("/api/v1/enforcement-officers", f"/api/v1/enforcement-officers/{officer.pk}"):
        answer = api(bureau_staff).get(path)
        assert answer.status_code == 200
        assert_matches_spec(answer, path, "get")
