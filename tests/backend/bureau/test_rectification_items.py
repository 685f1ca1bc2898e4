"""Rectification items: opened by the bureau, evidence from the unit, verified, overdue listed."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from backend.bureau import services
from backend.bureau.models import RectificationItem
from tests.openapi_helpers import load_spec

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _open(unit, days=10, finding="台账不全"):
    return services.open_rectification(
        unit=unit, finding=finding, deadline=timezone.localdate() + dt.timedelta(days=days)
    )


def test_the_bureau_opens_an_item_and_the_unit_closes_it_with_evidence(api, bureau_staff, reporter_a, town_a):
    created = api(bureau_staff).post(
        "/api/v1/rectification-items",
        {"unit": town_a.pk, "finding": "规范性文件未备案", "deadline": "2027-01-31"},
    )
    assert created.status_code == 201, created.content
    item_id = created.json()["id"]
    document = SimpleUploadedFile("整改报告.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
    submitted = api(reporter_a).post(
        f"/api/v1/rectification-items/{item_id}/submit",
        {"note": "已补充备案", "evidence": document},
        format="multipart",
    )
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["status"] == "submitted"
    assert submitted.json()["evidence"].endswith(".pdf")
    download = api(reporter_a).get(f"/api/v1/rectification-items/{item_id}/evidence")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 evidence"
    # A download whatever its name says, as the spec documents it.
    assert download["Content-Type"] == "application/octet-stream"
    documented = load_spec()["paths"]["/api/v1/rectification-items/{id}/evidence"]["get"]["responses"]["200"]
    assert download["Content-Type"] in documented["content"]
    assert (
        api(reporter_a).post(f"/api/v1/rectification-items/{item_id}/verify", {"accepted": True}).status_code
        == 403
    )
    verified = api(bureau_staff).post(f"/api/v1/rectification-items/{item_id}/verify", {"accepted": True})
    assert verified.json()["status"] == "closed"
    assert RectificationItem.objects.get(pk=item_id).closed_by == bureau_staff


def test_evidence_sent_back_opens_the_item_again(api, bureau_staff, reporter_a, town_a):
    item = _open(town_a)
    api(reporter_a).post(f"/api/v1/rectification-items/{item.pk}/submit", {"note": "已整改"})
    back = api(bureau_staff).post(
        f"/api/v1/rectification-items/{item.pk}/verify", {"accepted": False, "note": "缺少会议记录"}
    )
    assert back.json()["status"] == "open"
    assert back.json()["review_note"] == "缺少会议记录"


def test_a_submission_says_what_was_done(api, reporter_a, town_a):
    item = _open(town_a)
    response = api(reporter_a).post(f"/api/v1/rectification-items/{item.pk}/submit", {"note": " "})
    assert response.status_code == 400
    assert "evidence_note" in response.json()["errors"]


def test_another_units_item_is_not_found(api, reporter_a, reporter_dept, department, officer_b, town_a):
    item = _open(department)
    assert api(reporter_a).get(f"/api/v1/rectification-items/{item.pk}").status_code == 404
    assert (
        api(reporter_a).post(f"/api/v1/rectification-items/{item.pk}/submit", {"note": "x"}).status_code
        == 404
    )
    assert api(reporter_dept).get(f"/api/v1/rectification-items/{item.pk}").status_code == 200
    town_item = _open(town_a)
    assert api(officer_b).get(f"/api/v1/rectification-items/{town_item.pk}").status_code == 404


def test_the_office_of_a_town_sees_and_answers_its_items(api, officer_a, town_a):
    item = _open(town_a)
    assert api(officer_a).get(f"/api/v1/rectification-items/{item.pk}").status_code == 200
    response = api(officer_a).post(f"/api/v1/rectification-items/{item.pk}/submit", {"note": "已整改"})
    assert response.status_code == 200


def test_overdue_items_are_listed_oldest_first(api, bureau_staff, town_a, department):
    late = _open(town_a, days=-5, finding="late")
    later = _open(department, days=-30, finding="later")
    _open(town_a, days=5, finding="in time")
    done = _open(department, days=-3, finding="done")
    services.submit_rectification(done, note="已整改")
    rows = api(bureau_staff).get("/api/v1/rectification-items/overdue").json()["results"]
    assert [row["id"] for row in rows] == [later.pk, late.pk]
    assert all(row["overdue"] for row in rows)


def test_reporters_cannot_open_items(api, reporter_a, town_a):
    body = {"unit": town_a.pk, "finding": "x", "deadline": "2027-01-31"}
    assert api(reporter_a).post("/api/v1/rectification-items", body).status_code == 403


def test_the_ledger_is_an_xlsx_of_the_listed_items(api, bureau_staff, town_a, department):
    _open(town_a, finding="甲镇问题")
    _open(department, finding="部门问题")
    response = api(bureau_staff).get(f"/api/v1/rectification-items/ledger?unit={town_a.pk}")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[2][:2] == ("甲镇", "甲镇问题")
    assert len(rows) == 3
