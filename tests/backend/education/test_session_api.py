"""Sessions and enrollment through the staff API: field-level 400s, office scoping, capacity,
reminders for enrolled subjects, staff confirmation with a reason, audit rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.audit.models import AccessLog
from backend.education.models import EducationSession, Enrollment
from backend.education.services import schedule_upcoming_reminders
from backend.reminders.models import Reminder
from tests.backend.education.helpers import enroll, make_session
from tests.conftest import client_for, make_subject
from tests.openapi_helpers import assert_matches_spec

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v1/education-sessions"
ENROLLMENTS = "/api/v1/education-enrollments"


def _body(office: Any, **overrides: Any) -> dict[str, Any]:
    start = timezone.now() + dt.timedelta(days=1)
    body = {
        "office": office.pk,
        "kind": "group",
        "topic": "法律法规学习",
        "place_name": "司法所教育基地",
        "place_lat": 37.15,
        "place_lon": 122.35,
        "place_radius_m": 100,
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=2)).isoformat(),
        "capacity": 2,
    }
    body.update(overrides)
    return body


def test_an_officer_creates_a_session_with_hours_from_its_length(officer_a: Any, office_a: Any) -> None:
    response = client_for(officer_a).post(SESSIONS, _body(office_a), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["hours"] == "2.0"
    assert AccessLog.objects.filter(resource="education_session", action="create").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"place_radius_m": 1e9}, "place_radius_m"),
        ({"place_radius_m": 1}, "place_radius_m"),
        ({"place_lat": 91}, "place_lat"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": 10**12}, "capacity"),
        ({"kind": "party"}, "kind"),
        ({"starts_at": "9999-12-31T23:59:59-01:00"}, "starts_at"),
        ({"topic": "x" * 201}, "topic"),
        ({"hours": "99"}, "hours"),
    ],
)
def test_bad_fields_are_named(officer_a: Any, office_a: Any, overrides: dict[str, Any], field: str) -> None:
    response = client_for(officer_a).post(SESSIONS, _body(office_a, **overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_session_must_end_after_it_starts(officer_a: Any, office_a: Any) -> None:
    body = _body(office_a)
    body["ends_at"] = body["starts_at"]
    response = client_for(officer_a).post(SESSIONS, body, format="json")
    assert response.status_code == 400
    assert "ends_at" in response.json()["errors"]


def test_an_officer_cannot_create_in_another_office(officer_a: Any, office_b: Any) -> None:
    response = client_for(officer_a).post(SESSIONS, _body(office_b), format="json")
    assert response.status_code == 400
    assert "office" in response.json()["errors"]


def test_another_offices_session_is_404(officer_a: Any, office_b: Any, subject_b: Any) -> None:
    session = make_session(office_b)
    enrollment = enroll(session, subject_b)
    client = client_for(officer_a)
    assert client.get(f"{SESSIONS}/{session.pk}").status_code == 404
    assert client.get(f"{ENROLLMENTS}/{enrollment.pk}").status_code == 404
    assert (
        client.post(f"{ENROLLMENTS}/{enrollment.pk}/confirm", {"attended": True, "reason": "x"}).status_code
        == 404
    )
    assert client.get(SESSIONS).json()["count"] == 0


def test_enrollment_fills_to_capacity_and_schedules_reminders(
    officer_a: Any, office_a: Any, subject_a: Any, subject_b: Any
) -> None:
    client = client_for(officer_a)
    session_id = client.post(SESSIONS, _body(office_a, capacity=1), format="json").json()["id"]
    response = client.post(ENROLLMENTS, {"session": session_id, "subject": subject_a.pk}, format="json")
    assert response.status_code == 201, response.json()
    reminders = Reminder.objects.filter(subject=subject_a, kind="education")
    assert reminders.count() == 2
    other = make_subject(office_a)
    full = client.post(ENROLLMENTS, {"session": session_id, "subject": other.pk}, format="json")
    assert full.status_code == 400 and "session" in full.json()["errors"]
    # A subject of another office is not even a choice.
    foreign = client.post(ENROLLMENTS, {"session": session_id, "subject": subject_b.pk}, format="json")
    assert foreign.status_code == 400 and "subject" in foreign.json()["errors"]


def test_the_reminder_job_is_idempotent(office_a: Any, subject_a: Any) -> None:
    session = make_session(office_a, start=timezone.now() + dt.timedelta(hours=20))
    enroll(session, subject_a)
    assert schedule_upcoming_reminders() == 2
    schedule_upcoming_reminders()
    assert Reminder.objects.filter(subject=subject_a, kind="education").count() == 2


def test_the_reminder_task_runs(office_a: Any, subject_a: Any) -> None:
    from backend.education.tasks import schedule_education_reminders

    session = make_session(office_a, start=timezone.now() + dt.timedelta(hours=20))
    enroll(session, subject_a)
    schedule_education_reminders.delay()
    assert Reminder.objects.filter(subject=subject_a, kind="education").count() == 2


def test_staff_confirm_with_a_reason(officer_a: Any, office_a: Any, subject_a: Any) -> None:
    enrollment = enroll(make_session(office_a), subject_a)
    client = client_for(officer_a)
    url = f"{ENROLLMENTS}/{enrollment.pk}/confirm"
    missing = client.post(url, {"attended": True, "reason": "   "}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()["errors"]
    response = client.post(url, {"attended": True, "reason": "到场，手机没电"}, format="json")
    assert response.status_code == 200
    assert response.json()["outcome"] == "attended" and response.json()["source"] == "staff"
    assert response.json()["confirmed_by_name"]


def test_computing_attendance_answers_the_sessions_enrollments(
    officer_a: Any, office_a: Any, subject_a: Any
) -> None:
    session = make_session(office_a)
    enroll(session, subject_a)
    path = f"{SESSIONS}/{session.pk}/compute-attendance"
    response = client_for(officer_a).post(path)
    assert response.status_code == 200
    assert [row["subject"] for row in response.json()] == [subject_a.pk]
    assert_matches_spec(response, path, "post")  # a list, not a page


def test_computing_a_session_not_over_is_409(officer_a: Any, office_a: Any) -> None:
    session = make_session(office_a, start=timezone.now() + dt.timedelta(hours=1))
    response = client_for(officer_a).post(f"{SESSIONS}/{session.pk}/compute-attendance")
    assert response.status_code == 409


def test_the_auditor_reads_but_cannot_write(auditor: Any, office_a: Any) -> None:
    make_session(office_a)
    client = client_for(auditor)
    assert client.get(SESSIONS).json()["count"] == 1
    assert client.post(SESSIONS, _body(office_a), format="json").status_code == 403


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    field=st.sampled_from(
        ["topic", "place_lat", "place_radius_m", "capacity", "starts_at", "ends_at", "kind", "hours"]
    ),
    value=st.one_of(
        st.text(max_size=30),
        st.integers(min_value=-(10**30), max_value=10**30),
        st.floats(allow_nan=False, allow_infinity=False),
        st.none(),
        st.booleans(),
        st.lists(st.integers(), max_size=2),
    ),
)
def test_any_value_of_any_field_is_a_201_or_a_named_400(
    officer_a: Any, office_a: Any, field: str, value: Any
) -> None:
    response = client_for(officer_a).post(SESSIONS, _body(office_a, **{field: value}), format="json")
    assert response.status_code in (201, 400), response.content
    if response.status_code == 400:
        assert response.json()["errors"]
    EducationSession.objects.all().delete()
    assert not Enrollment.objects.exists()
