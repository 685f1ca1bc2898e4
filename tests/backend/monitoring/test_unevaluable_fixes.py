"""A fix the engine cannot evaluate is set aside: kept, marked, shown to staff once, and the
person's later fixes (and everyone else's) are evaluated; the failure is not met again."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.backend.monitoring.helpers import HOME, circle_zone, fix, post_checkins, track
from tests.conftest import device_client, enroll_phone

pytestmark = pytest.mark.django_db

VICTIM = (HOME[0] + 0.01, HOME[1] + 0.01)
POISON_LAT = 12.345678  # the fix the broken engine below cannot evaluate


@pytest.fixture
def poisoned_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """An engine that fails on any batch holding a fix at ``POISON_LAT`` (a stand-in for any
    bug one person's data may trigger)."""
    from backend.monitoring import engine

    real = engine.evaluate_batch

    def evaluate(subjects: dict[int, Any], states: dict[int, Any], fixes: Any) -> Any:
        if (abs(fixes.lat - POISON_LAT) < 1e-9).any():
            raise OverflowError("date value out of range")
        return real(subjects, states, fixes)

    monkeypatch.setattr(engine, "evaluate_batch", evaluate)


def phone_for(subject: Any, officer: Any) -> Any:
    return device_client(enroll_phone(subject, officer)[1])


def kinds(subject: Any) -> list[str]:
    from backend.monitoring.models import Alert

    return list(Alert.objects.filter(subject=subject).order_by("seq").values_list("kind", flat=True))


def caught_up(subject: Any) -> bool:
    """Every stored fix of the person is behind the evaluation cursor and nothing is marked."""
    from backend.monitoring.models import CheckIn, MonitorState

    state = MonitorState.objects.get(subject=subject)
    newest = CheckIn.objects.filter(subject=subject).order_by("-id").values_list("id", flat=True).first()
    return state.pending_since is None and (newest is None or state.evaluated_through_id >= newest)


def poison(minutes_ago: int = 10) -> dict[str, Any]:
    return fix(POISON_LAT, HOME[1], at=timezone.now() - dt.timedelta(minutes=minutes_ago))


@pytest.fixture
def queue_mode() -> Iterator[None]:
    with override_settings(CHECKIN_EVALUATION="queue"):
        yield


def test_the_upload_is_answered_and_the_bad_fix_is_kept_and_marked(
    poisoned_engine: None, subject_a: Any, officer_a: Any
) -> None:
    from backend.monitoring.models import CheckIn

    response = post_checkins(phone_for(subject_a, officer_a), [poison()])
    assert response.status_code == 200 and response.json()["accepted"] == 1
    stored = CheckIn.objects.get(subject=subject_a)
    assert stored.evaluation_error.startswith("OverflowError")
    assert kinds(subject_a) == ["evaluation_failed"]
    assert caught_up(subject_a)


def test_later_fixes_of_the_person_are_evaluated_and_raise_their_alerts(
    poisoned_engine: None, subject_a: Any, officer_a: Any
) -> None:
    circle_zone(subject_a, *VICTIM, 300)
    phone = phone_for(subject_a, officer_a)
    assert post_checkins(phone, [poison(20)]).status_code == 200
    assert post_checkins(phone, track([VICTIM] * 4)).status_code == 200
    assert kinds(subject_a) == ["evaluation_failed", "entered_zone"]
    assert caught_up(subject_a)


def test_good_fixes_sent_with_the_bad_one_are_still_evaluated(
    poisoned_engine: None, subject_a: Any, officer_a: Any
) -> None:
    from backend.monitoring.models import CheckIn

    circle_zone(subject_a, *VICTIM, 300)
    response = post_checkins(phone_for(subject_a, officer_a), [poison(20), *track([VICTIM] * 4)])
    assert response.status_code == 200 and response.json()["accepted"] == 5
    assert sorted(kinds(subject_a)) == ["entered_zone", "evaluation_failed"]
    assert CheckIn.objects.exclude(evaluation_error="").count() == 1


def test_staff_are_alerted_once_while_that_alert_is_open(
    poisoned_engine: None, subject_a: Any, officer_a: Any
) -> None:
    phone = phone_for(subject_a, officer_a)
    for minutes in (30, 20, 10):
        assert post_checkins(phone, [poison(minutes)]).status_code == 200
    assert kinds(subject_a) == ["evaluation_failed"]


def test_the_set_aside_fix_shows_in_the_persons_track(
    poisoned_engine: None, subject_a: Any, officer_a: Any
) -> None:
    from tests.conftest import client_for

    post_checkins(phone_for(subject_a, officer_a), [poison(), fix()])
    points = client_for(officer_a).get(f"/api/v1/subjects/{subject_a.pk}/track").json()
    errors = sorted(point["evaluation_error"] for point in points)
    assert errors[0] == "" and errors[1].startswith("OverflowError")


def test_an_evaluator_sets_it_aside_once_and_evaluates_everyone_else(
    queue_mode: None,
    poisoned_engine: None,
    subject_a: Any,
    officer_a: Any,
    subject_b: Any,
    officer_b: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from backend.monitoring.services import evaluate_pending

    circle_zone(subject_a, *VICTIM, 300)
    circle_zone(subject_b, *VICTIM, 300)
    post_checkins(phone_for(subject_a, officer_a), [poison(20), *track([VICTIM] * 4)])
    post_checkins(phone_for(subject_b, officer_b), track([VICTIM] * 4))
    assert evaluate_pending() == 8
    assert sorted(kinds(subject_a)) == ["entered_zone", "evaluation_failed"]
    assert kinds(subject_b) == ["entered_zone"]
    assert caught_up(subject_a) and caught_up(subject_b)
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        assert evaluate_pending() == 0
    assert not caplog.records, "the failure is not met again in the next round"


# A phone's clock may say anything inside the accepted window; with a curfew zone (a schedule),
# an inclusion zone and an exclusion zone, no time it sends may stop its person's evaluation.
WINDOW_TIMES = st.datetimes(
    min_value=dt.datetime(1970, 1, 2),
    max_value=dt.datetime(2099, 12, 30),
    timezones=st.sampled_from(
        [dt.UTC, dt.timezone(dt.timedelta(hours=14)), dt.timezone(dt.timedelta(hours=-12))]
    ),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(times=st.lists(WINDOW_TIMES, min_size=1, max_size=4))
def test_no_time_a_phone_sends_stops_the_evaluation_of_its_person(
    subject_a: Any, officer_a: Any, times: list[dt.datetime]
) -> None:
    from backend.monitoring.models import CheckIn, Zone

    if not Zone.objects.filter(subject=subject_a).exists():
        circle_zone(
            subject_a,
            *HOME,
            500,
            kind="inclusion",
            purpose="curfew",
            schedule={"tz": "Asia/Shanghai", "windows": [{"start": "22:00", "end": "06:00"}]},
        )
        circle_zone(subject_a, *VICTIM, 300)
    phone = phone_for(subject_a, officer_a) if not hasattr(subject_a, "_phone") else subject_a._phone
    subject_a._phone = phone
    response = post_checkins(phone, [fix(*VICTIM, at=moment) for moment in times])
    assert response.status_code == 200, response.content
    assert caught_up(subject_a)
    assert not CheckIn.objects.filter(subject=subject_a).exclude(evaluation_error="").exists()
