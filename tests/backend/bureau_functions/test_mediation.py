"""Mediation: the dispute ledger is the town's own, experts are assigned by rule, and the rule
table gives credit points, subsidies and deductions (a rule for the kind wins over "any")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import client_for

pytestmark = pytest.mark.django_db

DISPUTES = "/api/v1/mediation/disputes"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def mediator(unit: Any, **extra: Any) -> Any:
    from backend.mediation.models import Mediator

    return Mediator.objects.create(unit=unit, name=extra.pop("name", "王调解"), background="lawyer", **extra)


def dispute(unit: Any, kind: str = "neighbour", **extra: Any) -> Any:
    from backend.mediation.models import Dispute

    return Dispute.objects.create(
        unit=unit,
        received_on=extra.pop("received_on", dt.date(2026, 3, 1)),
        kind=kind,
        summary="s",
        parties=[{"name": "甲", "role": "applicant"}],
        **extra,
    )


def test_a_town_keeps_its_disputes_and_another_town_cannot_see_them(
    officer_a: Any, officer_b: Any, town_a: Any
) -> None:
    body = {
        "unit": town_a.pk,
        "received_on": str(timezone.localdate()),
        "kind": "family",
        "summary": "赡养纠纷",
        "parties": [{"name": "张某", "role": "applicant"}, {"name": "李某", "role": "respondent"}],
    }
    created = client_for(officer_a).post(DISPUTES, body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["unit"] == town_a.pk
    url = f"{DISPUTES}/{created.json()['id']}"
    assert client_for(officer_b).get(url).status_code == 404
    assert client_for(officer_a).get(url).status_code == 200


def test_a_mediator_of_another_town_cannot_be_named(officer_a: Any, town_a: Any, town_b: Any) -> None:
    theirs = mediator(town_b)
    body = {
        "received_on": "2026-03-01",
        "kind": "family",
        "summary": "s",
        "parties": [{"name": "a", "role": "other"}],
    }
    answer = client_for(officer_a).post(
        DISPUTES, {**body, "mediator": theirs.pk, "unit": town_a.pk}, format="json"
    )
    assert answer.status_code == 400 and "mediator" in answer.json()["errors"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.dictionaries(
        st.sampled_from(["received_on", "kind", "summary", "parties", "mediator", "body", "unit"]),
        st.one_of(
            st.none(),
            st.integers(),
            st.text(max_size=20),
            st.lists(st.dictionaries(st.sampled_from(["name", "role"]), st.text(max_size=60)), max_size=25),
        ),
    )
)
def test_no_dispute_body_makes_a_server_error(officer_a: Any, town_a: Any, body: dict[str, Any]) -> None:
    assert client_for(officer_a).post(DISPUTES, body, format="json").status_code < 500


def test_sessions_move_a_dispute_on_and_a_closed_one_stays_closed(officer_a: Any, town_a: Any) -> None:
    record = dispute(town_a)
    client = client_for(officer_a)
    session = client.post(
        f"{DISPUTES}/{record.pk}/sessions", {"held_on": "2026-03-02", "notes": "首次"}, format="json"
    )
    assert session.status_code == 201
    assert client.get(f"{DISPUTES}/{record.pk}").json()["status"] == "mediating"
    closed = client.post(
        f"{DISPUTES}/{record.pk}/close", {"status": "resolved", "outcome": "达成协议"}, format="json"
    )
    assert closed.status_code == 200 and closed.json()["closed_on"] == str(timezone.localdate())
    again = client.post(f"{DISPUTES}/{record.pk}/close", {"status": "failed", "outcome": "x"}, format="json")
    assert again.status_code == 400
    late = client.post(f"{DISPUTES}/{record.pk}/sessions", {"held_on": "2026-03-03"}, format="json")
    assert late.status_code == 400
    assert client.patch(f"{DISPUTES}/{record.pk}", {"summary": "改"}, format="json").status_code == 400


def test_an_agreement_must_be_a_pdf_or_image_by_its_content(officer_a: Any, town_a: Any) -> None:
    record = dispute(town_a)
    client = client_for(officer_a)
    liar = SimpleUploadedFile("协议.pdf", b"#!/bin/sh\nrm -rf /\n", content_type="application/pdf")
    refused = client.post(f"{DISPUTES}/{record.pk}/agreement", {"file": liar}, format="multipart")
    assert refused.status_code == 400 and "file" in refused.json()["errors"]
    image = SimpleUploadedFile("协议.png", PNG, content_type="image/png")
    stored = client.post(f"{DISPUTES}/{record.pk}/agreement", {"file": image}, format="multipart")
    assert stored.status_code == 200 and stored.json()["has_agreement"] is True
    download = client.get(f"{DISPUTES}/{record.pk}/agreement")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    from backend.audit.models import AccessLog

    assert AccessLog.objects.filter(resource="dispute", object_id=str(record.pk), method="GET").exists()


def test_the_rule_assigns_the_least_busy_expert_of_the_field(
    officer_a: Any, town_a: Any, department: Any
) -> None:
    from backend.mediation import services

    first = mediator(department, name="甲专家", is_expert=True, expert_field="medical")
    second = mediator(department, name="乙专家", is_expert=True, expert_field="medical")
    mediator(department, name="丙专家", is_expert=True, expert_field="fishery")
    one = services.order_expert(dispute(town_a, "medical"))
    two = services.order_expert(dispute(town_a, "medical"))
    assert {one.expert, two.expert} == {first, second}
    services.complete_expert_request(one, resolved=True, outcome="ok")
    three = services.order_expert(dispute(town_a, "medical"))
    assert three.expert == one.expert  # free again, and assigned longer ago than the other
    none = services.order_expert(dispute(town_a, "labour"))
    assert none.status == "unavailable" and none.expert is None
    answer = client_for(officer_a).post(
        "/api/v1/mediation/expert-requests", {"dispute": dispute(town_a, "fishery").pk}, format="json"
    )
    assert answer.status_code == 201 and answer.json()["expert_name"] == "丙专家"


def test_a_town_cannot_order_an_expert_for_another_towns_dispute(officer_a: Any, town_b: Any) -> None:
    answer = client_for(officer_a).post(
        "/api/v1/mediation/expert-requests", {"dispute": dispute(town_b).pk}, format="json"
    )
    assert answer.status_code == 400


def test_credits_subsidies_and_deductions_come_from_the_rule_table(
    bureau_staff: Any, officer_b: Any, town_a: Any, town_b: Any
) -> None:
    from backend.mediation.models import CreditRule

    CreditRule.objects.create(kind="", outcome="resolved", points=2, subsidy=50, deduction=0)
    CreditRule.objects.create(kind="medical", outcome="resolved", points=5, subsidy=200, deduction=0)
    CreditRule.objects.create(kind="", outcome="escalated", points=-2, subsidy=0, deduction=3)
    wang = mediator(town_a, name="王")
    for kind, status in [("neighbour", "resolved"), ("medical", "resolved"), ("labour", "escalated")]:
        dispute(town_a, kind, mediator=wang, status=status, closed_on=dt.date(2026, 4, 1))
    dispute(town_a, "neighbour", mediator=wang, status="resolved", closed_on=dt.date(2025, 4, 1))  # last year
    data = client_for(bureau_staff).get(f"{DISPUTES}/credits", {"year": 2026}).json()
    assert data["mediators"] == [
        {
            "mediator_id": wang.pk,
            "name": "王",
            "unit_id": town_a.pk,
            "disputes": 3,
            "points": "5.0",
            "subsidy": "250.00",
        }
    ]
    assert data["deductions"] == [{"unit_id": town_a.pk, "escalated": 1, "deduction": "3.0"}]
    assert client_for(officer_b).get(f"{DISPUTES}/credits", {"year": 2026}).json()["mediators"] == []
    assert client_for(officer_b).post("/api/v1/mediation/credit-rules", {}, format="json").status_code == 403


def test_the_indicators_count_centre_coverage_and_full_time_mediators(
    town_a: Any, town_b: Any, department: Any
) -> None:
    from backend.mediation.indicators import centre_coverage, full_time_mediators
    from backend.mediation.models import MediationCentre

    MediationCentre.objects.create(unit=town_a, level="town", name="甲镇中心")
    MediationCentre.objects.create(unit=department, level="city", name="市中心")
    assert centre_coverage(2026).value == 50.0
    assert centre_coverage(2026).by_unit == {town_a.pk: 100.0, town_b.pk: 0.0}
    mediator(town_a, full_time=True)
    mediator(town_a, full_time=False)
    mediator(town_b, full_time=True)
    progress = full_time_mediators(2026)
    assert progress.value == round(100 * 2 / 3, 1)
    assert progress.by_unit == {town_a.pk: 50.0, town_b.pk: 100.0}
    assert Decimal("50") <= Decimal(str(progress.value))
