"""The certificate review (无证明办事) and lawyers' visits to enterprises."""

from __future__ import annotations

import pytest

from backend.bureau.models import Unit

pytestmark = pytest.mark.django_db


def test_a_kept_certificate_needs_its_legal_basis(api, reporter_dept, department):
    client = api(reporter_dept)
    body = {
        "service_item": "户籍迁移",
        "certificate": "无犯罪记录证明",
        "decision": "kept",
        "progress": "decided",
    }
    refused = client.post("/api/v1/certificate-requirements", body)
    assert refused.status_code == 400 and "legal_basis" in refused.json()["errors"]
    created = client.post(
        "/api/v1/certificate-requirements", {**body, "legal_basis": "《户口登记条例》第十条"}
    )
    assert created.status_code == 201 and created.json()["unit"] == department.pk
    assert created.json()["decided_on"] is not None
    pending = client.post(
        "/api/v1/certificate-requirements", {"service_item": "低保", "certificate": "收入证明"}
    )
    assert pending.json()["decision"] == "pending"
    summary = client.get("/api/v1/certificate-requirements/summary").json()
    assert summary["total"] == 2 and summary["decided_share"] == 50.0
    assert summary["by_decision"]["kept"] == 1


def test_a_decided_certificate_is_no_longer_reviewing(api, bureau_staff, department):
    body = {
        "unit": department.pk,
        "service_item": "a",
        "certificate": "b",
        "decision": "cancelled",
        "progress": "reviewing",
    }
    response = api(bureau_staff).post("/api/v1/certificate-requirements", body)
    assert response.status_code == 400 and "progress" in response.json()["errors"]


def test_the_certificate_indicator_counts_decided_ones(department):
    from backend.business.indicators import certificate_review_progress
    from backend.business.models import CertificateRequirement

    CertificateRequirement.objects.create(unit=department, service_item="a", certificate="b")
    CertificateRequirement.objects.create(
        unit=department,
        service_item="a",
        certificate="c",
        decision="commitment",
        progress="decided",
        decided_on="2026-03-05",
    )
    progress = certificate_review_progress(2026)
    assert progress.value == 50 and progress.by_month[2] == 0 and progress.by_month[3] == 50


def test_a_firm_reports_its_visits_and_the_outcomes_are_counted(api, firm_reporter, firm, other_firm):
    enterprise = Unit.objects.create(code="ent-1", name="海洋食品公司", kind=Unit.Kind.ENTERPRISE)
    client = api(firm_reporter)
    body = {
        "enterprise": enterprise.pk,
        "firm": firm.pk,
        "visited_on": "2026-05-01",
        "service": "labour",
        "issues": "欠薪",
        "outcome": "resolved",
    }
    assert client.post("/api/v1/enterprise-visits", body).status_code == 201
    assert client.post("/api/v1/enterprise-visits", {**body, "outcome": "follow_up"}).status_code == 201
    assert client.post("/api/v1/enterprise-visits", {**body, "firm": other_firm.pk}).status_code == 400
    assert client.post("/api/v1/enterprise-visits", {**body, "visited_on": "2099-01-01"}).status_code == 400
    counts = {r["outcome"]: r["visits"] for r in client.get("/api/v1/enterprise-visits/outcomes").json()}
    assert counts == {"resolved": 1, "follow_up": 1, "referred": 0}
