"""Law firms and lawyers: a firm's reporter keeps its own lawyers; reads are audited; office roles 404."""

from __future__ import annotations

import pytest

from backend.audit.models import AccessLog
from backend.business.models import Lawyer

pytestmark = pytest.mark.django_db


def test_a_firms_reporter_sees_and_keeps_only_its_lawyers(api, firm_reporter, firm, other_firm, lawyer):
    theirs = Lawyer.objects.create(firm=other_firm, name="王律师", license_no="X2")
    client = api(firm_reporter)
    assert [r["id"] for r in client.get("/api/v1/lawyers").json()["results"]] == [lawyer.pk]
    assert client.get(f"/api/v1/lawyers/{theirs.pk}").status_code == 404
    created = client.post("/api/v1/lawyers", {"firm": firm.pk, "name": "新律师", "license_no": "N1"})
    assert created.status_code == 201
    refused = client.post("/api/v1/lawyers", {"firm": other_firm.pk, "name": "x", "license_no": "N2"})
    assert refused.status_code == 400 and "firm" in refused.json()["errors"]
    assert client.post("/api/v1/lawyer-sanctions", {}).status_code == 403


def test_reading_a_lawyer_is_audited(api, bureau_staff, lawyer):
    api(bureau_staff).get(f"/api/v1/lawyers/{lawyer.pk}")
    row = AccessLog.objects.filter(resource="lawyer").latest("pk")
    assert row.object_id == str(lawyer.pk) and row.actor == bureau_staff


def test_office_roles_get_404(api, officer_a, firm, lawyer):
    assert api(officer_a).get("/api/v1/lawyers").status_code == 404
    assert api(officer_a).get(f"/api/v1/law-firms/{firm.pk}").status_code == 404


def test_the_lawyers_ledger_is_xlsx(api, bureau_staff, lawyer):
    import io

    import openpyxl

    response = api(bureau_staff).get("/api/v1/lawyers/ledger")
    rows = list(
        openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(
            values_only=True
        )
    )
    assert rows[2][:3] == ("甲律师事务所", "李律师", "13710820001")
