"""Rule-of-law inspections: a weighted rubric, the total, findings become rectification items."""

from __future__ import annotations

import pytest

from backend.bureau.models import RectificationItem

pytestmark = pytest.mark.django_db

RUBRIC = {
    "year": 2026,
    "half": 1,
    "title": "上半年法治督察",
    "items": [
        {"title": "学习贯彻", "weight": "30", "max_score": "100"},
        {"title": "案卷质量", "weight": "50", "max_score": "10"},
        {"title": "台账记录", "weight": "20", "max_score": "100"},
    ],
}


def test_the_weighted_total_and_a_finding_to_rectify(api, bureau_staff, reporter_a, town_a):
    client = api(bureau_staff)
    rubric = client.post("/api/v1/inspection-rubrics", RUBRIC, format="json")
    assert rubric.status_code == 201, rubric.content
    items = [item["id"] for item in rubric.json()["items"]]
    inspection = client.post(
        "/api/v1/rule-of-law-inspections",
        {"rubric": rubric.json()["id"], "unit": town_a.pk, "inspected_on": "2026-06-10"},
    ).json()
    scores = [
        {"item": items[0], "score": "80"},
        {"item": items[1], "score": "9"},
        {"item": items[2], "score": "50"},
    ]
    scored = client.post(
        f"/api/v1/rule-of-law-inspections/{inspection['id']}/score", {"scores": scores}, format="json"
    )
    assert scored.status_code == 200, scored.content
    assert scored.json()["total"] == "79.00"  # 30×0.8 + 50×0.9 + 20×0.5
    finding = client.post(
        f"/api/v1/rule-of-law-inspections/{inspection['id']}/findings",
        {"finding": "规范性文件未备案", "deadline": "2026-07-10"},
    )
    assert finding.status_code == 201
    assert finding.json()["source_kind"] == "lawadmin.ruleoflawinspection"
    assert finding.json()["source_id"] == inspection["id"]
    item = RectificationItem.objects.get(pk=finding.json()["id"])
    assert item.unit == town_a
    assert api(reporter_a).get(f"/api/v1/rule-of-law-inspections/{inspection['id']}").status_code == 200


def test_weights_must_add_up_to_100(api, bureau_staff):
    body = {**RUBRIC, "items": [{"title": "a", "weight": "60"}, {"title": "b", "weight": "30"}]}
    response = api(bureau_staff).post("/api/v1/inspection-rubrics", body, format="json")
    assert response.status_code == 400 and "items" in response.json()["errors"]


def test_every_criterion_is_scored_within_its_full_score(api, bureau_staff, town_a):
    client = api(bureau_staff)
    rubric = client.post("/api/v1/inspection-rubrics", RUBRIC, format="json").json()
    items = [item["id"] for item in rubric["items"]]
    inspection = client.post(
        "/api/v1/rule-of-law-inspections",
        {"rubric": rubric["id"], "unit": town_a.pk, "inspected_on": "2026-06-10"},
    ).json()
    url = f"/api/v1/rule-of-law-inspections/{inspection['id']}/score"
    partial = client.post(url, {"scores": [{"item": items[0], "score": "80"}]}, format="json")
    assert partial.status_code == 400 and "scores" in partial.json()["errors"]
    over = [
        {"item": items[0], "score": "80"},
        {"item": items[1], "score": "11"},
        {"item": items[2], "score": "5"},
    ]
    assert client.post(url, {"scores": over}, format="json").status_code == 400


def test_reporters_cannot_inspect(api, reporter_a, town_a):
    assert api(reporter_a).post("/api/v1/inspection-rubrics", RUBRIC, format="json").status_code == 403
