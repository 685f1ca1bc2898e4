"""Queue mode: uploads only store and mark; evaluators (or the sweep) evaluate, in batches, exactly once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from tests.backend.monitoring.helpers import HOME, circle_zone, fix, post_checkins, track
from tests.conftest import device_client, enroll_phone, make_subject

pytestmark = pytest.mark.django_db

VICTIM = (HOME[0] + 0.01, HOME[1] + 0.01)


@pytest.fixture
def rung(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Queue mode; the ids rung for (the NOTIFY payloads), read back from what was sent."""
    from django.db import connection

    from backend.monitoring import evaluation_queue

    calls: list[int] = []
    monkeypatch.setattr(evaluation_queue, "ring", calls.append)
    if connection.vendor == "postgresql":
        # The upload's own statement sends pg_notify; the test transaction never commits, so
        # the ring is read from the statement's parameters instead of a LISTEN.
        from backend.monitoring import services

        real = services._store_upload_postgresql

        def recording(phone: Any, *args: Any, ring: bool, **kwargs: Any) -> Any:
            stored = real(phone, *args, ring=ring, **kwargs)
            if ring and stored is not None and stored[2]:  # (device, next due, ids stored, reminders)
                calls.append(stored[0].subject_id)
            return stored

        monkeypatch.setattr(services, "_store_upload_postgresql", recording)
    with override_settings(CHECKIN_EVALUATION="queue"):
        yield calls


def phone_for(subject: Any, officer: Any) -> Any:
    _, token = enroll_phone(subject, officer)
    return device_client(token)


def alerts() -> list[tuple[int, str]]:
    from backend.monitoring.models import Alert

    return list(Alert.objects.order_by("seq").values_list("subject_id", "kind"))


def state(subject: Any) -> Any:
    from backend.monitoring.models import MonitorState

    return MonitorState.objects.get(subject=subject)


def test_an_upload_is_stored_and_marked_and_rings_but_raises_nothing_itself(rung: list[int], subject_a: Any,
                                                                              officer_a: Any) -> None:
    circle_zone(subject_a, *VICTIM, 300)
    response = post_checkins(phone_for(subject_a, officer_a), track([VICTIM] * 4))
    assert response.status_code == 200 and response.json()["accepted"] == 4
    assert rung == [subject_a.pk]
    assert alerts() == []
    assert state(subject_a).pending_since is not None and state(subject_a).evaluated_through_id == 0


def test_the_evaluator_raises_the_alert_once_and_clears_the_mark(rung: list[int], subject_a: Any,
                                                                   officer_a: Any) -> None:
    from backend.monitoring.models import CheckIn
    from backend.monitoring.services import evaluate_pending

    circle_zone(subject_a, *VICTIM, 300)
    post_checkins(phone_for(subject_a, officer_a), track([VICTIM] * 4))
    assert evaluate_pending(rung) == 4
    assert alerts() == [(subject_a.pk, "entered_zone")]
    after = state(subject_a)
    assert after.pending_since is None
    assert after.evaluated_through_id == CheckIn.objects.latest("id").pk
    assert after.last_fix_at is not None and after.engine_state
    # A second round (a duplicate ring, a sweep) finds nothing left to do.
    assert evaluate_pending(rung) == 0 and evaluate_pending() == 0
    assert alerts() == [(subject_a.pk, "entered_zone")]


def test_several_uploads_of_several_people_are_evaluated_in_one_round(rung: list[int], subject_a: Any,
                                                                       officer_a: Any, subject_b: Any,
                                                                       officer_b: Any) -> None:
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
    assert sorted(set(rung)) == sorted(phones)
    assert evaluate_pending(list(set(rung))) == 14
    together = sorted((a.subject_id, a.kind, a.occurred_at) for a in Alert.objects.all())
    assert [(pk, kind) for pk, kind, _ in together] == sorted([(subject_a.pk, "entered_zone"),
                                                               (subject_b.pk, "entered_zone")])


