"""Evaluation of stored check-ins: the waiting persons locked, their new fixes evaluated in one
vectorised batch (``engine``), the alerts raised, the new states and positions stored and the
marks cleared, in one transaction; a fix the engine fails on is set aside.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import numpy as np
from django.db import DatabaseError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from backend.core.db import hot_cursor
from backend.core.vocabulary import AlertKind, AlertSeverity
from backend.monitoring import engine, sql
from backend.monitoring.events import publish_event, publish_positions
from backend.monitoring.models import Alert, CheckIn, MonitorState, Zone
from backend.monitoring.services.alerts import Kind, Severity, _warn_low_battery, alert_payload, raise_alert
from backend.supervision.models import Subject
from geofence.fixes import Q_OK, QUALITY_BY_CODE, datetime_from_us, to_epoch_us

log = logging.getLogger(__name__)

_STATE_FIELDS = (
    "subject_id",
    "engine_state",
    "last_fix_at",
    "evaluated_through_id",
    "subject__id",
    "subject__office_id",
    "subject__name",
    "subject__supervision_level",
    "subject__status",
)


# Where the mark's time and the fix's columns start in a row of ``sql.lock_and_read_sql``.
_SINCE = sql.LOCK_AND_READ_RESULT.index("m_pending_since")
_FIX = sql.LOCK_AND_READ_RESULT.index(f"c_{engine.StoredFixes.COLUMNS[0]}")


def _lock_and_read(
    subject_ids: list[int] | None, older_than: dt.datetime | None, limit: int
) -> tuple[list[MonitorState], engine.StoredFixes]:
    """The waiting persons' states, locked, in the order they were marked, and their new fixes
    (one round trip; see ``sql.lock_and_read_sql``)."""
    params: dict[str, Any] = {"limit": limit}
    if subject_ids is not None:
        params["subject_ids"] = list(subject_ids)
    if older_than is not None:
        params["older_than"] = older_than
    with hot_cursor() as cursor:
        cursor.execute(sql.lock_and_read_sql(subject_ids is not None, older_than is not None), params)
        rows = cursor.fetchall()
    marked: dict[int, tuple[Any, MonitorState]] = {}
    for row in rows:
        if row[0] not in marked:
            state = MonitorState.from_db("default", sql.LOCK_STATE_COLUMNS, row[:_SINCE])
            state.subject = Subject.from_db("default", sql.LOCK_SUBJECT_COLUMNS, row[_SINCE + 1 : _FIX])
            marked[row[0]] = (row[_SINCE], state)
    states = [
        state for _since, state in sorted(marked.values(), key=lambda item: (item[0], item[1].subject_id))
    ]
    return states, engine.StoredFixes.from_rows([row[_FIX:] for row in rows if row[_FIX] is not None])


def _fixes_to_evaluate(after: dict[int, int]) -> engine.StoredFixes:
    """Each person's stored fixes past their evaluation cursor, in id order (other databases)."""
    condition = Q()
    for pk, cursor_id in after.items():
        condition |= Q(subject_id=pk, id__gt=cursor_id)
    return engine.StoredFixes.from_rows(
        [
            (pk, sid, cid, to_epoch_us(recorded), to_epoch_us(received), *rest)
            for pk, sid, cid, recorded, received, *rest in CheckIn.objects.filter(condition)
            .order_by("id")
            .values_list(*engine.StoredFixes.COLUMNS)
        ]
    )


def evaluate_pending(
    subject_ids: list[int] | None = None, *, older_than: dt.datetime | None = None, limit: int = 500
) -> int:
    """Evaluate the stored fixes waiting for ``subject_ids`` (or for anyone, oldest marks first).

    Locks the persons' states (skipping those an upload or another evaluator holds: whoever
    holds one leaves it marked or finishes it), evaluates all their new fixes in one vectorised
    batch, raises the alerts, stores the new states and positions, and clears the marks, in
    one transaction. Returns the number of fixes evaluated. Safe to run anywhere, any time.
    """
    try:
        return _evaluate_round(subject_ids, older_than, limit)
    except engine.UnevaluableData:
        log.warning("the engine failed on a round; evaluating the persons one by one", exc_info=True)
    except Exception:
        if len(subject_ids or []) == 1 or limit == 1:
            raise
        log.exception("evaluation of a round failed; evaluating the persons one by one")
    # One person whose evaluation fails must not hold up anyone else in the round. A person on
    # whose data the engine fails is taken apart fix by fix (``_evaluate_fix_by_fix``); any
    # other failure (the database, the channel layer) leaves the mark for the next sweep.
    if subject_ids is not None and len(subject_ids) == 1:  # evaluated alone already
        return _evaluate_fix_by_fix(subject_ids[0])
    done = 0
    for pk in subject_ids if subject_ids is not None else _waiting_ids(older_than, limit):
        try:
            done += _evaluate_round([pk], None, 1)
        except engine.UnevaluableData:
            done += _evaluate_fix_by_fix(pk)
        except Exception:
            log.exception("evaluation of subject %s failed; its fixes stay marked for the next sweep", pk)
    return done


