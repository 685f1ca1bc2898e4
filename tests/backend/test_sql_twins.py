"""Every step written out in PostgreSQL SQL gives what its generic (ORM or plain SQL) twin gives.

Each test runs both on the same input on PostgreSQL: the hand-written statement of the hot path
and the version other databases run. A step that writes runs each twin in a transaction rolled
back afterwards, so both start from the same rows. Like ``tests/geofence/test_fix_quality.py``
(scalar vs vector rules), the twins are held equal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from django.db import connection, transaction  # noqa: F401  (connection: the skip condition)
from django.utils import timezone

from tests.backend.monitoring.helpers import fix, track
from tests.conftest import enroll_phone, make_subject

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'",
        reason="the hand-written statements are PostgreSQL's; on SQLite only the generic twin runs",
    ),
]

CHECKIN_FIELDS = (
    "subject_id",
    "device_id",
    "client_id",
    "body_hash",
    "recorded_at",
    "received_at",
    "clock_skew_s",
    "lat",
    "lon",
    "raw_lat",
    "raw_lon",
    "crs",
    "accuracy_m",
    "altitude_m",
    "speed_mps",
    "battery",
    "charging",
    "mock_location",
    "provider",
    "quality",
)
STATE_FIELDS = (
    "last_checkin_received_at",
    "next_checkin_due",
    "offline_alerted_at",
    "pending_since",
    "engine_state",
    "evaluated_through_id",
    "last_lat",
    "last_lon",
    "last_accuracy_m",
    "last_fix_at",
)


def rolled_back(step: Callable[[], Any], read: Callable[[], Any]) -> tuple[Any, Any]:
    """``(step's answer, what ``read`` finds after it)``, then everything the step wrote undone."""
    with transaction.atomic():
        answer = step()
        found = read()
        transaction.set_rollback(True)
    return answer, found


def stored(subject: Any) -> tuple[list[tuple[Any, ...]], dict[str, Any]]:
    from backend.monitoring.models import CheckIn, MonitorState

    rows = sorted(
        CheckIn.objects.filter(subject=subject).values_list(*CHECKIN_FIELDS), key=lambda r: str(r[2])
    )
    return rows, MonitorState.objects.filter(subject=subject).values(*STATE_FIELDS).get()


@pytest.fixture
def phone(subject_a: Any, officer_a: Any) -> Any:
    device, _token = enroll_phone(subject_a, officer_a)
    return device


def parsed(items: list[dict[str, Any]], received_at: dt.datetime) -> tuple[list[Any], list[Any]]:
    from backend.monitoring import engine
    from backend.monitoring.checkin_input import parse_fix

    fixes = [parse_fix(item)[0] for item in items]
    assert all(f is not None for f in fixes)
    return fixes, engine.at_receipt(fixes, received_at)


def upload_batch() -> list[dict[str, Any]]:
    items = track([(37.15, 122.35), (37.151, 122.351), (0.0, 0.0)])  # the last one is null island
    items[0].update(battery=42.5, charging=True, altitude_m=12.0, speed_mps=1.5, provider='gps "fused"\\x')
    items[1].update(crs="gcj02", mock_location=True)
    return items


# ---------------------------------------------------------------------------------------------
# Storing an upload, and the next check-in's due time
# ---------------------------------------------------------------------------------------------


STATE_FIELDS_AFTER_UPLOAD = (*STATE_FIELDS, "lost_contact_alerted_at", "contact_resumed_at")


@pytest.mark.parametrize("level", ["strict", "normal", "lenient"])
@pytest.mark.parametrize("was_offline", [False, True])
def test_an_upload_stores_the_same_rows_and_state_either_way(
    subject_a: Any, phone: Any, level: str, was_offline: bool
) -> None:
    from backend.monitoring.models import MonitorState
    from backend.monitoring.services import ingestion
    from backend.supervision.services import change_level

    if level != subject_a.supervision_level:
        change_level(subject_a, level, "twin test", None)
    phone.subject.supervision_level = level
    received_at = timezone.now()
    # One fix already stored: both twins must skip it.
    ingestion.record_checkins(phone, [first := fix(at=received_at - dt.timedelta(hours=1))])
    if was_offline:  # a silence had raised both warnings: this upload ends it
        MonitorState.objects.filter(subject=subject_a).update(
            offline_alerted_at=received_at - dt.timedelta(hours=2),
            lost_contact_alerted_at=received_at - dt.timedelta(hours=1),
        )
    fixes, receipt = parsed([first, *upload_batch()], received_at)

    def postgresql() -> Any:
        _device, next_due, inserted, _reminders, _commands, resumed = ingestion._store_upload_postgresql(
            phone, fixes, receipt, received_at, True, 1.25
        )
        return next_due, inserted, resumed

    def generic() -> Any:
        return ingestion._store_upload(subject_a, phone, fixes, receipt, received_at, True, 1.25)

    def read() -> Any:
        rows, _state = stored(subject_a)
        return rows, MonitorState.objects.filter(subject=subject_a).values(*STATE_FIELDS_AFTER_UPLOAD).get()

    (due_sql, ids_sql, resumed_sql), rows_sql = rolled_back(postgresql, read)
    (due_orm, ids_orm, resumed_orm), rows_orm = rolled_back(generic, read)
    assert due_sql == due_orm
    assert due_sql == received_at + MonitorState.objects.get(subject=subject_a).checkin_interval
    assert resumed_sql is resumed_orm is was_offline
    assert ids_sql == ids_orm == {f.client_id for f in fixes[1:]}
    assert rows_sql == rows_orm
    assert len(rows_sql[0]) == 4
    assert rows_sql[1]["offline_alerted_at"] is None and rows_sql[1]["lost_contact_alerted_at"] is None


def test_an_upload_of_nothing_valid_notes_the_contact_the_same_either_way(subject_a: Any, phone: Any) -> None:
    from backend.monitoring.models import MonitorState
    from backend.monitoring.services import ingestion

    received_at = timezone.now()
    MonitorState.objects.filter(subject=subject_a).update(offline_alerted_at=received_at)

    def read() -> Any:
        return MonitorState.objects.filter(subject=subject_a).values(*STATE_FIELDS_AFTER_UPLOAD).get()

    (_d, due_sql, _i, _r, _c, resumed_sql), found_sql = rolled_back(
        lambda: ingestion._store_upload_postgresql(phone, [], [], received_at, False, 0.0), read
    )
    (due_orm, _ids, resumed_orm), found_orm = rolled_back(
        lambda: ingestion._store_upload(subject_a, phone, [], [], received_at, False, 0.0), read
    )
    assert found_sql == found_orm
    assert due_sql is due_orm is None and resumed_sql is resumed_orm is False
    assert found_sql["offline_alerted_at"] == received_at  # nothing valid: the silence goes on


def test_the_pending_commands_come_the_same_either_way(subject_a: Any, phone: Any) -> None:
    from backend.monitoring.models import PhoneCommand
    from backend.monitoring.services import ingestion
    from backend.monitoring.services.commands import pending_commands, send_command

    now = timezone.now()
    send_command(subject_a, "fix_now", {"reason": "宵禁核查"}, dedupe_key="a")
    send_command(subject_a, "sampling", {"regime": "continuous", "interval_s": 60})
    send_command(subject_a, "fix_now", {"reason": "old"}, expires_at=now - dt.timedelta(seconds=1))
    acked = send_command(subject_a, "fix_now", {"reason": "done"})
    PhoneCommand.objects.filter(pk=acked.pk).update(acknowledged_at=now)
    send_command(
        subject_a,
        "leave_decision",
        {"leave_request": 7, "status": "approved", "note": "按时销假"},
        expires_at=now + dt.timedelta(days=3),
    )

    def delivered() -> Any:
        return sorted(PhoneCommand.objects.filter(subject=subject_a).values_list("pk", "delivered_at"))

    answer_sql, marks_sql = rolled_back(
        lambda: ingestion._store_upload_postgresql(phone, [], [], now, False, 0.0)[4], delivered
    )
    answer_orm, marks_orm = rolled_back(lambda: pending_commands(subject_a.pk, now), delivered)
    assert answer_sql == answer_orm
    assert [c["kind"] for c in answer_sql] == ["fix_now", "sampling", "leave_decision"]
    assert marks_sql == marks_orm
    assert sum(1 for _pk, at in marks_sql if at == now) == 3


def test_the_fixes_a_phone_already_sent_are_found_the_same_either_way(phone: Any) -> None:
    from backend.monitoring.services import ingestion

    sent = upload_batch()
    ingestion.record_checkins(phone, sent)
    ids = [item["id"] for item in sent] + [fix()["id"]]  # one never sent
    known = ingestion._known_fixes(phone, ids)
    assert known == ingestion._known_fixes(phone, ids, generic=True)
    assert set(known) == {item["id"] for item in sent}


# ---------------------------------------------------------------------------------------------
# Evaluation: the lock and read, the stored states, the states stored
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def waiting(subject_a: Any, officer_a: Any, settings: Any) -> Iterator[list[int]]:
    """Three persons with fixes waiting for evaluation (stored, not evaluated), one evaluated before."""
    from backend.monitoring.services import evaluate_pending, ingestion

    settings.CHECKIN_EVALUATION = "queue"
    people = [subject_a, make_subject(subject_a.office, officer_a), make_subject(subject_a.office, officer_a)]
    for n, person in enumerate(people):
        device, _token = enroll_phone(person, officer_a)
        ingestion.record_checkins(device, track([(37.15 + n / 100, 122.35)] * (n + 2)))
    evaluate_pending([people[0].pk])  # an engine state and a cursor to start from
    for n, person in enumerate(people):
        device = person.devices.get(revoked_at__isnull=True)
        ingestion.record_checkins(device, track([(37.16, 122.36 + n / 100)] * 2))
    yield [p.pk for p in people]


def test_the_waiting_persons_are_locked_and_read_the_same_either_way(waiting: list[int]) -> None:
    from backend.monitoring.services import evaluation

    for ids, limit in ((waiting, 500), (waiting[1:], 500), (None, 500), (None, 2)):
        with transaction.atomic():
            states_sql, fixes_sql = evaluation._lock_and_read(ids, None, limit)
            query = evaluation._waiting(ids, None).select_related("subject").only(*evaluation._STATE_FIELDS)
            states_orm = list(
                query.order_by("pending_since").select_for_update(skip_locked=True, of=("self",))[:limit]
            )
            fixes_orm = evaluation._fixes_to_evaluate(
                {st.subject_id: st.evaluated_through_id for st in states_orm}
            )

        def described(states: list[Any]) -> list[tuple[Any, ...]]:
            return [
                (
                    st.subject_id,
                    st.evaluated_through_id,
                    st.last_fix_at,
                    st.subject.office_id,
                    st.subject.name,
                    st.subject.supervision_level,
                    st.subject.status,
                )
                for st in states
            ]

        assert described(states_sql) == described(states_orm)
        assert len(fixes_sql) == len(fixes_orm) > 0
        for name in (
            "id",
            "subject_id",
            "client_id",
            "recorded_us",
            "received_us",
            "lat",
            "lon",
            "accuracy_m",
            "mock",
            "quality",
            "battery",
            "charging",
        ):
            assert np.array_equal(
                np.asarray(getattr(fixes_sql, name)), np.asarray(getattr(fixes_orm, name))
            ), name


def test_the_stored_engine_states_are_read_the_same_either_way(waiting: list[int]) -> None:
    from backend.monitoring import engine
    from backend.monitoring.models import MonitorState
    from backend.monitoring.services import evaluation

    with transaction.atomic():
        read = evaluation._stored_engine_states(waiting)
        orm = {
            st.subject_id: engine.state_from_json(st.engine_state)
            for st in MonitorState.objects.select_for_update().filter(subject_id__in=waiting)
        }

    def as_json(states: dict[int, Any]) -> dict[int, str | None]:
        return {pk: None if s is None else engine.state_json(s) for pk, s in states.items()}

    assert as_json(read) == as_json(orm)
    assert read.keys() == set(waiting) and any(s is not None for s in read.values())


def test_new_states_are_stored_the_same_either_way(waiting: list[int]) -> None:
    from backend.monitoring.models import MonitorState
    from backend.monitoring.services import evaluation

    at = timezone.now().replace(microsecond=123456)
    keep, move, state_only = waiting
    state = '{"version": 1, "zones": {}, "last_ok": null}'
    updates = [
        [None, 7, None, None, None, None, keep],  # nothing new: stored state stays
        [state, 9, 37.2, 122.4, 8.5, at, move],  # a new state and position
        [state, 11, None, None, None, None, state_only],
    ]  # a new state, position stays

    def read() -> list[dict[str, Any]]:
        return list(
            MonitorState.objects.filter(subject_id__in=waiting).order_by("subject_id").values(*STATE_FIELDS)
        )

    _none, found_sql = rolled_back(lambda: evaluation._store_states(updates), read)
    _none, found_orm = rolled_back(lambda: evaluation._store_states(updates, generic=True), read)
    assert found_sql == found_orm
    assert [row["pending_since"] for row in found_sql] == [None, None, None]


# ---------------------------------------------------------------------------------------------
# The pending reminders carried in a check-in answer
# ---------------------------------------------------------------------------------------------


def test_the_pending_reminders_are_the_same_either_way(subject_a: Any, phone: Any) -> None:
    from backend.core.db import hot_cursor
    from backend.reminders import sql
    from backend.reminders.models import Reminder
    from backend.reminders.services import pending_reminders, schedule_reminder

    now = timezone.now()
    uploaded_at = now - dt.timedelta(minutes=10)

    def remind(
        key: str,
        kind: str = "other",
        due: dt.timedelta = dt.timedelta(minutes=-30),
        expires: dt.timedelta | None = None,
    ) -> Reminder:
        return schedule_reminder(
            subject_a,
            kind,
            now + due,
            f"t {key}",
            "b",
            {"k": key},
            dedupe_key=f"twin:{key}",
            urgent=True,
            expires_at=None if expires is None else now + expires,
        )

    remind("due")
    remind("later", due=dt.timedelta(hours=2))
    remind("expired", expires=dt.timedelta(minutes=-1))
    remind("lasting", expires=dt.timedelta(hours=1))
    acked = remind("acknowledged")
    Reminder.objects.filter(pk=acked.pk).update(acknowledged_at=now)
    old_prompt = remind("old prompt", kind="checkin")
    Reminder.objects.filter(pk=old_prompt.pk).update(created_at=uploaded_at - dt.timedelta(minutes=1))
    remind("new prompt", kind="checkin")  # created after the upload: still shown
    for n in range(25):  # past the answer's limit
        remind(f"many {n}", due=dt.timedelta(minutes=-60 + n))

    with hot_cursor() as cursor:
        cursor.execute(
            sql.PENDING_REMINDERS, {"subject_id": subject_a.pk, **sql.pending_reminders_params(uploaded_at)}
        )
        written_out = [row[0] for row in cursor.fetchall()]
    orm = list(
        pending_reminders(subject_a.pk, timezone.now(), uploaded_at).values_list("pk", flat=True)[
            : sql.MAX_PENDING_IN_ANSWER
        ]
    )
    assert written_out == orm and len(orm) == sql.MAX_PENDING_IN_ANSWER
    assert not Reminder.objects.filter(
        pk__in=orm, dedupe_key__in=["twin:later", "twin:expired", "twin:acknowledged", "twin:old prompt"]
    ).exists()
