"""The factors screening reads from education (absences) and resettlement (missed visits)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from tests.backend.screening.helpers import IN_QUARTER, add_phone, backdate, run_screening
from tests.conftest import make_released_person, make_subject

pytestmark = pytest.mark.django_db


def _factor(result: Any, code: str) -> dict[str, Any]:
    return next(row for row in result.factors if row["code"] == code)


def test_absences_from_education_sessions_of_the_quarter_count(office_a: Any) -> None:
    from backend.education.models import EducationSession, Enrollment
    from backend.screening.models import ScreeningResult

    absent, present = make_subject(office_a), make_subject(office_a)
    for subject in (absent, present):
        backdate(subject)
        add_phone(subject)
    for days in (0, 7, 14, 200):  # the last one is after the quarter
        session = EducationSession.objects.create(
            office=office_a,
            kind="group",
            topic="法治教育",
            place_name="司法所",
            place_lat=37.15,
            place_lon=122.35,
            starts_at=IN_QUARTER + dt.timedelta(days=days),
            ends_at=IN_QUARTER + dt.timedelta(days=days, hours=2),
            hours=Decimal("2.0"),
        )
        Enrollment.objects.create(session=session, subject=absent, outcome="absent")
        Enrollment.objects.create(session=session, subject=present, outcome="attended")
    run = run_screening()
    rows = {r.person_id: r for r in ScreeningResult.objects.filter(screening=run)}
    assert _factor(rows[absent.pk], "education_attendance")["value"] == 3
    assert _factor(rows[absent.pk], "education_attendance")["facts"] == {"absent": 3}
    assert _factor(rows[present.pk], "education_attendance")["value"] == 0


def test_released_persons_short_of_visits_count_them(office_a: Any) -> None:
    from backend.resettlement.models import Visit
    from backend.screening.models import ScreeningResult

    key = make_released_person(office_a, is_key_person=True)
    visited = make_released_person(office_a)
    never = make_released_person(office_a)
    for person in (key, visited, never):
        backdate(person)
    for person in (key, visited):
        Visit.objects.create(released_person=person, visited_on=IN_QUARTER.date(), place="家中")
    run = run_screening()
    rows = {r.person_id: r for r in ScreeningResult.objects.filter(screening=run)}
    assert _factor(rows[key.pk], "resettlement_visits")["value"] == 2
    assert _factor(rows[key.pk], "resettlement_visits")["facts"] == {
        "visits": 1,
        "expected": 3,
        "last_visit": IN_QUARTER.date().isoformat(),
    }
    assert _factor(rows[visited.pk], "resettlement_visits")["value"] == 0
    assert _factor(rows[never.pk], "resettlement_visits")["value"] == 1
    assert rows[never.pk].missing == 1  # only education attendance, which released persons lack
