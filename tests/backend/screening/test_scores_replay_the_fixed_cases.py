"""The regression file: every case of ``cases.json`` is built in the database, screened, and must
get exactly its expected score, band and count of factors without data under rule table v1."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from tests.backend.screening.helpers import (
    BEFORE_QUARTER,
    IN_QUARTER,
    add_alerts,
    add_phone,
    add_reminders,
    backdate,
    run_screening,
)
from tests.conftest import make_released_person, make_subject

CASES = json.loads((Path(__file__).parent / "cases.json").read_text(encoding="utf-8"))

pytestmark = pytest.mark.django_db


def build(case: dict[str, Any], office: Any) -> tuple[str, int]:
    if case["kind"] == "released":
        extra: dict[str, Any] = {"is_key_person": case.get("key_person", False)}
        if case.get("handover_overdue"):
            extra["handover_deadline"] = IN_QUARTER
        if case.get("handover_on_time"):
            extra.update(handover_deadline=IN_QUARTER, received_at=IN_QUARTER - dt.timedelta(days=1))
        person = make_released_person(office, **extra)
        backdate(person)
        return "released", person.pk
    subject = make_subject(office)
    backdate(subject)
    if case.get("phone") is True:
        add_phone(subject)
    elif case.get("phone") == "revoked_before":
        add_phone(subject, revoked_at=BEFORE_QUARTER + dt.timedelta(days=1))
    for kind, n in case.get("alerts", {}).items():
        add_alerts(subject, kind, n)
    for kind, n in case.get("alerts_before", {}).items():
        add_alerts(subject, kind, n, at=BEFORE_QUARTER)
    reminders = case.get("reminders", {})
    add_reminders(subject, reminders.get("unacknowledged", 0))
    add_reminders(subject, reminders.get("acknowledged", 0), acknowledged=True)
    add_reminders(subject, reminders.get("checkin_prompts", 0), kind="checkin")
    return "subject", subject.pk


def test_every_case_gets_its_expected_score(office_a: Any, own_factors: None) -> None:
    from backend.screening.models import ScreeningResult

    people = {case["name"]: build(case, office_a) for case in CASES}
    screening = run_screening()
    assert screening.status == "finished"
    results = {(r.person_kind, r.person_id): r for r in ScreeningResult.objects.filter(screening=screening)}
    assert len(results) == len(CASES)
    got = {
        name: {
            "score": results[key].score,
            "band": results[key].band,
            "missing": results[key].missing,
        }
        for name, key in people.items()
    }
    assert got == {case["name"]: case["expected"] for case in CASES}
    assert {r.rule_version for r in results.values()} == {1}
