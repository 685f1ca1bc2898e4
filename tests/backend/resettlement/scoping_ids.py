"""Ids of one office's education and resettlement records, by the API's collection names, for the
tests that walk every staff endpoint with another office's ids."""

from __future__ import annotations

import datetime as dt
from typing import Any


def education_and_resettlement_ids(subject: Any) -> dict[str, int]:
    """A session with ``subject`` enrolled, and a key person of the subject's office with steps,
    an alert, a team with a member, a visit and a screening."""
    from django.utils import timezone

    from backend.education.models import Enrollment
    from backend.education.services import create_session
    from backend.resettlement.models import (
        HandoverStep,
        ResettlementAlert,
        SafetyScreening,
        TeamMember,
        Visit,
    )
    from backend.resettlement.services import check_deadlines, create_team
    from tests.conftest import make_released_person

    start = timezone.now() - dt.timedelta(hours=3)
    session = create_session(
        None,
        office=subject.office,
        kind="group",
        topic="法律法规学习",
        place_name="教育基地",
        place_lat=37.15,
        place_lon=122.45,
        place_radius_m=100.0,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        capacity=10,
    )
    enrollment = Enrollment.objects.create(session=session, subject=subject)
    release = timezone.localdate() - dt.timedelta(days=2)
    person = make_released_person(
        subject.office, is_key_person=True, release_date=release, expected_release_date=release
    )
    check_deadlines()
    team = create_team(person)
    return {
        "education-sessions": session.pk,
        "education-enrollments": enrollment.pk,
        "handover-steps": HandoverStep.objects.filter(released_person=person, done_at__isnull=True)
        .first()
        .pk,
        "resettlement-alerts": ResettlementAlert.objects.filter(released_person=person).first().pk,
        "assistance-teams": team.pk,
        "assistance-team-members": TeamMember.objects.create(team=team, name="王主任", role="cadre").pk,
        "resettlement-visits": Visit.objects.create(
            released_person=person, visited_on=timezone.localdate(), place="家中"
        ).pk,
        "safety-screenings": SafetyScreening.objects.create(
            released_person=person, year=2026, quarter=3, hazard="low", screened_on=dt.date(2026, 9, 1)
        ).pk,
    }
