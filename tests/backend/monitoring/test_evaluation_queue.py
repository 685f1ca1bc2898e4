"""Queue mode: uploads only store and mark; evaluators (or the sweep) evaluate, in batches, exactly once."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import pytest
from django.test import override_settings
from django.utils import timezone

from tests.backend.monitoring.helpers import HOME, circle_zone, fix, post_checkins, track
from tests.conftest import device_client, enroll_phone, make_subject

pytestmark = pytest.mark.django_db

VICTIM = (HOME[0] + 0.01, HOME[1] + 0.01)


@pytest.fixture
def marked() -> Iterator[Callable[[], list[int]]]:
    """Queue mode; a function giving the persons whose fixes wait for an evaluator (their marks)."""
    from backend.monitoring.models import MonitorState

    def waiting() -> list[int]:
        return sorted(
            MonitorState.objects.filter(pending_since__isnull=False).values_list("subject_id", flat=True)
        )

    with override_settings(CHECKIN_EVALUATION="queue"):
        yield waiting


def phone_for(subject: Any, officer: Any) -> Any:
    _, token = enroll_phone(subject, officer)
    return device_client(token)


def alerts() -> list[tuple[int, str]]:
    from backend.monitoring.models import Alert

    return list(Alert.objects.order_by("seq").values_list("subject_id", "kind"))


def state(subject: Any) -> Any:
    from backend.monitoring.models import MonitorState

    return MonitorState.objects.get(subject=subject)


def test_an_upload_is_stored_and_marked_but_raises_nothing_itself(
    marked: Callable[[], list[int]], subject_a: Any, officer_a: Any
) -> None:
    circle_zone(subject_a, *VICTIM, 300)
    response = post_checkins(phone_for(subject_a, officer_a), track([VICTIM] * 4))
    assert response.status_code == 200 and response.json()["accepted"] == 4
    assert marked() == [subject_a.pk]
    assert alerts() == []
    assert state(subject_a).pending_since is not None and state(subject_a).evaluated_through_id == 0


def test_the_evaluator_raises_the_alert_once_and_clears_the_mark(
    marked: Callable[[], list[int]], subject_a: Any, officer_a: Any
) -> None:
    from backend.monitoring.models import CheckIn
    from backend.monitoring.services import evaluate_pending

    circle_zone(subject_a, *VICTIM, 300)
    post_checkins(phone_for(subject_a, officer_a), track([VICTIM] * 4))
    assert evaluate_pending(marked()) == 4
    assert alerts() == [(subject_a.pk, "entered_zone")]
    after = state(subject_a)
    assert after.pending_since is None
    assert after.evaluated_through_id == CheckIn.objects.latest("id").pk
    assert after.last_fix_at is not None and after.engine_state
    # A second round (another evaluator's, a sweep) finds nothing left to do.
    assert evaluate_pending(marked()) == 0 and evaluate_pending() == 0
    assert alerts() == [(subject_a.pk, "entered_zone")]


def test_several_uploads_of_several_people_are_evaluated_in_one_round(
    marked: Callable[[], list[int]], subject_a: Any, officer_a: Any, subject_b: Any, officer_b: Any
) -> None:
    """Two uploads per person (home, then the zone) coalesced into one round: one breach each."""
    from backend.monitoring.models import Alert
    from backend.monitoring.services import evaluate_pending

    phones = {subject_a.pk: phone_for(subject_a, officer_a), subject_b.pk: phone_for(subject_b, officer_b)}
    for subject in (subject_a, subject_b):
        circle_zone(subject, *VICTIM, 300)
    start = timezone.now() - dt.timedelta(minutes=30)
    # Two uploads each: first at home, then in the zone (the second upload opens the breach).
    for client in phones.values():
        post_checkins(client, track([HOME] * 3, start=start))
        post_checkins(client, track([VICTIM] * 4, start=start + dt.timedelta(minutes=5)))
    assert marked() == sorted(phones)
    assert evaluate_pending(marked()) == 14
    together = sorted((a.subject_id, a.kind, a.occurred_at) for a in Alert.objects.all())
    assert [(pk, kind) for pk, kind, _ in together] == sorted(
        [(subject_a.pk, "entered_zone"), (subject_b.pk, "entered_zone")]
    )


def test_a_mark_no_evaluator_took_is_swept(
    marked: Callable[[], list[int]], subject_a: Any, officer_a: Any
) -> None:
    from backend.monitoring.models import MonitorState
    from backend.monitoring.tasks import evaluate_waiting_checkins

    circle_zone(subject_a, *VICTIM, 300)
    post_checkins(phone_for(subject_a, officer_a), track([VICTIM] * 4))
    assert evaluate_waiting_checkins() == 0, "a fresh mark is left to the evaluators"
    MonitorState.objects.filter(subject=subject_a).update(
        pending_since=timezone.now() - dt.timedelta(seconds=30)
    )
    assert evaluate_waiting_checkins() == 4
    assert alerts() == [(subject_a.pk, "entered_zone")]


def test_one_person_whose_evaluation_fails_does_not_hold_up_the_others(
    marked: Callable[[], list[int]],
    subject_a: Any,
    officer_a: Any,
    subject_b: Any,
    officer_b: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from backend.monitoring import engine
    from backend.monitoring.services import evaluate_pending

    circle_zone(subject_a, *VICTIM, 300)
    circle_zone(subject_b, *VICTIM, 300)
    post_checkins(phone_for(subject_a, officer_a), track([VICTIM] * 4))
    post_checkins(phone_for(subject_b, officer_b), track([VICTIM] * 4))
    real = engine.evaluate_batch

    def broken_for_a(subjects: dict[int, Any], states: dict[int, Any], fixes: list[Any]) -> Any:
        if subject_a.pk in subjects:
            raise RuntimeError("a zone the engine cannot read")
        return real(subjects, states, fixes)

    monkeypatch.setattr(engine, "evaluate_batch", broken_for_a)
    assert evaluate_pending([subject_a.pk, subject_b.pk]) == 4
    assert sorted(alerts()) == sorted([(subject_b.pk, "entered_zone"), (subject_a.pk, "evaluation_failed")])
    assert state(subject_a).pending_since is None, "a's fixes are set aside, not retried every round"
    assert evaluate_pending() == 0
    monkeypatch.setattr(engine, "evaluate_batch", real)
    post_checkins(phone_for(subject_a, officer_a), track([VICTIM] * 4, start=timezone.now()))
    assert evaluate_pending() == 4, "a's later fixes are evaluated"
    assert (subject_a.pk, "entered_zone") in alerts()


def test_a_teleport_found_by_the_evaluator_is_stored_on_the_fix(
    marked: Callable[[], list[int]], subject_a: Any, officer_a: Any
) -> None:
    from backend.monitoring.models import CheckIn
    from backend.monitoring.services import evaluate_pending

    start = timezone.now() - dt.timedelta(minutes=10)
    fixes = [
        fix(*HOME, at=start),
        fix(*HOME, at=start + dt.timedelta(seconds=60)),
        # 300 km a minute later, then back home: an impossible jump.
        fix(HOME[0] + 2.7, HOME[1], at=start + dt.timedelta(seconds=120)),
        fix(*HOME, at=start + dt.timedelta(seconds=180)),
        fix(*HOME, at=start + dt.timedelta(seconds=240)),
    ]
    answer = post_checkins(phone_for(subject_a, officer_a), fixes).json()
    assert {r["quality"] for r in answer["results"]} == {"ok"}, "decided at receipt from the fix alone"
    evaluate_pending(marked())
    assert CheckIn.objects.get(client_id=fixes[2]["id"]).quality == "teleport"
    assert set(CheckIn.objects.exclude(client_id=fixes[2]["id"]).values_list("quality", flat=True)) == {"ok"}


def test_uploads_of_people_without_zones_are_evaluated_too(
    marked: Callable[[], list[int]], office_a: Any, officer_a: Any
) -> None:
    from backend.monitoring.services import evaluate_pending

    loner = make_subject(office_a, officer_a, home_lon=122.5)
    post_checkins(phone_for(loner, officer_a), [fix(mock_location=True), fix()])
    assert evaluate_pending(marked()) == 2
    assert alerts() == [(loner.pk, "mock_location")]
    assert state(loner).pending_since is None


def test_rounds_reuse_one_evaluator_until_someone_new_comes_or_a_zone_changes(
    marked: Callable[[], list[int]], subject_a: Any, officer_a: Any, subject_b: Any, officer_b: Any
) -> None:
    from backend.monitoring import engine
    from backend.monitoring.services import evaluate_pending

    phone_a, phone_b = phone_for(subject_a, officer_a), phone_for(subject_b, officer_b)
    circle_zone(subject_a, *VICTIM, 300)
    circle_zone(subject_b, HOME[0] - 0.05, HOME[1], 300)
    start = timezone.now() - dt.timedelta(minutes=30)
    post_checkins(phone_a, track([HOME] * 2, start=start))
    evaluate_pending(marked())
    first = engine._evaluator["evaluator"]
    post_checkins(phone_a, track([HOME] * 2, start=start + dt.timedelta(minutes=5)))
    evaluate_pending(marked())
    assert engine._evaluator["evaluator"] is first, "the same people and zones: built once"

    post_checkins(phone_b, track([HOME] * 2, start=start))
    evaluate_pending(marked())
    second = engine._evaluator["evaluator"]
    assert second is not first and set(second.person_ids) == {str(subject_a.pk), str(subject_b.pk)}

    # A zone drawn for b now is used at once: b walking into it is a breach.
    circle_zone(subject_b, *VICTIM, 300)
    post_checkins(phone_b, track([VICTIM] * 4, start=start + dt.timedelta(minutes=10)))
    evaluate_pending(marked())
    assert engine._evaluator["evaluator"] is not second
    assert alerts() == [(subject_b.pk, "entered_zone")]


def test_rounds_reuse_the_engine_state_they_stored_and_nothing_stale(
    marked: Callable[[], list[int]],
    subject_a: Any,
    officer_a: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """A breach needs two fixes in the zone; split over two rounds, the second must continue from
    the first's state, whether it is remembered or read back after someone else moved it."""
    from backend.monitoring import engine
    from backend.monitoring.models import MonitorState
    from backend.monitoring.services import evaluate_pending

    phone = phone_for(subject_a, officer_a)
    circle_zone(subject_a, *VICTIM, 300)
    start = timezone.now() - dt.timedelta(minutes=30)
    decoded: list[Any] = []
    real_decode = engine.state_from_json
    monkeypatch.setattr(engine, "state_from_json", lambda value: decoded.append(value) or real_decode(value))

    post_checkins(phone, track([VICTIM], start=start))
    with django_capture_on_commit_callbacks(execute=True):
        evaluate_pending(marked())
    stored = state(subject_a)
    assert engine._remembered[subject_a.pk][0] == stored.evaluated_through_id
    # The next round reuses it: nothing read back, and the second fix in the zone opens the breach.
    decoded.clear()
    post_checkins(phone, track([VICTIM], start=start + dt.timedelta(minutes=2)))
    with django_capture_on_commit_callbacks(execute=True):
        evaluate_pending(marked())
    assert decoded == [] and alerts() == [(subject_a.pk, "entered_zone")]

    # What this process remembers is from another cursor than the row's (another evaluator has
    # stored the person since): it must read the row's state back instead.
    MonitorState.objects.filter(subject=subject_a).update(engine_state={})
    cursor, remembered = engine._remembered[subject_a.pk]
    engine._remembered[subject_a.pk] = (cursor - 1, remembered)
    post_checkins(phone, track([HOME], start=start + dt.timedelta(minutes=4)))
    with django_capture_on_commit_callbacks(execute=True):
        evaluate_pending(marked())
    assert decoded and decoded[0] in ({}, "{}")


