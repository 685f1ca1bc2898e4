"""Sanctions: a downgrade lowers the rating; a vetoing sanction makes the hiring record refuse the lawyer."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from backend.business import services
from backend.business.models import AdviserHiring, Lawyer

pytestmark = pytest.mark.django_db


def test_a_downgrade_lowers_the_rating_and_vetoes_hiring(api, bureau_staff, firm, lawyer, department):
    lawyer.rating = "B"
    lawyer.save()
    body = {
        "firm": firm.pk,
        "lawyer": lawyer.pk,
        "kind": "downgrade",
        "decided_on": "2026-06-01",
        "reason": "违规",
    }
    decided = api(bureau_staff).post("/api/v1/lawyer-sanctions", body)
    assert decided.status_code == 201, decided.content
    assert decided.json()["veto"] is True and decided.json()["veto_until"] == "2027-06-01"
    assert Lawyer.objects.get(pk=lawyer.pk).rating == "C"
    hiring = {
        "unit": department.pk,
        "lawyer": lawyer.pk,
        "kind": "government",
        "starts_on": "2026-07-01",
        "ends_on": "2027-06-30",
    }
    refused = api(bureau_staff).post("/api/v1/adviser-hirings", hiring)
    assert refused.status_code == 400
    assert "lawyer" in refused.json()["errors"]
    assert not AdviserHiring.objects.exists()
    after = api(bureau_staff).post(
        "/api/v1/adviser-hirings", {**hiring, "starts_on": "2027-06-02", "ends_on": "2028-06-01"}
    )
    assert after.status_code == 201, after.content


def test_a_firms_veto_blocks_its_lawyers_a_warning_talk_does_not(firm, lawyer, department):
    services.decide_sanction(firm=firm, kind="warning_talk", decided_on=dt.date(2026, 3, 1), reason="x")
    services.hire_adviser(
        unit=department,
        lawyer=lawyer,
        kind="government",
        starts_on=dt.date(2026, 4, 1),
        ends_on=dt.date(2026, 12, 31),
    )
    services.decide_sanction(firm=firm, kind="referral", decided_on=dt.date(2026, 5, 1), reason="移送律协")
    with pytest.raises(ValidationError) as refused:
        services.hire_adviser(
            unit=department,
            lawyer=lawyer,
            kind="government",
            starts_on=dt.date(2026, 6, 1),
            ends_on=dt.date(2026, 12, 31),
        )
    assert "lawyer" in refused.value.message_dict


def test_a_veto_beginning_during_the_term_refuses_it(firm, lawyer, village_a):
    services.decide_sanction(
        firm=firm, lawyer=lawyer, kind="downgrade", decided_on=dt.date(2026, 9, 1), reason="x"
    )
    with pytest.raises(ValidationError):
        services.hire_adviser(
            unit=village_a,
            lawyer=lawyer,
            kind="village",
            starts_on=dt.date(2026, 1, 1),
            ends_on=dt.date(2026, 12, 31),
        )


def test_a_village_adviser_is_hired_by_a_village(api, bureau_staff, lawyer, department):
    body = {
        "unit": department.pk,
        "lawyer": lawyer.pk,
        "kind": "village",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
    }
    response = api(bureau_staff).post("/api/v1/adviser-hirings", body)
    assert response.status_code == 400 and "unit" in response.json()["errors"]


def test_a_lawyer_of_another_firm_is_refused(api, bureau_staff, other_firm, lawyer):
    body = {
        "firm": other_firm.pk,
        "lawyer": lawyer.pk,
        "kind": "warning_talk",
        "decided_on": "2026-06-01",
        "reason": "x",
    }
    response = api(bureau_staff).post("/api/v1/lawyer-sanctions", body)
    assert response.status_code == 400 and "lawyer" in response.json()["errors"]


def test_a_village_reporter_hires_for_its_own_village(api, village_a, lawyer, department):
    from tests.backend.bureau.conftest import make_reporter

    reporter = make_reporter("village_reporter", village_a)
    body = {"lawyer": lawyer.pk, "kind": "village", "starts_on": "2026-01-01", "ends_on": "2026-12-31"}
    created = api(reporter).post("/api/v1/adviser-hirings", body)
    assert created.status_code == 201 and created.json()["unit"] == village_a.pk
    other = api(reporter).post(
        "/api/v1/adviser-hirings", {**body, "unit": department.pk, "kind": "government"}
    )
    assert other.status_code == 400 and "unit" in other.json()["errors"]
