"""Quarterly contract catalogues (a unit's return) and the compliance notice for a missed quarter."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from backend.lawadmin import services
from backend.lawadmin.models import ComplianceNotice, ContractCatalogue
from tests.openapi_helpers import assert_matches_spec

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_a_reporter_files_submits_and_the_bureau_reviews(api, reporter_a, bureau_staff, town_a):
    client = api(reporter_a)
    created = client.post(
        "/api/v1/contract-catalogues", {"year": 2026, "quarter": 1, "contracts": 5, "reviewed": 5}
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["status"] == "draft" and created.json()["unit"] == town_a.pk
    assert client.post(f"/api/v1/contract-catalogues/{pk}/review", {"accepted": True}).status_code == 403
    assert client.post(f"/api/v1/contract-catalogues/{pk}/submit").json()["status"] == "submitted"
    assert (
        client.patch(f"/api/v1/contract-catalogues/{pk}", {"contracts": 6}).status_code == 400
    )  # not editable
    back = api(bureau_staff).post(
        f"/api/v1/contract-catalogues/{pk}/review", {"accepted": False, "note": "缺审查报告"}
    )
    assert back.json()["status"] == "returned"
    assert (
        client.patch(f"/api/v1/contract-catalogues/{pk}", {"contracts": 6, "reviewed": 6}).status_code == 200
    )
    assert client.post(f"/api/v1/contract-catalogues/{pk}/submit").json()["status"] == "submitted"
    assert (
        api(bureau_staff)
        .post(f"/api/v1/contract-catalogues/{pk}/review", {"accepted": True})
        .json()["status"]
        == "accepted"
    )


def test_a_return_sent_back_needs_a_note(api, reporter_a, bureau_staff, town_a):
    pk = (
        api(reporter_a)
        .post("/api/v1/contract-catalogues", {"year": 2026, "quarter": 1, "contracts": 1, "reviewed": 1})
        .json()["id"]
    )
    api(reporter_a).post(f"/api/v1/contract-catalogues/{pk}/submit")
    response = api(bureau_staff).post(f"/api/v1/contract-catalogues/{pk}/review", {"accepted": False})
    assert response.status_code == 400 and "note" in response.json()["errors"]


def test_one_catalogue_per_unit_and_quarter_and_no_more_reviewed_than_signed(api, reporter_a, town_a):
    body = {"year": 2026, "quarter": 2, "contracts": 3, "reviewed": 4}
    response = api(reporter_a).post("/api/v1/contract-catalogues", body)
    assert response.status_code == 400 and "reviewed" in response.json()["errors"]
    assert api(reporter_a).post("/api/v1/contract-catalogues", {**body, "reviewed": 3}).status_code == 201
    again = api(reporter_a).post("/api/v1/contract-catalogues", {**body, "reviewed": 3})
    assert again.status_code == 400 and "quarter" in again.json()["errors"]


def test_a_unit_that_misses_a_quarter_gets_one_notice_stored_and_sent(
    api, bureau_staff, reporter_a, town_a, department, town_b
):
    ContractCatalogue.objects.create(
        unit=department, year=2026, quarter=1, contracts=1, reviewed=1, status="accepted"
    )
    ContractCatalogue.objects.create(
        unit=town_b, year=2026, quarter=1, contracts=1, reviewed=1, status="draft"
    )
    missing = api(bureau_staff).get("/api/v1/contract-catalogues/missing?year=2026&quarter=1").json()
    assert {u["id"] for u in missing} == {town_a.pk, town_b.pk}  # a draft is not filed
    issued = api(bureau_staff).post("/api/v1/contract-catalogues/notices", {"year": 2026, "quarter": 1})
    assert issued.status_code == 201
    assert_matches_spec(issued, "/api/v1/contract-catalogues/notices", "post")  # a list, not a page
    assert {n["unit"] for n in issued.json()} == {town_a.pk, town_b.pk}
    again = api(bureau_staff).post("/api/v1/contract-catalogues/notices", {"year": 2026, "quarter": 1})
    assert again.json() == []  # once per unit and quarter
    notice = ComplianceNotice.objects.get(unit=town_a)
    assert notice.sent_to == "reporter_a" and notice.sent_at is not None
    mine = api(reporter_a).get("/api/v1/compliance-notices").json()["results"]
    assert [n["id"] for n in mine] == [notice.pk]
    document = api(reporter_a).get(f"/api/v1/compliance-notices/{notice.pk}/document")
    html = b"".join(document.streaming_content).decode()
    assert "依法行政工作提示单" in html and "甲镇" in html and "2026年第1季度" in html
    acknowledged = api(reporter_a).post(f"/api/v1/compliance-notices/{notice.pk}/acknowledge")
    assert acknowledged.json()["acknowledged_at"] is not None
    other = ComplianceNotice.objects.get(unit=town_b)
    assert api(reporter_a).get(f"/api/v1/compliance-notices/{other.pk}").status_code == 404


def test_no_notice_before_the_quarter_is_due(town_a):
    with pytest.raises(ValidationError):
        services.issue_compliance_notices(2026, 4, today=dt.date(2027, 1, 10))
    assert services.issue_compliance_notices(2026, 4, today=dt.date(2027, 1, 16))


def test_the_quarters_past_due_on_a_day():
    assert services.last_quarters_due(dt.date(2027, 1, 15), count=2) == [
        (2026, 3),
        (2026, 2),
    ]  # Q4 due until 1-15
    assert services.last_quarters_due(dt.date(2027, 1, 16), count=2) == [(2026, 4), (2026, 3)]
    assert services.last_quarters_due(dt.date(2026, 4, 1), count=1) == [(2025, 4)]


def test_the_daily_job_notices_the_latest_quarter_past_due_once(department, town_a, town_b):
    from backend.lawadmin.tasks import issue_due_compliance_notices

    for unit in (department, town_b):
        ContractCatalogue.objects.create(
            unit=unit, year=2026, quarter=3, contracts=1, reviewed=1, status="submitted"
        )
    services.issue_due_compliance_notices(today=dt.date(2026, 10, 15))  # Q2's, Q3 is due until 10-15
    assert not ComplianceNotice.objects.filter(year=2026, quarter=3).exists()
    missed = set(services.missing_catalogues(2026, 3).values_list("pk", flat=True))
    assert town_a.pk in missed and department.pk not in missed and town_b.pk not in missed
    assert services.issue_due_compliance_notices(today=dt.date(2026, 10, 16)) == len(missed)
    assert (
        services.issue_due_compliance_notices(today=dt.date(2026, 11, 30)) == 0
    )  # once per unit and quarter
    noticed = ComplianceNotice.objects.filter(year=2026, quarter=3)
    assert set(noticed.values_list("unit_id", flat=True)) == missed
    assert noticed.get(unit=town_a).document.name.endswith(".html")
    assert issue_due_compliance_notices.apply().get() >= 0  # the beat task runs