def test_a_round_that_rolls_back_is_not_remembered(
    marked: Callable[[], list[int]],
    subject_a: Any,
    officer_a: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from backend.monitoring import engine, services
    from backend.monitoring.services import evaluation

    circle_zone(subject_a, *VICTIM, 300)
    post_checkins(phone_for(subject_a, officer_a), track([VICTIM] * 2))

    def failing(positions: Any) -> None:
        raise RuntimeError("channel layer down")

    monkeypatch.setattr(evaluation, "publish_positions", failing)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        services.evaluate_pending(marked())
    assert subject_a.pk not in engine._remembered
    assert state(subject_a).pending_since is not None, "the mark stays for the next round"


def test_the_evaluator_takes_the_marked_persons_in_one_round(
    marked: Callable[[], list[int]], subject_a: Any, officer_a: Any, subject_b: Any, officer_b: Any
) -> None:
    """``run_evaluator`` polls the marks: one round evaluates everyone waiting; nothing waiting, no round."""
    from django.core.management import call_command

    from backend.monitoring import evaluation_queue

    for subject, officer in ((subject_a, officer_a), (subject_b, officer_b)):
        circle_zone(subject, *VICTIM, 300)
        post_checkins(phone_for(subject, officer), track([VICTIM] * 4))
    assert evaluation_queue.anything_waiting() and marked() == sorted([subject_a.pk, subject_b.pk])
    # (The command closes connections between polls; not the test's, which holds its transaction.)
    keep = mock.patch("backend.monitoring.management.commands.run_evaluator.close_old_connections")
    with (
        keep,
        mock.patch("backend.monitoring.management.commands.run_evaluator.wait_for_deliveries") as waited,
    ):
        call_command("run_evaluator", "--once", stdout=io.StringIO())
    assert waited.called, "the round's alerts are on their way before the next round"
    assert sorted(alerts()) == sorted([(subject_a.pk, "entered_zone"), (subject_b.pk, "entered_zone")])
    assert marked() == [] and not evaluation_queue.anything_waiting()
    with keep, mock.patch("backend.monitoring.management.commands.run_evaluator.evaluate_pending") as round_:
        call_command("run_evaluator", "--once", stdout=io.StringIO())
    assert not round_.called, "an idle poll is one probe, not a round"


def test_waiting_for_deliveries_waits_for_the_sends_in_flight_and_no_longer_than_told() -> None:
    """The evaluator's next round must not hold back the last round's sends (they need the GIL)."""
    import asyncio
    import time

    from backend.monitoring import events

    delivered: list[str] = []

    async def send(label: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        delivered.append(label)

    events._layer_loop.submit(send("alert", 0.05))
    events.wait_for_deliveries(timeout=5)
    assert delivered == ["alert"]
    stuck = events._layer_loop.submit(send("stuck", 30))
    started = time.monotonic()
    events.wait_for_deliveries(timeout=0.05)
    assert time.monotonic() - started < 2 and delivered == ["alert"], (
        "a stuck Redis does not stop the evaluator"
    )
    stuck.cancel()
    events.wait_for_deliveries(timeout=5)
    assert not events._layer_loop.pending


def test_an_evaluator_sends_the_latest_positions_at_most_every_interval(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    """Each round's positions cost two group sends: evaluators coalesce them (alerts go at once)."""
    from backend.monitoring import events

    sent: list[list[tuple[int, Any]]] = []
    monkeypatch.setattr(
        events,
        "_send_positions",
        lambda kept: sent.append(
            sorted((event["data"]["subject_id"], event["data"]["lat"]) for _office, event in kept)
        ),
    )

    def round_moves(*moves: tuple[int, float]) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            events.publish_positions([(1, {"subject_id": pk, "lat": lat, "lon": 122.0}) for pk, lat in moves])

    events.coalesce_positions(30.0)
    try:
        round_moves((7, 37.1))
        assert sent == [[(7, 37.1)]], "the first positions go at once"
        round_moves((7, 37.2), (8, 37.5))
        round_moves((7, 37.3))
        events.flush_positions()
        assert len(sent) == 1, "within the interval they are kept"
        with django_capture_on_commit_callbacks(execute=False):
            events.publish_positions(
                [(1, {"subject_id": 9, "lat": 1.0, "lon": 1.0})]
            )  # rolled back: never kept
        events.flush_positions(force=True)
        assert sent[1] == [(7, 37.3), (8, 37.5)], "the latest of each person, once"
        events.flush_positions(force=True)
        assert len(sent) == 2
    finally:
        events.coalesce_positions(None)
    round_moves((7, 37.4))
    assert sent[2] == [(7, 37.4)], "not coalescing: each round's at once"
