"""Completeness: what each archive lacks and what of it is overdue, per subject, office and stage."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from backend.archives.models import CatalogueItem
from backend.archives.services import add_document, catalogue_item, expected_documents, subject_completeness
from backend.audit.models import AccessLog
from tests.conftest import client_for, make_subject

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 5)


def file(subject: Any, code: str, period: str = "") -> None:
    add_document(subject, title=code, item=catalogue_item(code), origin="uploaded", data={}, period=period)


def test_intake_items_are_overdue_after_their_deadline_and_months_after_theirs(office_a: Any) -> None:
    subject = make_subject(
        office_a, supervision_start=dt.date(2026, 10, 1), supervision_end=dt.date(2027, 9, 30)
    )
    file(subject, "judgment")
    file(subject, "monthly_report", "2026-10")
    answer = subject_completeness(subject, TODAY)
    missing = {(m["item"], m["period"]): m for m in answer["missing"]}
    assert ("judgment", "") not in missing
    assert missing[("execution_notice", "")]["overdue"] is True  # due 2026-10-11
    assert missing[("execution_notice", "")]["due"] == dt.date(2026, 10, 11)
    assert ("monthly_report", "2026-10") not in missing
    # November's report is due five days after the month ends: today, so not overdue yet.
    assert missing[("monthly_report", "2026-11")]["due"] == dt.date(2026, 12, 5)
    assert missing[("monthly_report", "2026-11")]["overdue"] is False
    assert missing[("monthly_report", "2026-12")]["overdue"] is False
    later = {
        (m["item"], m["period"]): m
        for m in subject_completeness(subject, TODAY + dt.timedelta(days=1))["missing"]
    }
    assert later[("monthly_report", "2026-11")]["overdue"] is True
    assert ("release_certificate", "") not in missing  # termination is months away
    assert answer["overdue"] == sum(m["overdue"] for m in answer["missing"])
    assert answer["due"] == answer["present"] + len(answer["missing"])


def test_termination_items_appear_near_the_end_and_sentence_types_filter(office_a: Any) -> None:
    subject = make_subject(
        office_a, supervision_start=dt.date(2026, 1, 1), supervision_end=dt.date(2026, 12, 31)
    )
    CatalogueItem.objects.filter(code="guarantee_letter").update(sentence_types=["outside"])
    codes = {e.item for e in expected_documents([subject], TODAY)}
    assert {"appraisal", "release_certificate", "resettlement_handover"} <= codes
    assert "guarantee_letter" not in codes
    assert {e.item for e in expected_documents([subject], TODAY, stage="termination")} == {
        "appraisal",
        "release_certificate",
        "termination_announcement",
        "resettlement_handover",
    }


def test_the_api_per_subject_and_per_office(
    officer_a: Any, officer_b: Any, subject_a: Any, subject_b: Any
) -> None:
    file(subject_a, "judgment")
    client = client_for(officer_a)
    answer = client.get(f"/api/v1/subjects/{subject_a.pk}/archive-completeness")
    assert answer.status_code == 200 and answer.json()["present"] == 1
    assert client.get(f"/api/v1/subjects/{subject_b.pk}/archive-completeness").status_code == 404
    rows = client.get("/api/v1/archive-completeness?stage=intake").json()
    assert {row["office"] for row in rows} == {subject_a.office_id}
    (row,) = rows
    assert row["stage"] == "intake" and row["present"] == 1 and row["missing"] == row["due"] - 1
    assert client.get("/api/v1/archive-completeness?stage=nope").status_code == 400
    assert client.get("/api/v1/archive-completeness?office=1e9").status_code == 400
    assert AccessLog.objects.filter(resource="archive_completeness").count() == 2


def test_the_console_page_shows_the_callers_offices(
    officer_a: Any, subject_a: Any, subject_b: Any, client: Any
) -> None:
    assert client.get("/console/archives/").status_code == 302  # the console's login first
    client.force_login(officer_a)
    page = client.get("/console/archives/")
    assert page.status_code == 200
    text = page.content.decode()
    assert subject_a.name in text and subject_b.name not in text
    assert "执行通知书" in text  # a missing item is named
    assert AccessLog.objects.filter(resource="archive_completeness", actor=officer_a).exists()
