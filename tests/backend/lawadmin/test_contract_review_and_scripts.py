"""Contract special review: a risky contract opens its rectification item; risk conferences; mock-trial scripts."""

from __future__ import annotations

import pytest

from backend.bureau.models import RectificationItem
from backend.lawadmin.models import RiskConference

pytestmark = pytest.mark.django_db

RISKY = {
    "title": "招商引资合作协议",
    "counterparty": "某投资公司",
    "amount": "1200",
    "risk": "未经合法性审查即签订",
    "plan": "补充审查并签订补充协议",
    "deadline": "2026-12-31",
}


def test_a_risky_contract_becomes_the_units_rectification_item(api, reporter_dept, bureau_staff, department):
    client = api(reporter_dept)
    check = client.post("/api/v1/contract-self-checks", {"year": 2026, "contracts_checked": 35})
    assert check.status_code == 201, check.content
    pk = check.json()["id"]
    flagged = client.post(f"/api/v1/contract-self-checks/{pk}/risky", RISKY)
    assert flagged.status_code == 201, flagged.content
    item = RectificationItem.objects.get()
    assert (
        item.unit == department and item.requirement == RISKY["plan"] and item.source.title == RISKY["title"]
    )
    assert [r["title"] for r in client.get(f"/api/v1/contract-self-checks/{pk}/risky").json()] == [
        RISKY["title"]
    ]
    client.post(f"/api/v1/contract-self-checks/{pk}/submit")
    late = client.post(f"/api/v1/contract-self-checks/{pk}/risky", {**RISKY, "title": "另一份合同"})
    assert late.status_code == 400 and "status" in late.json()["errors"]  # submitted: no longer editable
    assert (
        api(bureau_staff)
        .post(f"/api/v1/contract-self-checks/{pk}/review", {"accepted": True})
        .json()["status"]
        == "accepted"
    )


def test_a_departments_reporter_sees_the_conferences_it_took_part_in(
    api, bureau_staff, reporter_dept, department, other_department
):
    body = {
        "held_on": "2026-04-01",
        "topic": "征收补偿协议履行",
        "units": [department.pk],
        "opinion": "依法协商解决",
    }
    mine = api(bureau_staff).post("/api/v1/risk-conferences", body)
    assert mine.status_code == 201, mine.content
    api(bureau_staff).post("/api/v1/risk-conferences", {**body, "units": [other_department.pk]})
    assert [c["id"] for c in api(reporter_dept).get("/api/v1/risk-conferences").json()["results"]] == [
        mine.json()["id"]
    ]
    assert RiskConference.objects.count() == 2
    assert api(reporter_dept).post("/api/v1/risk-conferences", body).status_code == 403


def test_departments_submit_scripts_and_only_the_bureau_scores_them(
    api, reporter_dept, bureau_staff, department
):
    body = {"year": 2026, "title": "某行政处罚案庭审剧本", "submitted_on": "2026-05-10"}
    created = api(reporter_dept).post("/api/v1/mock-trial-scripts", body)
    assert created.status_code == 201 and created.json()["unit"] == department.pk
    pk = created.json()["id"]
    refused = api(reporter_dept).patch(f"/api/v1/mock-trial-scripts/{pk}", {"score": "99"})
    assert refused.status_code == 400 and "score" in refused.json()["errors"]
    scored = api(bureau_staff).patch(f"/api/v1/mock-trial-scripts/{pk}", {"score": "92.5", "award": "first"})
    assert scored.json()["award"] == "first"
