"""The demo county's education and resettlement steps: sessions of every kind with attendance,
released persons at every step of must-receive-must-deliver, and a late one's alert; twice is once."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def county(db: Any) -> None:
    from backend.monitoring.demo import add_fences, simulate_phones
    from backend.supervision.demo import load_demo_county

    load_demo_county(subjects=24, released=6)
    add_fences()
    simulate_phones()


def _run() -> tuple[str, str]:
    from backend.education.demo import load_demo_sessions
    from backend.resettlement.demo import load_demo_resettlement

    return load_demo_sessions(), load_demo_resettlement()


def test_the_demo_brings_every_kind_and_every_step(county: None) -> None:
    from backend.education.models import EducationSession, Enrollment
    from backend.resettlement.models import ResettlementAlert
    from backend.supervision.models import ReleasedPerson

    _run()

    assert set(EducationSession.objects.values_list("kind", flat=True)) == {"intake", "group", "service"}
    outcomes = set(Enrollment.objects.values_list("outcome", "source"))
    assert {("attended", "staff"), ("absent", "staff"), ("absent", "checkins")} <= outcomes
    assert ("attended", "checkins") in outcomes  # the home-visit intake, from the phone's fixes
    assert Enrollment.objects.filter(outcome="pending").exists()  # the upcoming session

    per_person = {
        p.pk: p.handover_steps.filter(done_at__isnull=False).count()
        for p in ReleasedPerson.objects.filter(handover_steps__isnull=False).distinct()
    }
    assert {1, 2, 3, 4} <= set(per_person.values())
    assert ResettlementAlert.objects.filter(status="open", step="met").exists()
    assert ReleasedPerson.objects.count() == 6  # the county keeps the people it was asked for


def test_twice_is_once(county: None) -> None:
    from backend.education.models import EducationSession, Enrollment
    from backend.resettlement.models import HandoverStep, ResettlementAlert

    _run()
    before = (
        EducationSession.objects.count(),
        sorted(Enrollment.objects.values_list("session_id", "subject_id", "outcome", "source")),
        sorted(HandoverStep.objects.values_list("released_person_id", "step", "deadline")),
        ResettlementAlert.objects.count(),
    )
    _run()
    after = (
        EducationSession.objects.count(),
        sorted(Enrollment.objects.values_list("session_id", "subject_id", "outcome", "source")),
        sorted(HandoverStep.objects.values_list("released_person_id", "step", "deadline")),
        ResettlementAlert.objects.count(),
    )
    assert after == before
