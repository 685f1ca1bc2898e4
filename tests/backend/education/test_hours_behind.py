"""The monthly list of subjects behind their education hours, as JSON and as an XLSX ledger."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from django.utils import timezone

from backend.audit.models import AccessLog
from backend.education.models import Enrollment
from backend.education.services import month_window
from tests.backend.education.helpers import enroll, make_session, set_required_hours
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
MONTH = "2026-11"


def _attended(office: Any, subject: Any, hours: int) -> None:
    start, _end = month_window(MONTH)
    session = make_session(office, start=start + dt.timedelta(days=3, hours=9), minutes=60 * hours)
    enrollment = enroll(session, subject)
    Enrollment.objects.filter(pk=enrollment.pk).update(outcome="attended", hours_credited=session.hours)


def test_it_lists_who_is_behind_in_the_callers_offices(
    officer_a: Any, office_a: Any, subject_a: Any, subject_b: Any, settings: Any
) -> None:
    from tests.conftest import make_subject

    set_required_hours(4)
    done = make_subject(office_a)
    _attended(office_a, done, 4)
    _attended(office_a, subject_a, 2)

    response = client_for(officer_a).get("/api/v1/education/hours-behind", {"month": MONTH})

    assert response.status_code == 200
    body = response.json()
    assert body["month"] == MONTH
    assert [(r["subject"], r["completed"], r["missing"]) for r in body["results"]] == [
        (subject_a.pk, "2.0", "2.0")
    ]
    log = AccessLog.objects.get(resource="education_hours")
    assert log.detail["ids"] == [subject_a.pk]


@pytest.mark.parametrize("month", ["2026-13", "26-11", "2026-1", "\x00", "9999-01", "2026-11-01"])
def test_a_bad_month_is_a_field_400(officer_a: Any, month: str) -> None:
    response = client_for(officer_a).get("/api/v1/education/hours-behind", {"month": month})
    assert response.status_code == 400
    assert "month" in response.json()["errors"]


def test_the_ledger_is_an_audited_export(
    bureau_head: Any, subject_a: Any, subject_b: Any, settings: Any
) -> None:
    set_required_hours(8)
    response = client_for(bureau_head).get("/api/v1/education/hours-behind.xlsx", {"month": MONTH})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    names = [row[1] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert sorted(names) == sorted([subject_a.name, subject_b.name])
    assert AccessLog.objects.filter(resource="education_hours", action="export").exists()


def test_this_month_by_default(officer_a: Any) -> None:
    response = client_for(officer_a).get("/api/v1/education/hours-behind")
    assert response.json()["month"] == timezone.localtime().strftime("%Y-%m")


def test_the_hours_required_follow_the_level_policy(officer_a: Any, office_a: Any) -> None:
    from decimal import Decimal

    from backend.supervision.models import SupervisionPolicy
    from tests.conftest import make_subject

    set_required_hours(8)
    SupervisionPolicy.objects.filter(level="strict").update(education_hours_per_month=Decimal(10))
    strict = make_subject(office_a, supervision_level="strict")
    normal = make_subject(office_a, supervision_level="normal")
    _attended(office_a, strict, 8)
    _attended(office_a, normal, 8)

    rows = client_for(officer_a).get("/api/v1/education/hours-behind", {"month": MONTH}).json()["results"]

    assert [(r["subject"], r["required"], r["missing"]) for r in rows] == [(strict.pk, "10.0", "2.0")]


def test_the_screening_reads_months_behind_for_everyone(office_a: Any) -> None:
    """Q4 2026: October and November are whole months of the window; everyone is answered."""
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    from backend.education.services import months_behind
    from tests.conftest import make_subject

    set_required_hours(4)
    zone = ZoneInfo("Asia/Shanghai")
    done, short = make_subject(office_a), make_subject(office_a)
    late = make_subject(office_a, supervision_start=dt.date(2026, 11, 15))
    for month in ("2026-10", "2026-11"):
        start, _end = month_window(month)
        for subject, hours in ((done, 4), (short, 1)):
            session = make_session(office_a, start=start + dt.timedelta(days=3, hours=9), minutes=60 * hours)
            enrollment = enroll(session, subject)
            Enrollment.objects.filter(pk=enrollment.pk).update(
                outcome="attended", hours_credited=session.hours
            )

    figures = months_behind(
        [done.pk, short.pk, late.pk],
        dt.datetime(2026, 10, 1, tzinfo=zone),
        dt.datetime(2026, 12, 1, tzinfo=zone),
    )

    assert figures == {done.pk: (0, Decimal(0)), short.pk: (2, Decimal(6)), late.pk: (1, Decimal(4))}