def _waiting(subject_ids: list[int] | None, older_than: dt.datetime | None) -> QuerySet[MonitorState]:
    query = MonitorState.objects.filter(pending_since__isnull=False)
    if subject_ids is not None:
        query = query.filter(subject_id__in=subject_ids)
    return query if older_than is None else query.filter(pending_since__lt=older_than)


def _waiting_ids(older_than: dt.datetime | None, limit: int) -> list[int]:
    return list(
        _waiting(None, older_than).order_by("pending_since").values_list("subject_id", flat=True)[:limit]
    )


def _evaluate_round(subject_ids: list[int] | None, older_than: dt.datetime | None, limit: int) -> int:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            states, fixes = _lock_and_read(subject_ids, older_than, limit)
        else:
            states = list(
                _waiting(subject_ids, older_than)
                .select_related("subject")
                .only(*_STATE_FIELDS)
                .order_by("pending_since")
                .select_for_update(skip_locked=True, of=("self",))[:limit]
            )
            fixes = _fixes_to_evaluate({st.subject_id: st.evaluated_through_id for st in states})
        return _evaluate_locked(states, fixes) if states else 0


def _evaluate_fix_by_fix(pk: int) -> int:
    """Evaluate one person's waiting fixes one at a time, setting aside each the engine fails on.

    A fix set aside is kept, marked with the error (``CheckIn.evaluation_error``, shown in the
    person's track) and passed by the cursor, so the person's later fixes are evaluated and
    the failure is not met again in the next round. Staff get one ``evaluation_failed`` risk
    warning while an earlier one is unresolved. Returns the number of fixes evaluated.
    """
    try:
        with transaction.atomic():
            state = (
                MonitorState.objects.select_related("subject")
                .select_for_update(of=("self",))
                .filter(subject_id=pk, pending_since__isnull=False)
                .first()
            )
            if state is None:
                return 0
            fixes = _fixes_to_evaluate({pk: state.evaluated_through_id})
            set_aside: dict[int, str] = {}
            for row in range(len(fixes)):
                try:
                    with transaction.atomic():
                        _evaluate_locked([state], fixes.take([row]))
                except engine.UnevaluableData as exc:
                    fix_id = int(fixes.id[row])
                    log.exception("evaluation of fix %s of subject %s failed; it is set aside", fix_id, pk)
                    set_aside[fix_id] = str(exc)[:500]
                    MonitorState.objects.filter(pk=state.pk).update(evaluated_through_id=fix_id)
                state.refresh_from_db(fields=["engine_state", "evaluated_through_id", "last_fix_at"])
            MonitorState.objects.filter(pk=state.pk).update(pending_since=None)
            if set_aside:
                _set_aside(state.subject, set_aside)
            return len(fixes) - len(set_aside)
    except Exception:
        # Not even that worked (the database, most likely): the mark stays for the sweep.
        log.exception("evaluation of subject %s failed fix by fix; its fixes stay marked", pk)
        return 0


def _set_aside(subject: Subject, errors: dict[int, str]) -> None:
    for fix_id, error in errors.items():
        CheckIn.objects.filter(pk=fix_id).update(evaluation_error=error)
    if (
        Alert.objects.filter(subject=subject, kind=Kind.EVALUATION_FAILED)
        .exclude(status=Alert.Status.RESOLVED)
        .exists()
    ):
        return  # staff already know; the track shows every fix set aside since
    first = min(errors)
    fixes = CheckIn.objects.filter(pk__in=errors).order_by("id")
    raise_alert(
        subject,
        kind=Kind.EVALUATION_FAILED,
        severity=Severity.WARNING,
        occurred_at=timezone.now(),
        dedupe_key=f"evaluation_failed:{subject.pk}:{first}",
        evidence={
            "fix_ids": [str(f.client_id) for f in fixes[:20]],
            "set_aside": len(errors),
            "error": errors[first],
        },
    )


def _engine_states(states: list[MonitorState]) -> dict[int, Any]:
    """The locked persons' engine states: those this process stored last when the row's cursor
    shows nobody evaluated them since, the others read from their rows."""
    cursors = {st.subject_id: st.evaluated_through_id for st in states}
    found: dict[int, Any] = engine.remembered_states(cursors)
    missing = [pk for pk in cursors if pk not in found]
    if missing and connection.vendor == "postgresql":
        found.update(_stored_engine_states(missing))
    elif missing:  # the ORM's lock read the whole rows
        found.update(
            (st.subject_id, engine.state_from_json(st.engine_state))
            for st in states
            if st.subject_id in missing
        )
    return found


