"""Attendance is read from the subject's stored check-ins inside the place during the session,
by the rule in the database; uncertain fixes are not presence; staff confirmations stand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from backend.education.models import AttendanceRule, Enrollment
from backend.education.services import compute_attendance, compute_due_attendance, confirm_attendance
from tests.backend.education.helpers import PLACE, enroll, make_session, store_fixes
from tests.conftest import enroll_phone

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone(subject_a: Any, officer_a: Any) -> Any:
    return enroll_phone(subject_a, officer_a)[0]


def _outcome(enrollment: Enrollment) -> Enrollment:
    enrollment.refresh_from_db()
    return enrollment


def test_it_counts_a_subject_whose_fixes_stay_inside_as_attended(
    office_a: Any, subject_a: Any, phone: Any
) -> None:
    session = make_session(office_a)
    enrollment = enroll(session, subject_a)
    store_fixes(subject_a, phone, session.starts_at + dt.timedelta(minutes=5), 11)  # 100 minutes inside

    assert compute_attendance(session) == 1

    enrollment = _outcome(enrollment)
    assert enrollment.outcome == Enrollment.Outcome.ATTENDED
    assert enrollment.source == Enrollment.Source.CHECKINS
    assert enrollment.minutes_inside == 100
    assert enrollment.hours_credited == Decimal("2.0")


def test_it_counts_fixes_outside_the_place_as_absent(office_a: Any, subject_a: Any, phone: Any) -> None:
    session = make_session(office_a)
    enrollment = enroll(session, subject_a)
    store_fixes(subject_a, phone, session.starts_at, 12, lat=PLACE[0] + 0.01)  # ~1.1 km away

    compute_attendance(session)

    enrollment = _outcome(enrollment)
    assert (enrollment.outcome, enrollment.minutes_inside, enrollment.hours_credited) == ("absent", 0, 0)


@pytest.mark.parametrize(
    "uncertain",
    [
        {"quality": "low_accuracy"},
        {"mock_location": True, "quality": "mock_location"},
        {"mock_location": True},
        {"evaluation_error": "engine failed"},
        {"accuracy_m": 150.0},
        {"quality": "stale"},
    ],
)
def test_uncertain_fixes_are_not_presence(
    office_a: Any, subject_a: Any, phone: Any, uncertain: dict[str, Any]
) -> None:
    session = make_session(office_a)
    enrollment = enroll(session, subject_a)
    store_fixes(subject_a, phone, session.starts_at, 12, **uncertain)

    compute_attendance(session)

    enrollment = _outcome(enrollment)
    assert enrollment.outcome == Enrollment.Outcome.ABSENT
    assert enrollment.certain_fixes == 0


def test_a_silent_phone_does_not_prove_the_time_between(office_a: Any, subject_a: Any, phone: Any) -> None:
    session = make_session(office_a)
    enrollment = enroll(session, subject_a)
    # Two certain fixes inside, 100 minutes apart: only the rule's longest gap (15) counts.
    store_fixes(subject_a, phone, session.starts_at + dt.timedelta(minutes=5), 2, every_min=100)

    compute_attendance(session)

    assert _outcome(enrollment).minutes_inside == 15


def test_the_rule_is_data(office_a: Any, subject_a: Any, phone: Any) -> None:
    session = make_session(office_a)
    enrollment = enroll(session, subject_a)
    store_fixes(subject_a, phone, session.starts_at, 4)  # 30 minutes inside

    compute_attendance(session)
    assert _outcome(enrollment).outcome == "absent"  # default: 45 minutes

    AttendanceRule.objects.create(kind="group", min_minutes_inside=30)
    compute_attendance(session)
    assert _outcome(enrollment).outcome == "attended"

    AttendanceRule.objects.create(kind="", min_minutes_inside=5)  # the group rule still wins
    AttendanceRule.objects.filter(kind="group").update(min_minutes_inside=90)
    compute_attendance(session)
    assert _outcome(enrollment).outcome == "absent"


def test_a_staff_confirmation_stands_against_the_checkins(
    office_a: Any, subject_a: Any, phone: Any, officer_a: Any
) -> None:
    session = make_session(office_a)
    enrollment = enroll(session, subject_a)
    confirm_attendance(enrollment, attended=True, reason="纸质签到表", by=officer_a)

    compute_attendance(session)  # no fixes at all

    enrollment = _outcome(enrollment)
    assert (enrollment.outcome, enrollment.source, enrollment.reason) == ("attended", "staff", "纸质签到表")
    assert enrollment.confirmed_by == officer_a


def test_late_uploads_change_the_outcome_when_computed_again(
    office_a: Any, subject_a: Any, phone: Any
) -> None:
    session = make_session(office_a)
    enrollment = enroll(session, subject_a)
    assert compute_due_attendance() == 1
    assert _outcome(enrollment).outcome == "absent"

    store_fixes(subject_a, phone, session.starts_at, 12)  # the phone was offline, uploads later
    assert compute_due_attendance() == 1
    assert compute_due_attendance() == 1  # idempotent
    assert _outcome(enrollment).outcome == "attended"


def test_a_session_not_over_is_not_computed(office_a: Any, subject_a: Any) -> None:
    session = make_session(office_a, start=timezone.now() - dt.timedelta(minutes=30))
    enrollment = enroll(session, subject_a)
    assert compute_attendance(session) == 0
    assert _outcome(enrollment).outcome == "pending"


def test_the_place_is_not_a_fence(office_a: Any, subject_a: Any, officer_a: Any) -> None:
    """Creating a session adds no zone: being away from it can raise no breach alert."""
    from backend.monitoring.models import Alert, Zone
    from backend.monitoring.services import record_checkins

    device, _token = enroll_phone(subject_a, officer_a)
    make_session(office_a, start=timezone.now() - dt.timedelta(minutes=30))
    assert not Zone.objects.exists()
    now = timezone.now()
    fixes = [
        {
            "id": f"00000000-0000-4000-8000-00000000000{i}",
            "recorded_at": (now - dt.timedelta(minutes=5 - i)).isoformat(),
            "lat": PLACE[0] + 0.05,
            "lon": PLACE[1],
            "accuracy_m": 10,
        }
        for i in range(4)
    ]
    record_checkins(device, fixes)
    assert not Alert.objects.filter(kind__in=["exit", "enter", "zone_exit", "zone_enter"]).exists()
    assert not Alert.objects.filter(zone__isnull=False).exists()
