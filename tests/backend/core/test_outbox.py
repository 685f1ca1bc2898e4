"""Tasks asked for by a transaction are queued after its commit whatever the broker does
(``backend.core.outbox``): a broker that refuses leaves them in the outbox, the caller never sees
the broker's error, the commit's other hooks still run, and the job hands them over later; a task
handed over stays in the outbox until it has run, and is handed over again if it never does (its
worker was killed)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock

import pytest
from celery import states
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from backend.core import outbox
from backend.core.models import OutboxTask
from backend.core.tasks import publish_outbox

pytestmark = pytest.mark.django_db

BROKER_DOWN = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


def _later(seconds: float = 60) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=seconds)


def _done(call: Any) -> None:
    """What a worker does after running the task it was handed: ``task_postrun`` with success."""
    outbox._task_done(task_id=call.kwargs["task_id"], state=states.SUCCESS)


def test_a_task_is_handed_over_after_the_commit_and_its_row_goes_when_it_has_run(
    django_capture_on_commit_callbacks: Any,
) -> None:
    from backend.monitoring.tasks import recompute_expectations

    with (
        mock.patch.object(recompute_expectations, "apply_async") as queued,
        django_capture_on_commit_callbacks(execute=True) as hooks,
        transaction.atomic(),
    ):
        outbox.queue_on_commit(recompute_expectations, [7, 8])
        assert OutboxTask.objects.get().args == [[7, 8]]  # recorded with the work
        queued.assert_not_called()  # nothing before the commit
    assert len(hooks) == 1
    [call] = queued.call_args_list
    assert call.kwargs["args"] == [[7, 8]] and call.kwargs["retry"] is False
    row = OutboxTask.objects.get()
    assert call.kwargs["task_id"].startswith(f"outbox-{row.pk}-")
    assert row.handed_over_at is not None and row.attempts == 1  # taken by the broker, not yet run
    outbox._task_done(task_id=call.kwargs["task_id"], state=states.FAILURE)
    assert OutboxTask.objects.exists()  # a failed run keeps it
    _done(call)
    assert not OutboxTask.objects.exists()
    outbox._task_done(task_id="a-task-of-its-own", state=states.SUCCESS)  # other tasks: nothing


def test_a_rolled_back_transaction_queues_nothing() -> None:
    from backend.monitoring.tasks import recompute_expectations

    with (
        mock.patch.object(recompute_expectations, "apply_async") as queued,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        outbox.queue_on_commit(recompute_expectations, [1])
        raise RuntimeError("the work failed")
    queued.assert_not_called()
    assert not OutboxTask.objects.exists()


def test_a_broker_that_is_down_keeps_the_task_and_the_commit_goes_on(
    django_capture_on_commit_callbacks: Any,
) -> None:
    from backend.monitoring.tasks import recompute_expectations

    after: list[str] = []
    with (
        mock.patch.object(recompute_expectations, "apply_async", side_effect=BROKER_DOWN),
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        outbox.queue_on_commit(recompute_expectations, [3])
        transaction.on_commit(lambda: after.append("the next hook ran"))
    assert after == ["the next hook ran"]  # the broker's error stopped nothing
    row = OutboxTask.objects.get()
    assert row.attempts == 1 and row.handed_over_at is None and "Connection refused" in row.last_error

    # The job: the row is too young at first (its own hook may still be running), then too old.
    with mock.patch.object(recompute_expectations, "apply_async") as queued:
        assert outbox.publish_waiting() == 0
        assert outbox.publish_waiting(now=_later()) == 1
    [call] = queued.call_args_list
    assert call.kwargs["args"] == [[3]]
    _done(call)
    assert not OutboxTask.objects.exists()


def test_a_task_handed_over_and_never_done_is_handed_over_again(
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The worker that took it was killed: the broker would give it back after an hour."""
    from backend.monitoring.tasks import push_alert_to_staff

    with (
        mock.patch.object(push_alert_to_staff, "apply_async") as queued,
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        outbox.queue_on_commit(push_alert_to_staff, 41)
    with mock.patch.object(push_alert_to_staff, "apply_async") as again:
        assert outbox.publish_waiting(now=_later(60)) == 0  # handed over a minute ago: may be running
        assert outbox.publish_waiting(now=_later(outbox.REQUEUE_AFTER_S + 1)) == 1
    first, second = queued.call_args_list[0], again.call_args_list[0]
    assert first.kwargs["task_id"] != second.kwargs["task_id"]
    _done(first)  # whichever copy runs first ends it; the other one finds nothing left to do
    assert not OutboxTask.objects.exists()


def test_a_worker_that_starts_hands_over_everything_waiting(django_capture_on_commit_callbacks: Any) -> None:
    from backend.monitoring.tasks import push_alert_to_staff

    with (
        mock.patch.object(push_alert_to_staff, "apply_async"),
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        outbox.queue_on_commit(push_alert_to_staff, 42)
    with mock.patch.object(push_alert_to_staff, "apply_async") as queued:
        assert publish_outbox.apply().get() == 0  # the periodic run: handed over just now
        assert publish_outbox.apply(kwargs={"at_start": True}).get() == 1
    assert queued.call_args.kwargs["args"] == [42]


def test_the_job_stops_at_the_first_refusal_keeps_the_order_and_gives_up_after_max_attempts(
    django_capture_on_commit_callbacks: Any,
) -> None:
    from backend.monitoring.tasks import recompute_expectations

    with (
        mock.patch.object(recompute_expectations, "apply_async", side_effect=BROKER_DOWN),
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        for i in range(3):
            outbox.queue_on_commit(recompute_expectations, [i])
    with mock.patch.object(recompute_expectations, "apply_async", side_effect=BROKER_DOWN) as refused:
        assert outbox.publish_waiting(now=_later()) == 0
    assert refused.call_count == 1  # one refusal: the broker is away, the others wait
    sent: list[Any] = []
    with mock.patch.object(
        recompute_expectations, "apply_async", side_effect=lambda **kw: sent.append(kw["args"])
    ):
        assert outbox.publish_waiting(now=_later()) == 3
    assert sent == [[[0]], [[1]], [[2]]]
    OutboxTask.objects.update(attempts=outbox.MAX_ATTEMPTS, handed_over_at=None)
    with mock.patch.object(recompute_expectations, "apply_async") as queued:
        assert outbox.publish_waiting(now=_later(3600)) == 0
    queued.assert_not_called()
    assert OutboxTask.objects.count() == 3  # left for an operator, in the admin


def test_a_row_naming_an_unknown_task_is_left_for_an_operator(caplog: Any) -> None:
    OutboxTask.objects.create(task="backend.gone.tasks.removed", args=[1])
    assert outbox.publish_waiting(now=_later()) == 0
    assert OutboxTask.objects.count() == 1
    assert "names no known task" in caplog.text


def test_a_critical_alert_is_recorded_and_its_wake_up_kept_while_the_broker_is_down(
    subject_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from backend.monitoring.models import Alert
    from backend.monitoring.services import raise_alert
    from backend.monitoring.tasks import push_alert_to_staff

    with (
        mock.patch.object(push_alert_to_staff, "apply_async", side_effect=BROKER_DOWN),
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        alert = raise_alert(
            subject_a, kind="left_zone", severity="critical", occurred_at=timezone.now(), dedupe_key="t:1"
        )
    assert Alert.objects.filter(pk=alert.pk).exists()
    row = OutboxTask.objects.get()
    assert (row.task, row.args) == ("backend.monitoring.tasks.push_alert_to_staff", [alert.pk])
    with mock.patch.object(push_alert_to_staff, "apply_async") as queued:
        assert outbox.publish_waiting(now=_later()) == 1
    assert queued.call_args.kwargs["args"] == [alert.pk]


def test_in_the_embedded_default_the_task_runs_after_the_commit(
    subject_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Tasks run eagerly without a broker: the hand-over runs the task (its row goes), and a task
    that fails stays in the outbox for the job to run again."""
    from backend.monitoring.tasks import note_contact_resumed

    with (
        mock.patch("backend.monitoring.services.note_contact_resumed", side_effect=RuntimeError("bug")),
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
    ):
        outbox.queue_on_commit(note_contact_resumed, subject_a.pk)
    assert OutboxTask.objects.get().last_error == "RuntimeError: bug"
    with mock.patch("backend.monitoring.services.note_contact_resumed", return_value=0) as ran:
        assert outbox.publish_waiting(now=_later()) == 1
    ran.assert_called_once_with(subject_a.pk)
    assert not OutboxTask.objects.exists()