def _stored_engine_states(subject_ids: list[int]) -> dict[int, Any]:
    """The stored engine states of persons this transaction has locked (PostgreSQL; elsewhere
    the ORM's lock read them with the whole rows)."""
    with hot_cursor() as cursor:
        cursor.execute(sql.ENGINE_STATES, {"subject_ids": subject_ids})
        return {pk: engine.state_from_json(value) for pk, value in cursor.fetchall()}


def _evaluate_locked(states: list[MonitorState], fixes: engine.StoredFixes) -> int:
    subjects = {st.subject_id: st.subject for st in states}
    n = len(fixes)
    result = None
    if n:
        try:
            result = engine.evaluate_batch(subjects, _engine_states(states), fixes)
        except DatabaseError:
            raise
        except Exception as exc:  # the persons' stored states, fixes or zones
            raise engine.UnevaluableData(f"{type(exc).__name__}: {exc}") from exc
    final = result.quality if result is not None else fixes.quality
    # Classes the evaluator changed (teleports): a few rows, one UPDATE per class.
    changed = np.flatnonzero(final != fixes.quality)
    for code in set(final[changed].tolist()):
        CheckIn.objects.filter(pk__in=fixes.id[changed[final[changed] == code]].tolist()).update(
            quality=QUALITY_BY_CODE[code].value
        )
    # Rows of each subject, in id order (a stable sort by subject keeps it).
    order = np.argsort(fixes.subject_id, kind="stable")
    present, starts = np.unique(fixes.subject_id[order], return_index=True)
    bounds = dict(
        zip(present.tolist(), zip(starts.tolist(), [*starts[1:].tolist(), n], strict=True), strict=True)
    )
    updates: list[list[Any]] = []
    remember: list[tuple[int, int, Any]] = []
    positions: list[tuple[int, dict[str, Any]]] = []
    for state in states:
        subject = subjects[state.subject_id]
        if state.subject_id not in bounds:  # nothing new: the stored engine state stays (NULL)
            updates.append([None, state.evaluated_through_id, *_position(state, None), state.pk])
            continue
        assert result is not None
        start, end = bounds[state.subject_id]
        rows = order[start:end]
        events = result.events.get(state.subject_id)
        if events:
            _raise_engine_alerts(subject, events)
        good = rows[final[rows] == Q_OK]
        latest = int(good[np.argmax(fixes.recorded_us[good])]) if good.size else None
        position = _position(state, (fixes, latest) if latest is not None else None)
        through = int(fixes.id[rows].max())
        new_state = result.states.get(state.subject_id)
        updates.append(
            [None if new_state is None else engine.state_json(new_state), through, *position, state.pk]
        )
        if new_state is not None:
            remember.append((state.subject_id, through, new_state))
        if position[0] is not None and latest is not None:
            positions.append(
                (
                    subject.office_id,
                    {
                        "subject_id": subject.pk,
                        "name": subject.name,
                        "lat": position[0],
                        "lon": position[1],
                        "accuracy_m": position[2],
                        "recorded_at": datetime_from_us(int(fixes.recorded_us[latest])).isoformat(),
                    },
                )
            )
        newest = int(rows[np.argmax(fixes.recorded_us[rows])])
        _warn_low_battery(
            subject,
            fixes.battery[newest],
            fixes.charging[newest],
            datetime_from_us(int(fixes.recorded_us[newest])),
            {"fix_ids": [fixes.client_id[newest]]},
        )
    _store_states(updates)
    transaction.on_commit(lambda: engine.remember_states(remember))
    publish_positions(positions)
    return n


def _position(state: MonitorState, latest: tuple[engine.StoredFixes, int] | None) -> list[Any]:
    """``[lat, lon, accuracy, at]`` of a newer good fix, or four NULLs (the stored one stays)."""
    if latest is None:
        return [None, None, None, None]
    fixes, row = latest
    at = datetime_from_us(int(fixes.recorded_us[row]))
    if state.last_fix_at is not None and at <= state.last_fix_at:
        return [None, None, None, None]
    return [
        float(fixes.lat[row]),
        float(fixes.lon[row]),
        float(fixes.accuracy_m[row]),
        connection.ops.adapt_datetimefield_value(at),
    ]


