"""What is expected of a person lives in their monitoring state: their level's policy, changed
by the overrides of modules above monitoring (a positioning order), recomputed on demand; the
upload reads its interval from there, and the phone is told when its regime changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from tests.backend.monitoring.helpers import fix, post_checkins
from tests.conftest import device_client, enroll_phone

pytestmark = pytest.mark.django_db

ORDERED: set[int] = set()


def positioning_order(subject: Any) -> dict[str, Any] | None:
    """An override as casework registers one: continuous sampling under an active order."""
    if subject.pk not in ORDERED:
        return None
    return {
        "sampling_regime": "continuous",
        "sampling_interval": dt.timedelta(seconds=30),
        "checkin_interval": dt.timedelta(minutes=10),
        "source": f"positioning_order:{subject.pk}",
    }


@pytest.fixture
def override() -> Iterator[None]:
    from backend.monitoring.services.expectations import (
        register_expectation_override,
        unregister_expectation_override,
    )

    register_expectation_override(positioning_order)
    register_expectation_override(positioning_order)  # registering twice keeps one
    yield
    unregister_expectation_override(positioning_order)
    ORDERED.clear()


def test_a_new_phone_gets_its_levels_schedule(subject_a: Any, officer_a: Any) -> None:
    from backend.monitoring.models import MonitorState

    subject_a.supervision_level = "lenient"
    subject_a.save()
    _device, token = enroll_phone(subject_a, officer_a)
    state = MonitorState.objects.get(subject=subject_a)
    assert state.checkin_interval == dt.timedelta(hours=12)
    assert state.sampling_regime == "verification" and state.expectation_sources == ["level:lenient"]
    before = timezone.now()
    answer = post_checkins(device_client(token), [fix()]).json()
    due = dt.datetime.fromisoformat(answer["next_checkin_due"])
    assert before + dt.timedelta(hours=12) <= due <= timezone.now() + dt.timedelta(hours=12)


def test_an_order_switches_the_phone_to_continuous_and_back(
    override: None, subject_a: Any, officer_a: Any
) -> None:
    from backend.monitoring.models import MonitorState, PhoneCommand
    from backend.monitoring.services import recompute_expectations

    _device, token = enroll_phone(subject_a, officer_a)
    ORDERED.add(subject_a.pk)
    assert recompute_expectations([subject_a.pk]) == 1
    assert recompute_expectations([subject_a.pk]) == 0  # nothing new: nothing changes, nothing sent
    state = MonitorState.objects.get(subject=subject_a)
    assert (state.sampling_regime, state.sampling_interval) == ("continuous", dt.timedelta(seconds=30))
    assert state.checkin_interval == dt.timedelta(minutes=10)
    assert state.expectation_sources == ["level:normal", f"positioning_order:{subject_a.pk}"]
    assert state.next_checkin_due <= timezone.now() + dt.timedelta(minutes=10)
    commands = post_checkins(device_client(token), [fix()]).json()["commands"]
    assert [(c["kind"], c["payload"]) for c in commands] == [
        ("sampling", {"regime": "continuous", "interval_s": 30})
    ]

    ORDERED.discard(subject_a.pk)  # the order ends
    recompute_expectations([subject_a.pk])
    state.refresh_from_db()
    assert (state.sampling_regime, state.sampling_interval) == ("verification", None)
    assert state.checkin_interval == dt.timedelta(hours=4)
    pending = PhoneCommand.objects.filter(acknowledged_at__isnull=True, withdrawn_at__isnull=True)
    assert [c.payload for c in pending] == [{"regime": "verification", "interval_s": 14400}]


def test_a_new_phone_under_an_order_is_told_at_once(override: None, subject_a: Any, officer_a: Any) -> None:
    from backend.monitoring.models import PhoneCommand
    from backend.monitoring.services import recompute_expectations

    first, _token = enroll_phone(subject_a, officer_a)
    ORDERED.add(subject_a.pk)
    recompute_expectations([subject_a.pk])
    PhoneCommand.objects.update(acknowledged_at=timezone.now(), acknowledged_device=first)
    _second, token = enroll_phone(subject_a, officer_a)
    commands = device_client(token).get("/api/v1/mobile/commands").json()
    assert [c["payload"]["regime"] for c in commands] == ["continuous"]


def test_a_bad_override_is_a_programming_error(subject_a: Any) -> None:
    from backend.monitoring.services.expectations import (
        expectations_for,
        register_expectation_override,
        unregister_expectation_override,
    )

    def bad(subject: Any) -> dict[str, Any]:
        return {"checkin_interval": 60}

    register_expectation_override(bad)
    try:
        with pytest.raises(ValueError):
            expectations_for(subject_a)
    finally:
        unregister_expectation_override(bad)


def test_a_person_without_a_state_is_skipped(subject_a: Any) -> None:
    from backend.monitoring.services import recompute_expectations

    assert recompute_expectations([subject_a.pk, 987654]) == 0
    assert recompute_expectations([]) == 0


def test_the_task_recomputes(subject_a: Any, officer_a: Any) -> None:
    from backend.monitoring.models import MonitorState
    from backend.monitoring.tasks import recompute_expectations

    enroll_phone(subject_a, officer_a)
    MonitorState.objects.update(checkin_interval=dt.timedelta(hours=9))
    assert recompute_expectations.delay([subject_a.pk]).get() == 1
    assert MonitorState.objects.get().checkin_interval == dt.timedelta(hours=4)
