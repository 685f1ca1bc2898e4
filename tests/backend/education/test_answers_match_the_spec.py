"""The education and resettlement answers match the published spec (the phone's first)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from backend.education.models import AttendanceRule
from backend.resettlement.services import check_deadlines
from tests.backend.education.helpers import enroll, make_session
from tests.backend.resettlement.scoping_ids import education_and_resettlement_ids
from tests.conftest import client_for, device_client, enroll_phone
from tests.openapi_helpers import assert_matches_spec

pytestmark = pytest.mark.django_db


def test_get_mobile_education_matches_the_spec(office_a: Any, subject_a: Any, officer_a: Any) -> None:
    _device, token = enroll_phone(subject_a, officer_a)
    enroll(make_session(office_a, start=timezone.now() + dt.timedelta(days=1)), subject_a)
    response = device_client(token).get("/api/v1/mobile/education")
    assert response.status_code == 200 and response.json()["upcoming"]
    assert_matches_spec(response, "/api/v1/mobile/education", "get")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/education-sessions",
        "/api/v1/education-enrollments",
        "/api/v1/attendance-rules",
        "/api/v1/education/hours-behind",
        "/api/v1/handover-steps",
        "/api/v1/resettlement-alerts",
        "/api/v1/assistance-teams",
        "/api/v1/assistance-team-members",
        "/api/v1/resettlement-visits",
        "/api/v1/safety-screenings",
        "/api/v1/resettlement-rates",
    ],
)
def test_staff_lists_match_the_spec(officer_a: Any, subject_a: Any, path: str) -> None:
    education_and_resettlement_ids(subject_a)
    check_deadlines()
    response = client_for(officer_a).get(path)
    assert response.status_code == 200
    assert_matches_spec(response, path, "get")


def test_the_rule_for_every_kind_answers_an_empty_kind_the_spec_allows(officer_a: Any) -> None:
    AttendanceRule.objects.update_or_create(kind="")
    response = client_for(officer_a).get("/api/v1/attendance-rules")
    assert response.status_code == 200 and "" in [rule["kind"] for rule in response.json()]
    assert_matches_spec(response, "/api/v1/attendance-rules", "get")