def _store_states(updates: list[list[Any]], *, generic: bool = False) -> None:
    """New engine states, cursors and positions, and the marks cleared: one statement, many rows.

    Each update is ``[engine state JSON, evaluated through id, lat, lon, accuracy, fix time,
    subject id]``; a ``None`` state or position keeps the stored one. ``generic``: the
    statement of other databases, whatever this one is (the twin tests).
    """
    if generic:
        names = ("state", "through", "lat", "lon", "accuracy", "at", "subject_id")
        with connection.cursor() as cursor:
            cursor.executemany(
                sql.STORE_STATES_GENERIC, [dict(zip(names, update, strict=True)) for update in updates]
            )
        return
    with hot_cursor() as cursor:
        if connection.vendor == "postgresql":
            state, through, lat, lon, accuracy, at, sid = zip(*updates, strict=True)
            at = tuple(None if value is None else value.isoformat() for value in at)
            array = sql.array
            cursor.execute(
                sql.STORE_STATES_POSTGRESQL,
                {
                    "states": array(state, "text"),
                    "through": array(through, "float8"),
                    "lat": array(lat, "float8"),
                    "lon": array(lon, "float8"),
                    "accuracy": array(accuracy, "float8"),
                    "at": array(at, "text"),
                    "subject_ids": array(sid, "float8"),
                },
            )
            return
        names = ("state", "through", "lat", "lon", "accuracy", "at", "subject_id")
        cursor.executemany(
            sql.STORE_STATES_GENERIC, [dict(zip(names, update, strict=True)) for update in updates]
        )


_ZONE_ALERTS: dict[tuple[str, str], tuple[AlertKind, AlertSeverity]] = {
    # (engine event kind, zone kind) -> (alert kind, severity)
    ("breach_opened", Zone.Kind.INCLUSION): (Kind.LEFT_ZONE, Severity.CRITICAL),
    ("breach_opened", Zone.Kind.EXCLUSION): (Kind.ENTERED_ZONE, Severity.CRITICAL),
    ("crossing", Zone.Kind.EXCLUSION): (Kind.CROSSED_ZONE, Severity.WARNING),
    ("approach", Zone.Kind.EXCLUSION): (Kind.APPROACHING, Severity.WARNING),
}
_INTEGRITY_ALERTS = {
    "mock_location": (Kind.MOCK_LOCATION, Severity.WARNING),
    "teleport": (Kind.TELEPORT, Severity.WARNING),
}


def _raise_engine_alerts(subject: Subject, events: list[engine.EngineEvent]) -> None:
    zones = {z.pk: z for z in Zone.objects.filter(pk__in={e.zone_id for e in events if e.zone_id})}
    for event in events:
        evidence = {"fix_ids": event.fix_ids, **event.detail}
        if event.kind == "breach_closed":
            _close_breach(subject, event, zones.get(event.zone_id or 0))
            continue
        if event.kind in _INTEGRITY_ALERTS:
            kind, severity = _INTEGRITY_ALERTS[event.kind]
            day = timezone.localtime(event.at).date().isoformat()
            # One integrity warning per kind, person and day: a spoofing app sends thousands of fixes.
            raise_alert(
                subject,
                kind=kind,
                severity=severity,
                occurred_at=event.at,
                late=event.late,
                dedupe_key=f"{kind}:{subject.pk}:{day}",
                evidence=evidence,
            )
            continue
        zone = zones.get(event.zone_id or 0)
        if zone is None or (event.kind, zone.kind) not in _ZONE_ALERTS:
            continue
        kind, severity = _ZONE_ALERTS[(event.kind, zone.kind)]
        if kind == Kind.LEFT_ZONE and zone.purpose == Zone.Purpose.CURFEW:
            kind = Kind.CURFEW
        if kind == Kind.APPROACHING:
            severity = (
                Severity.INFO if subject.supervision_level == Subject.Level.LENIENT else Severity.WARNING
            )
        raise_alert(
            subject,
            kind=kind,
            severity=severity,
            occurred_at=event.at,
            zone=zone,
            late=event.late,
            dedupe_key=f"{kind}:{subject.pk}:{zone.pk}:{event.episode_key}",
            evidence=evidence,
        )


def _close_breach(subject: Subject, event: engine.EngineEvent, zone: Zone | None) -> None:
    """The person is back: note it on the open breach alert (staff still resolve it themselves)."""
    if zone is None:
        return
    alert = (
        Alert.objects.select_for_update(of=("self",))
        .select_related("subject", "office", "zone", "acknowledged_by", "resolved_by")
        .filter(subject=subject, zone=zone, kind__in=[Kind.LEFT_ZONE, Kind.ENTERED_ZONE, Kind.CURFEW])
        .order_by("-seq")
        .first()
    )
    if alert is None or "returned_at" in alert.evidence:
        return
    alert.evidence = {**alert.evidence, "returned_at": event.at.isoformat(), "return_fix_ids": event.fix_ids}
    alert.save(update_fields=["evidence"])
    publish_event(alert.office_id, "alert.updated", alert_payload(alert))