def test_a_mark_left_by_a_lost_ring_is_swept(rung: list[int], subject_a: Any, officer_a: Any) -> None:
    from backend.monitoring.models import MonitorState
    from backend.monitoring.tasks import evaluate_waiting_checkins

    circle_zone(subject_a, *VICTIM, 300)
    post_checkins(phone_for(subject_a, officer_a), track([VICTIM] * 4))
    rung.clear()  # the ring never reached an evaluator
    assert evaluate_waiting_checkins() == 0, "a fresh mark is left to the evaluators"
    MonitorState.objects.filter(subject=subject_a).update(pending_since=timezone.now() - dt.timedelta(seconds=30))
    assert evaluate_waiting_checkins() == 4
    assert alerts() == [(subject_a.pk, "entered_zone")]


def test_one_person_whose_evaluation_fails_does_not_hold_up_the_others(
        rung: list[int], subject_a: Any, officer_a: Any, subject_b: Any, officer_b: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
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
    assert alerts() == [(subject_b.pk, "entered_zone")]
    assert state(subject_a).pending_since is not None, "a's fixes stay marked for the next sweep"
    monkeypatch.setattr(engine, "evaluate_batch", real)
    assert evaluate_pending() == 4
    assert sorted(alerts()) == sorted([(subject_b.pk, "entered_zone"), (subject_a.pk, "entered_zone")])


def test_a_teleport_found_by_the_evaluator_is_stored_on_the_fix(rung: list[int], subject_a: Any,
                                                                officer_a: Any) -> None:
    from backend.monitoring.models import CheckIn
    from backend.monitoring.services import evaluate_pending

    start = timezone.now() - dt.timedelta(minutes=10)
    fixes = [fix(*HOME, at=start), fix(*HOME, at=start + dt.timedelta(seconds=60)),
             # 300 km a minute later, then back home: an impossible jump.
             fix(HOME[0] + 2.7, HOME[1], at=start + dt.timedelta(seconds=120)),
             fix(*HOME, at=start + dt.timedelta(seconds=180)), fix(*HOME, at=start + dt.timedelta(seconds=240))]
    answer = post_checkins(phone_for(subject_a, officer_a), fixes).json()
    assert {r["quality"] for r in answer["results"]} == {"ok"}, "decided at receipt from the fix alone"
    evaluate_pending(rung)
    assert CheckIn.objects.get(client_id=fixes[2]["id"]).quality == "teleport"
    assert set(CheckIn.objects.exclude(client_id=fixes[2]["id"]).values_list("quality", flat=True)) == {"ok"}


def test_uploads_of_people_without_zones_are_evaluated_too(rung: list[int], office_a: Any, officer_a: Any) -> None:
    from backend.monitoring.services import evaluate_pending

    loner = make_subject(office_a, officer_a, home_lon=122.5)
    post_checkins(phone_for(loner, officer_a), [fix(mock_location=True), fix()])
    assert evaluate_pending(rung) == 2
    assert alerts() == [(loner.pk, "mock_location")]
    assert state(loner).pending_since is None


def test_rounds_reuse_one_evaluator_until_someone_new_comes_or_a_zone_changes(
        rung: list[int], subject_a: Any, officer_a: Any, subject_b: Any, officer_b: Any) -> None:
    from backend.monitoring import engine
    from backend.monitoring.services import evaluate_pending

    phone_a, phone_b = phone_for(subject_a, officer_a), phone_for(subject_b, officer_b)
    circle_zone(subject_a, *VICTIM, 300)
    circle_zone(subject_b, HOME[0] - 0.05, HOME[1], 300)
    start = timezone.now() - dt.timedelta(minutes=30)
    post_checkins(phone_a, track([HOME] * 2, start=start))
    evaluate_pending(rung)
    first = engine._evaluator["evaluator"]
    post_checkins(phone_a, track([HOME] * 2, start=start + dt.timedelta(minutes=5)))
    evaluate_pending(rung)
    assert engine._evaluator["evaluator"] is first, "the same people and zones: built once"

    post_checkins(phone_b, track([HOME] * 2, start=start))
    evaluate_pending(rung)
    second = engine._evaluator["evaluator"]
    assert second is not first and set(second.person_ids) == {str(subject_a.pk), str(subject_b.pk)}

    # A zone drawn for b now is used at once: b walking into it is a breach.
    circle_zone(subject_b, *VICTIM, 300)
    post_checkins(phone_b, track([VICTIM] * 4, start=start + dt.timedelta(minutes=10)))
    evaluate_pending(rung)
    assert engine._evaluator["evaluator"] is not second
    assert alerts() == [(subject_b.pk, "entered_zone")]


def test_rounds_reuse_the_engine_state_they_stored_and_nothing_stale(
        rung: list[int], subject_a: Any, officer_a: Any, monkeypatch: pytest.MonkeyPatch,
        django_capture_on_commit_callbacks: Any) -> None:
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
        evaluate_pending(rung)
    stored = state(subject_a)
    assert engine._remembered[subject_a.pk][0] == stored.evaluated_through_id
    # The next round reuses it: nothing read back, and the second fix in the zone opens the breach.
    decoded.clear()
    post_checkins(phone, track([VICTIM], start=start + dt.timedelta(minutes=2)))
    with django_capture_on_commit_callbacks(execute=True):
        evaluate_pending(rung)
    assert decoded == [] and alerts() == [(subject_a.pk, "entered_zone")]

    # What this process remembers is from another cursor than the row's (another evaluator has
    # stored the person since): it must read the row's state back instead.
    MonitorState.objects.filter(subject=subject_a).update(engine_state={})
    cursor, remembered = engine._remembered[subject_a.pk]
    engine._remembered[subject_a.pk] = (cursor - 1, remembered)
    post_checkins(phone, track([HOME], start=start + dt.timedelta(minutes=4)))
    with django_capture_on_commit_callbacks(execute=True):
        evaluate_pending(rung)
    assert decoded and decoded[0] in ({}, "{}")


def test_a_round_that_rolls_back_is_not_remembered(rung: list[int], subject_a: Any, officer_a: Any,
                                                   django_capture_on_commit_callbacks: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from backend.monitoring import engine, services

    circle_zone(subject_a, *VICTIM, 300)
    post_checkins(phone_for(subject_a, officer_a), track([VICTIM] * 2))

    def failing(positions: Any) -> None:
        raise RuntimeError("channel layer down")

    monkeypatch.setattr(services, "publish_positions", failing)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        services.evaluate_pending(rung)
    assert subject_a.pk not in engine._remembered
    assert state(subject_a).pending_since is not None, "the mark stays for the next round"


def test_the_listener_gathers_the_rings_of_its_window_in_one_read() -> None:
    """Rings committed before and during the gathering window all come back, once each, in order."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the doorbell is PostgreSQL's LISTEN/NOTIFY")
    import threading
    import time

    import psycopg

    from backend.monitoring import evaluation_queue

    listener = evaluation_queue.Listener()
    listener.listen()
    params = connection.settings_dict
    ringer = psycopg.connect(dbname=params["NAME"], user=params.get("USER") or None, host=params.get("HOST") or None,
                             port=str(params["PORT"]) if params.get("PORT") else None, autocommit=True)
    try:
        assert listener.wait(timeout_s=0.05) == []

        def ring(ids: list[int]) -> None:
            for pk in ids:
                ringer.execute("SELECT pg_notify(%s, %s)", [evaluation_queue.channel(), str(pk)])

        ring([3, 1, 3])
        late = threading.Timer(evaluation_queue.GATHER_S / 3, ring, [[2, 1]])  # inside the window
        late.start()
        started = time.monotonic()
        first = listener.wait(timeout_s=2.0)
        assert time.monotonic() - started < 1.0
        late.join()
        # The late rings land in this window unless the machine ran the timer past it: then
        # they are the next call's, never lost.
        assert first in ([3, 1, 2], [3, 1])
        rest = listener.wait(timeout_s=0.5)
        assert rest == ([] if first == [3, 1, 2] else [2, 1])
        assert listener.wait(timeout_s=0.05) == []
    finally:
        ringer.close()
        listener.close()
