"""A subject whose supervision ends becomes a released person in resettlement help, once, and
nothing starts tracking them."""

from __future__ import annotations

from typing import Any

import pytest

from backend.supervision.models import ReleasedPerson
from backend.supervision.services import end_supervision
from tests.conftest import enroll_phone

pytestmark = pytest.mark.django_db


def test_ending_supervision_opens_the_record(subject_a: Any, officer_a: Any) -> None:
    device, _token = enroll_phone(subject_a, officer_a)
    end_supervision(subject_a)

    person = ReleasedPerson.objects.get(from_subject=subject_a)
    assert person.source == ReleasedPerson.Source.COMMUNITY_CORRECTION
    assert (person.office, person.name, person.id_number) == (
        subject_a.office,
        subject_a.name,
        subject_a.id_number,
    )
    assert person.status == ReleasedPerson.Status.IN_RESETTLEMENT
    assert person.received_at is not None
    assert (person.resettlement_end - person.release_date).days in (1826, 1827)
    assert not person.handover_steps.exists()  # not from prison: nobody waits at a gate
    device.refresh_from_db()
    assert device.revoked_at is not None  # the phone stops with the supervision


def test_ending_twice_opens_one_record(subject_a: Any) -> None:
    end_supervision(subject_a)
    end_supervision(subject_a)
    assert ReleasedPerson.objects.filter(from_subject=subject_a).count() == 1


def test_the_api_shows_where_the_record_came_from(subject_a: Any, officer_a: Any) -> None:
    from tests.conftest import client_for

    end_supervision(subject_a)
    person = ReleasedPerson.objects.get(from_subject=subject_a)
    body = client_for(officer_a).get(f"/api/v1/released-persons/{person.pk}").json()
    assert body["source"] == "correction"
    assert body["from_subject"] == subject_a.pk
    assert body["expected_release_date"] == person.expected_release_date.isoformat()
