"""Domain actions of monitoring: record check-ins and phone status, raise and handle alerts,
detect silent phones. Views, consumers and tasks call these; none of them writes models directly.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from django.db import DatabaseError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import AuthenticationFailed, ValidationError

from backend.accounts.models import User
from backend.config.db import hot_cursor
from backend.monitoring import engine, evaluation_queue
from backend.monitoring.checkin_input import FixInput, parse_fix
from backend.monitoring.events import next_sequence, publish_event, publish_positions
from backend.monitoring.hooks import pending_for_phone, pending_for_phone_params, pending_for_phone_sql
from backend.monitoring.models import Alert, CheckIn, MonitorState, Zone
from backend.monitoring.rules import (
    CHECKIN_INTERVAL,
    CLOCK_SKEW_FLAG_S,
    LOW_BATTERY_PERCENT,
    OFFLINE_GRACE,
    checkin_interval,
)
from backend.supervision.models import Device, Subject
from backend.supervision.services import (
    DEVICE_ROW_WIDTH,
    LAST_SEEN_RESOLUTION,
    active_device_params,
    active_device_sql,
    authenticate_device_token,
    device_from_row,
)
from geofence.fixes import Q_OK, QUALITY_BY_CODE, datetime_from_us, to_epoch_us

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------------
# Alerts
# ---------------------------------------------------------------------------------------------

Kind, Severity, Category = Alert.Kind, Alert.Severity, Alert.Category
RISK_KINDS = frozenset({Kind.MOCK_LOCATION, Kind.TELEPORT, Kind.PERMISSION_OFF, Kind.LOW_BATTERY, Kind.OFFLINE,
                        Kind.UNREACHABLE, Kind.EVALUATION_FAILED})


_payload_serializer = threading.local()


def alert_payload(alert: Alert) -> dict[str, Any]:
    """The JSON shape of an alert, the same in the staff API and on the console websocket.

    One serializer per thread serves every alert: building a ModelSerializer's fields costs
    more than serializing an alert with them (most of a millisecond, on every alert raised).
    """
    serializer = getattr(_payload_serializer, "instance", None)
    if serializer is None:
        from backend.monitoring.api.serializers import AlertSerializer

        serializer = _payload_serializer.instance = AlertSerializer()
    return dict(serializer.to_representation(alert))


def raise_alert(subject: Subject, *, kind: str, severity: str, occurred_at: dt.datetime, dedupe_key: str,
                zone: Zone | None = None, late: bool = False, evidence: dict[str, Any] | None = None) -> Alert:
    """Create an alert once per ``dedupe_key`` and publish it to the consoles. Idempotent."""
    existing = Alert.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing
    alert = Alert.objects.create(
        seq=next_sequence(), dedupe_key=dedupe_key[:120],
        category=Category.RISK if kind in RISK_KINDS else Category.POSITION, kind=kind, severity=severity,
        subject=subject, office_id=subject.office_id, zone=zone, occurred_at=occurred_at, late=late,
        evidence=evidence or {},
    )
    # What the payload shows of its relations is at hand (a new alert has no acknowledger or
    # resolver): no re-read of the row with five joins, the dearest step of raising an alert.
    alert.office = subject.office
    publish_event(subject.office_id, "alert.created", alert_payload(alert), seq=alert.seq)
    from backend.reminders.services import alert_raised

    alert_raised(alert)  # wakes the office's on-duty staff for critical alerts, after commit
    return alert


def _locked_alert(alert: Alert) -> Alert:
    return (Alert.objects.select_for_update(of=("self",)).select_related("subject", "office", "zone", "acknowledged_by",
                                                              "resolved_by").get(pk=alert.pk))


def acknowledge_alert(alert: Alert, user: User) -> Alert:
    """Mark an open alert as seen and being handled (签收). Acknowledging twice changes nothing."""
    with transaction.atomic():
        alert = _locked_alert(alert)
        if alert.status == Alert.Status.RESOLVED:
            raise ValidationError({"status": [_("This alert is already resolved.")]}, code="already_resolved")
        if alert.status == Alert.Status.OPEN:
            alert.status = Alert.Status.ACKNOWLEDGED
            alert.acknowledged_by, alert.acknowledged_at = user, timezone.now()
            alert.save(update_fields=["status", "acknowledged_by", "acknowledged_at"])
            publish_event(alert.office_id, "alert.updated", alert_payload(alert))
    return alert


def resolve_alert(alert: Alert, user: User, resolution: str, note: str) -> Alert:
    """Close an alert with what was done (处置): false alarm, verbal warning, 训诫/警告 proposal..."""
    if resolution not in Alert.Resolution.values:
        raise ValidationError({"resolution": [_("Unknown resolution.")]})
    if resolution != Alert.Resolution.FALSE_ALARM and not note.strip():
        raise ValidationError({"note": [_("Describe what was done.")]}, code="note_required")
    with transaction.atomic():
        alert = _locked_alert(alert)
        if alert.status == Alert.Status.RESOLVED:
            raise ValidationError({"status": [_("This alert is already resolved.")]}, code="already_resolved")
        now = timezone.now()
        if alert.acknowledged_at is None:
            alert.acknowledged_by, alert.acknowledged_at = user, now
        alert.status, alert.resolved_by, alert.resolved_at = Alert.Status.RESOLVED, user, now
        alert.resolution, alert.resolution_note = resolution, note.strip()
        alert.save()
        publish_event(alert.office_id, "alert.updated", alert_payload(alert))
    return alert


# ---------------------------------------------------------------------------------------------
# Check-ins
# ---------------------------------------------------------------------------------------------


@dataclass
class CheckinOutcome:
    results: list[dict[str, Any]]
    server_time: dt.datetime
    next_checkin_due: dt.datetime | None
    reminders: list[dict[str, Any]] = field(default_factory=list)
    commands: list[dict[str, Any]] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return sum(1 for r in self.results if r["status"] == "accepted")


def _lock_state(subject: Subject) -> MonitorState:
    # Only the columns the upload needs; the row lock serialises uploads of one person.
    fields = ("subject_id", "engine_state", "last_fix_at", "next_checkin_due")
    try:
        return MonitorState.objects.select_for_update().only(*fields).get(subject=subject)
    except MonitorState.DoesNotExist:
        MonitorState.objects.get_or_create(subject=subject)
        return MonitorState.objects.select_for_update().only(*fields).get(subject=subject)


class CheckinRow(NamedTuple):
    """One new check-in row for the generic (non-PostgreSQL) upload path."""

    subject_id: int
    device_id: int
    client_id: str
    body_hash: str
    recorded_at: dt.datetime
    received_at: dt.datetime
    clock_skew_s: float
    lat: float
    lon: float
    raw_lat: float
    raw_lon: float
    crs: str
    accuracy_m: float
    altitude_m: float | None
    speed_mps: float | None
    battery: float | None
    charging: bool | None
    mock_location: bool
    provider: str
    quality: str


def _skew_seconds(sent_at: dt.datetime | None, received_at: dt.datetime) -> float:
    return 0.0 if sent_at is None else round((sent_at - received_at).total_seconds(), 3)


def _mark_upload(subject: Subject, received_at: dt.datetime, next_due: dt.datetime | None) -> None:
    """Take the person's state lock for this upload and note the contact (one UPDATE).

    With valid fixes the next check-in is due one interval from now and the fixes are marked
    waiting for evaluation; an upload of nothing valid only notes that the phone was heard.
    """
    table = MonitorState._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        if next_due is None:
            cursor.execute(f"UPDATE {table} SET last_checkin_received_at = %s WHERE subject_id = %s",  # noqa: S608
                           [adapt(received_at), subject.pk])
        else:
            cursor.execute(
                f"UPDATE {table} SET last_checkin_received_at = %s, next_checkin_due = %s, "  # noqa: S608
                "offline_alerted_at = NULL, pending_since = COALESCE(pending_since, %s) WHERE subject_id = %s",
                [adapt(received_at), adapt(next_due), adapt(received_at), subject.pk])
        if cursor.rowcount == 0:
            ensure_monitor_state(subject)
            _mark_upload(subject, received_at, next_due)


def _known_fixes(device: Device, client_ids: list[str]) -> dict[str, str]:
    """Body hashes of the fixes among ``client_ids`` this phone already sent (one indexed query)."""
    table = CheckIn._meta.db_table
    with hot_cursor() as cursor:
        if connection.vendor == "postgresql":
            # One array parameter: psycopg adapts it whole instead of splitting 500 placeholders.
            cursor.execute(f"SELECT client_id, body_hash FROM {table} "  # noqa: S608
                           "WHERE device_id = %s AND client_id = ANY(%s::uuid[])",
                           [device.pk, "{" + ",".join(client_ids) + "}"])
        else:
            cursor.execute(f"SELECT client_id, body_hash FROM {table} "  # noqa: S608
                           f"WHERE device_id = %s AND client_id IN ({', '.join(['%s'] * len(client_ids))})",
                           [device.pk, *(client_id.replace("-", "") for client_id in client_ids)])
        rows = cursor.fetchall()
    return {str(value) if isinstance(value, uuid.UUID) else str(uuid.UUID(value)): body_hash
            for value, body_hash in rows}


def record_checkins(device: Device, items: list[Any], sent_at: dt.datetime | None = None) -> CheckinOutcome:
    """Store a batch of fixes from one phone; they are evaluated right after. Idempotent.

    Each fix gets a fate: ``accepted``, ``duplicate`` (same id, same body: stored once already),
    ``conflict`` (same id, different body) or ``rejected`` (with field errors). Everything is
    committed before the answer is built, so an acknowledged fix is never lost. The fix class
    in the answer is the one decided at receipt; evaluation (inline, or by the evaluators) may
    still find a teleport, raises the alerts and moves the person's position.

    A phone revoked (or whose person's supervision ended) since ``device`` was authenticated
    stores nothing: ``AuthenticationFailed``.
    """
    outcome = _record(device, items, sent_at)
    if outcome is None:
        raise AuthenticationFailed(_("Unknown or revoked device token; enroll again."), code="device_revoked")
    return outcome


def record_checkins_with_token(token: str, items: list[Any], sent_at: dt.datetime | None = None,
                               ) -> CheckinOutcome | None:
    """``record_checkins`` for a phone known only by its device token (the check-in fast path);
    ``None`` when the token does not authenticate, and then nothing is stored.

    On PostgreSQL the upload's own statement authenticates the phone: one round trip in all.
    """
    if connection.vendor != "postgresql":
        device = authenticate_device_token(token)
        return None if device is None else _record(device, items, sent_at)
    return _record(token, items, sent_at)


def _record(phone: Device | str, items: list[Any], sent_at: dt.datetime | None) -> CheckinOutcome | None:
    received_at = timezone.now()
    skew = _skew_seconds(sent_at, received_at)
    results: list[dict[str, Any] | None] = [None] * len(items)
    parsed: list[tuple[int, FixInput]] = []
    for index, item in enumerate(items):
        fix, errors = parse_fix(item)
        if fix is None:
            raw_id = item.get("id") if isinstance(item, dict) else None
            results[index] = {"index": index, "id": raw_id if isinstance(raw_id, str) else None,
                              "status": "rejected", "errors": errors}
        else:
            parsed.append((index, fix))

    # The first occurrence of each id in the batch is a candidate; repeats are judged against it.
    first: dict[str, FixInput] = {}
    for _index, fix in parsed:
        first.setdefault(fix.client_id, fix)
    candidates = list(first.values())
    receipt = engine.at_receipt(candidates, received_at) if candidates else []
    if connection.vendor == "postgresql":
        stored = _store_upload_postgresql(phone, candidates, receipt, received_at, bool(parsed), skew)
        if stored is None:
            return None
        device, next_due, inserted, pending = stored
    else:
        assert isinstance(phone, Device)
        device, pending = phone, None
        next_due = received_at + checkin_interval(device.subject.supervision_level) if parsed else None
        inserted = _store_upload(device.subject, device, candidates, receipt, received_at, next_due, skew)
    unknown = [client_id for client_id in first if client_id not in inserted]
    known = _known_fixes(device, unknown) if unknown else {}
    quality_of = {fix.client_id: quality for fix, (_lat, _lon, quality) in zip(candidates, receipt, strict=True)}
    for index, fix in parsed:
        key = fix.client_id
        if fix is first[key] and key in inserted:
            result: dict[str, Any] = {"index": index, "id": key, "status": "accepted",
                                      "quality": quality_of[key]}
            if abs(skew) > CLOCK_SKEW_FLAG_S:
                result["clock_skew_s"] = skew
            results[index] = result
            continue
        prior = known.get(key, first[key].body_hash)
        if prior == fix.body_hash:
            results[index] = {"index": index, "id": key, "status": "duplicate"}
        else:
            results[index] = {"index": index, "id": key, "status": "conflict",
                              "errors": {"id": [_("This id was already sent with a different fix.")]}}
    if inserted and evaluation_queue.mode() != evaluation_queue.QUEUE:
        evaluate_pending([device.subject_id])
    reminders, commands = pending_for_phone(device, received_at, pending)
    return CheckinOutcome(results=[r for r in results if r is not None], server_time=received_at,
                          next_checkin_due=next_due, reminders=reminders, commands=commands)


def _store_upload(subject: Subject, device: Device, fixes: list[FixInput], receipt: list[tuple[float, float, str]],
                  received_at: dt.datetime, next_due: dt.datetime | None, skew: float) -> set[str]:
    """Store the new ones among ``fixes`` in one transaction; returns the ids stored.

    Works on any database; PostgreSQL uses ``_store_upload_postgresql``, the same in one statement.
    """
    with transaction.atomic():
        _mark_upload(subject, received_at, next_due)
        if not fixes:
            return set()
        # Under the person's lock no other upload of theirs runs, so looking up the ids first
        # and then inserting the new ones cannot race.
        known = _known_fixes(device, [fix.client_id for fix in fixes])
        rows = [CheckinRow(subject.pk, device.pk, fix.client_id, fix.body_hash, fix.recorded_at, received_at, skew, lat,
                           lon, fix.lat, fix.lon, fix.crs, fix.accuracy_m, fix.altitude_m, fix.speed_mps, fix.battery,
                           fix.charging, fix.mock_location, fix.provider, quality)
                for fix, (lat, lon, quality) in zip(fixes, receipt, strict=True) if fix.client_id not in known]
        if rows:
            CheckIn.objects.bulk_create([CheckIn(**row._asdict()) for row in rows], batch_size=250)
    return {row.client_id for row in rows}


# (column, PostgreSQL type) of the per-fix values sent as arrays in the one-statement upload.
_UPLOAD_COLUMNS = (("client_id", "uuid"), ("body_hash", "text"), ("recorded_at", "timestamptz"),
                   ("lat", "float8"), ("lon", "float8"), ("raw_lat", "float8"), ("raw_lon", "float8"),
                   ("crs", "text"), ("accuracy_m", "float8"), ("altitude_m", "float8"), ("speed_mps", "float8"),
                   ("battery", "float8"), ("charging", "bool"), ("mock_location", "bool"), ("provider", "text"),
                   ("quality", "text"))


@functools.cache
def _upload_sql(key: str) -> str:
    names = ", ".join(name for name, _type in _UPLOAD_COLUMNS)
    arrays = ", ".join(f"%s::text::{kind}[]" for _name, kind in _UPLOAD_COLUMNS)
    device = Device._meta.db_table
    # One statement, so one transaction and one round trip:
    # - ``phone`` is the phone, checked active again in this transaction (``key``: its token
    #   hash on the fast path, which needs no other statement; its id after the view's check,
    #   so a phone revoked a moment ago stores nothing), marked seen at most once a minute;
    # - ``due``: the next check-in, one interval of the person's level after this upload;
    # - the UPDATE takes the person's lock before the INSERT runs (the INSERT reads its rows
    #   from the UPDATE's result), and the INSERT skips ids this phone already sent;
    # - the state's mark tells the evaluators (who poll for marks) there is something to evaluate;
    # - the phone's pending reminders come back in the answer's round trip.
    return (
        f"WITH phone AS ({active_device_sql(key)}), "  # noqa: S608
        f"seen AS (UPDATE {device} SET last_seen_at = %s FROM phone WHERE {device}.id = phone.d_id "
        "AND (phone.d_last_seen_at IS NULL OR phone.d_last_seen_at < %s)), "
        "due AS (SELECT phone.d_subject_id AS subject_id, CASE WHEN %s THEN %s::timestamptz + make_interval(secs => "
        "COALESCE((SELECT every FROM unnest(%s::text::text[], %s::text::float8[]) AS l(level, every) "
        "WHERE l.level = phone.s_supervision_level), %s)) END AS at FROM phone), "
        f"state AS (UPDATE {MonitorState._meta.db_table} SET last_checkin_received_at = %s, "
        "next_checkin_due = COALESCE(due.at, next_checkin_due), "
        "offline_alerted_at = CASE WHEN due.at IS NULL THEN offline_alerted_at END, "
        "pending_since = CASE WHEN %s THEN COALESCE(pending_since, %s) ELSE pending_since END "
        f"FROM due WHERE {MonitorState._meta.db_table}.subject_id = due.subject_id RETURNING due.at), "
        f"new AS (INSERT INTO {CheckIn._meta.db_table} (subject_id, device_id, received_at, clock_skew_s, {names}) "
        f"SELECT phone.d_subject_id, phone.d_id, %s, %s, {', '.join('f.' + n for n, _t in _UPLOAD_COLUMNS)} "
        f"FROM state, phone, unnest({arrays}) AS f({names}) "
        "ON CONFLICT (device_id, client_id) DO NOTHING RETURNING client_id) "
        "SELECT phone.*, (SELECT count(*) FROM state), (SELECT at FROM due), "
        f"ARRAY(SELECT client_id::text FROM new), {pending_for_phone_sql('phone.d_subject_id')} FROM phone"
    )


def _array(values: tuple[Any, ...] | list[Any], kind: str) -> str:
    """A PostgreSQL array literal of validated values (psycopg's list adapter costs ~10x more).

    Numbers are finite floats (the parser refused the rest), text is always quoted and escaped,
    ``None`` is NULL.
    """
    if kind == "float8":
        items = map(repr, values) if None not in values else ("NULL" if v is None else repr(v) for v in values)
    elif kind == "bool":
        items = ("NULL" if v is None else ("t" if v else "f") for v in values)
    elif kind in ("uuid", "name"):  # UUIDs, hex digests, ISO times, our own codes: nothing to quote
        items = values
    else:
        items = ("NULL" if v is None else '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values)
    return "{" + ",".join(items) + "}"


# The check-in interval of each supervision level, as the upload statement takes it: levels,
# seconds, and the seconds of a level not in the table.
_INTERVALS = (_array(list(CHECKIN_INTERVAL), "name"),
              _array([every.total_seconds() for every in CHECKIN_INTERVAL.values()], "float8"),
              checkin_interval("").total_seconds())


def _store_upload_postgresql(phone: Device | str, fixes: list[FixInput], receipt: list[tuple[float, float, str]],
                             received_at: dt.datetime, valid: bool, skew: float,
                             ) -> tuple[Device, dt.datetime | None, set[str], Any] | None:
    """``_store_upload`` in one statement (PostgreSQL) that also authenticates the phone (its
    ``Device``, or its token on the fast path) and brings its pending reminders.

    Returns ``(device, next check-in due, ids stored, reminder rows)``, or ``None`` when the
    phone is not (or no longer) active: then nothing was stored. ``valid``: the batch had a
    valid fix, so the next check-in is due one interval from now.
    """
    # Columns in one C-level pass each (the fixes are tuples) rather than a comprehension per column.
    column = dict(zip(FixInput._fields, zip(*fixes, strict=True), strict=True)) if fixes else \
        dict.fromkeys(FixInput._fields, ())
    lat, lon, quality = zip(*receipt, strict=True) if receipt else ((), (), ())
    columns = [
        _array(column["client_id"], "uuid"), _array(column["body_hash"], "name"),
        _array(column["recorded_iso"], "name"), _array(lat, "float8"), _array(lon, "float8"),
        _array(column["lat"], "float8"), _array(column["lon"], "float8"), _array(column["crs"], "name"),
        _array(column["accuracy_m"], "float8"), _array(column["altitude_m"], "float8"),
        _array(column["speed_mps"], "float8"), _array(column["battery"], "float8"),
        _array(column["charging"], "bool"), _array(column["mock_location"], "bool"),
        _array(column["provider"], "text"), _array(quality, "name")]
    by_token = isinstance(phone, str)
    params: list[Any] = [
        *(active_device_params(token=phone) if by_token else active_device_params(device_id=phone.pk)),
        received_at, received_at - LAST_SEEN_RESOLUTION,
        valid, received_at, *_INTERVALS,
        received_at, bool(fixes), received_at,
        received_at, skew, *columns,
        *pending_for_phone_params(received_at)]
    with hot_cursor() as cursor:
        cursor.execute(_upload_sql("token_hash" if by_token else "id"), params)
        row = cursor.fetchone()
    if row is None:
        return None
    device = device_from_row(row)
    locked, next_due, inserted, reminders = row[DEVICE_ROW_WIDTH:DEVICE_ROW_WIDTH + 4]
    if not locked:  # no monitoring state yet (a phone enrolled before monitoring existed)
        ensure_monitor_state(device.subject)
        return _store_upload_postgresql(device, fixes, receipt, received_at, valid, skew)
    return device, next_due, set(inserted), reminders


# ---------------------------------------------------------------------------------------------
# Evaluation of stored check-ins
# ---------------------------------------------------------------------------------------------

_STATE_FIELDS = ("subject_id", "engine_state", "last_fix_at", "evaluated_through_id", "subject__id",
                 "subject__office_id", "subject__name", "subject__supervision_level", "subject__status")
# The engine state is read apart, only for the persons this process does not remember
# (``_engine_states``).
_STATE_COLUMNS = ("subject_id", "last_fix_at", "evaluated_through_id")
_SUBJECT_COLUMNS = tuple(f.attname for f in Subject._meta.concrete_fields
                         if f.attname in {"id", "office_id", "name", "supervision_level", "status"})


@functools.cache
def _lock_and_read_sql(by_ids: bool, older: bool) -> str:
    """``evaluate_pending``'s lock and read in one statement written out (PostgreSQL).

    The evaluator runs it every round (building it with the ORM cost more than a small round's
    evaluation). It locks the waiting persons' states (skipping those held elsewhere) and brings
    each person's stored fixes past their cursor, one row per fix (a person with none: one row
    of NULL fix columns). Fix times come as epoch microseconds (reading them back as datetimes
    cost more than evaluating them). Each person's fixes come from its own range scan of the
    (subject, id) index: the LATERAL with OFFSET 0 keeps it so, since the statement is
    prepared and PostgreSQL's generic plan of a plain join against the cursors is a hash join
    over a sequential scan of every check-in ever stored (measured: 42 ms a round at 290,000
    rows, growing with them).
    """
    conditions = ["m.pending_since IS NOT NULL"]
    if by_ids:
        conditions.append("m.subject_id = ANY(%s::bigint[])")
    if older:
        conditions.append("m.pending_since < %s::timestamptz")
    state_columns = ", ".join([*(f"m.{c} AS m_{c}" for c in _STATE_COLUMNS), "m.pending_since AS m_pending_since",
                               *(f"s.{c} AS s_{c}" for c in _SUBJECT_COLUMNS)])
    fix_columns = ", ".join("c.client_id::text" if c == "client_id" else
                            f"(EXTRACT(EPOCH FROM c.{c}) * 1000000)::bigint" if c.endswith("_at") else f"c.{c}"
                            for c in engine.StoredFixes.COLUMNS)
    checkin = CheckIn._meta.db_table
    return (
        f"WITH locked AS MATERIALIZED (SELECT {state_columns} FROM {MonitorState._meta.db_table} m "  # noqa: S608
        f"JOIN {Subject._meta.db_table} s ON s.id = m.subject_id WHERE {' AND '.join(conditions)} "
        "ORDER BY m.pending_since LIMIT %s::integer FOR UPDATE OF m SKIP LOCKED) "
        f"SELECT locked.*, {fix_columns} FROM locked LEFT JOIN LATERAL (SELECT * FROM {checkin} "
        f"WHERE {checkin}.subject_id = locked.m_subject_id AND {checkin}.id > locked.m_evaluated_through_id "
        "OFFSET 0) AS c ON true ORDER BY c.id")


def _lock_and_read(subject_ids: list[int] | None, older_than: dt.datetime | None,
                   limit: int) -> tuple[list[MonitorState], engine.StoredFixes]:
    """The waiting persons' states, locked, in the order they were marked, and their new fixes
    (one round trip; see ``_lock_and_read_sql``)."""
    params: list[Any] = [*([list(subject_ids)] if subject_ids is not None else []),
                         *([older_than] if older_than is not None else []), limit]
    with hot_cursor() as cursor:
        cursor.execute(_lock_and_read_sql(subject_ids is not None, older_than is not None), params)
        rows = cursor.fetchall()
    n_state, n_subject = len(_STATE_COLUMNS), len(_SUBJECT_COLUMNS)
    fix_at = n_state + 1 + n_subject
    marked: dict[int, tuple[Any, MonitorState]] = {}
    for row in rows:
        if row[0] not in marked:
            state = MonitorState.from_db("default", _STATE_COLUMNS, row[:n_state])
            state.subject = Subject.from_db("default", _SUBJECT_COLUMNS, row[n_state + 1:fix_at])
            marked[row[0]] = (row[n_state], state)
    states = [state for _since, state in sorted(marked.values(), key=lambda item: (item[0], item[1].subject_id))]
    return states, engine.StoredFixes.from_rows([row[fix_at:] for row in rows if row[fix_at] is not None])


def _fixes_to_evaluate(after: dict[int, int]) -> engine.StoredFixes:
    """Each person's stored fixes past their evaluation cursor, in id order (other databases)."""
    condition = Q()
    for pk, cursor_id in after.items():
        condition |= Q(subject_id=pk, id__gt=cursor_id)
    return engine.StoredFixes.from_rows([
        (pk, sid, cid, to_epoch_us(recorded), to_epoch_us(received), *rest) for pk, sid, cid, recorded, received, *rest
        in CheckIn.objects.filter(condition).order_by("id").values_list(*engine.StoredFixes.COLUMNS)])


def evaluate_pending(subject_ids: list[int] | None = None, *, older_than: dt.datetime | None = None,
                     limit: int = 500) -> int:
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
    done = 0
    for pk in subject_ids if subject_ids is not None else _waiting_ids(older_than, limit):
        try:
            if subject_ids is not None and len(subject_ids) == 1:
                raise engine.UnevaluableData("evaluated alone already")
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
    return list(_waiting(None, older_than).order_by("pending_since").values_list("subject_id", flat=True)[:limit])


def _evaluate_round(subject_ids: list[int] | None, older_than: dt.datetime | None, limit: int) -> int:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            states, fixes = _lock_and_read(subject_ids, older_than, limit)
        else:
            states = list(_waiting(subject_ids, older_than).select_related("subject").only(*_STATE_FIELDS)
                          .order_by("pending_since").select_for_update(skip_locked=True, of=("self",))[:limit])
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
            state = (MonitorState.objects.select_related("subject").select_for_update(of=("self",))
                     .filter(subject_id=pk, pending_since__isnull=False).first())
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
    if Alert.objects.filter(subject=subject, kind=Kind.EVALUATION_FAILED).exclude(status=Alert.Status.RESOLVED).exists():
        return  # staff already know; the track shows every fix set aside since
    first = min(errors)
    fixes = CheckIn.objects.filter(pk__in=errors).order_by("id")
    raise_alert(subject, kind=Kind.EVALUATION_FAILED, severity=Severity.WARNING, occurred_at=timezone.now(),
                dedupe_key=f"evaluation_failed:{subject.pk}:{first}",
                evidence={"fix_ids": [str(f.client_id) for f in fixes[:20]], "set_aside": len(errors),
                          "error": errors[first]})


def _engine_states(states: list[MonitorState]) -> dict[int, Any]:
    """The locked persons' engine states: those this process stored last when the row's cursor
    shows nobody evaluated them since, the others read from their rows."""
    cursors = {st.subject_id: st.evaluated_through_id for st in states}
    found: dict[int, Any] = engine.remembered_states(cursors)
    missing = [pk for pk in cursors if pk not in found]
    if missing and connection.vendor == "postgresql":
        with hot_cursor() as cursor:  # rows this transaction has locked
            cursor.execute(f"SELECT subject_id, engine_state::text FROM {MonitorState._meta.db_table} "  # noqa: S608
                           "WHERE subject_id = ANY(%s)", [missing])
            found.update((pk, engine.state_from_json(value)) for pk, value in cursor.fetchall())
    elif missing:  # the ORM's lock read the whole rows
        found.update((st.subject_id, engine.state_from_json(st.engine_state)) for st in states
                     if st.subject_id in missing)
    return found


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
            quality=QUALITY_BY_CODE[code].value)
    # Rows of each subject, in id order (a stable sort by subject keeps it).
    order = np.argsort(fixes.subject_id, kind="stable")
    present, starts = np.unique(fixes.subject_id[order], return_index=True)
    bounds = dict(zip(present.tolist(), zip(starts.tolist(), [*starts[1:].tolist(), n], strict=True), strict=True))
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
        updates.append([None if new_state is None else engine.state_json(new_state), through, *position, state.pk])
        if new_state is not None:
            remember.append((state.subject_id, through, new_state))
        if position[0] is not None and latest is not None:
            positions.append((subject.office_id, {
                "subject_id": subject.pk, "name": subject.name, "lat": position[0], "lon": position[1],
                "accuracy_m": position[2], "recorded_at": datetime_from_us(int(fixes.recorded_us[latest])).isoformat()}))
        newest = int(rows[np.argmax(fixes.recorded_us[rows])])
        _warn_low_battery(subject, fixes.battery[newest], fixes.charging[newest],
                          datetime_from_us(int(fixes.recorded_us[newest])), {"fix_ids": [fixes.client_id[newest]]})
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
    return [float(fixes.lat[row]), float(fixes.lon[row]), float(fixes.accuracy_m[row]),
            connection.ops.adapt_datetimefield_value(at)]


def _store_states(updates: list[list[Any]]) -> None:
    """New engine states, cursors and positions, and the marks cleared: one statement, many rows.

    Each update is ``[engine state JSON, evaluated through id, lat, lon, accuracy, fix time,
    subject id]``; a ``None`` state or position keeps the stored one.
    """
    table = MonitorState._meta.db_table
    with hot_cursor() as cursor:
        if connection.vendor == "postgresql":
            # One UPDATE over the rows as arrays: an UPDATE per person cost the database more
            # than evaluating them.
            state, through, lat, lon, accuracy, at, sid = zip(*updates, strict=True)
            at = tuple(None if value is None else value.isoformat() for value in at)
            cursor.execute(
                f"UPDATE {table} SET engine_state = COALESCE(u.state::jsonb, engine_state), evaluated_through_id = u.through, "  # noqa: S608
                "pending_since = NULL, last_lat = COALESCE(u.lat, last_lat), last_lon = COALESCE(u.lon, last_lon), "
                "last_accuracy_m = COALESCE(u.accuracy, last_accuracy_m), last_fix_at = COALESCE(u.at, last_fix_at) "
                "FROM unnest(%s::text::text[], %s::text::bigint[], %s::text::float8[], %s::text::float8[], "
                "%s::text::float8[], %s::text::timestamptz[], %s::text::bigint[]) AS u(state, through, lat, lon, accuracy, at, sid) "
                f"WHERE {table}.subject_id = u.sid",
                [_array(state, "text"), _array(through, "float8"), _array(lat, "float8"), _array(lon, "float8"),
                 _array(accuracy, "float8"), _array(at, "text"), _array(sid, "float8")])
            return
        cursor.executemany(
            f"UPDATE {table} SET engine_state = COALESCE(%s, engine_state), evaluated_through_id = %s, pending_since = NULL, "  # noqa: S608
            "last_lat = COALESCE(%s, last_lat), last_lon = COALESCE(%s, last_lon), "
            "last_accuracy_m = COALESCE(%s, last_accuracy_m), last_fix_at = COALESCE(%s, last_fix_at) "
            "WHERE subject_id = %s", updates)


_ZONE_ALERTS = {
    # (engine event kind, zone kind) -> (alert kind, severity)
    ("breach_opened", Zone.Kind.INCLUSION): (Kind.LEFT_ZONE, Severity.CRITICAL),
    ("breach_opened", Zone.Kind.EXCLUSION): (Kind.ENTERED_ZONE, Severity.CRITICAL),
    ("crossing", Zone.Kind.EXCLUSION): (Kind.CROSSED_ZONE, Severity.WARNING),
    ("approach", Zone.Kind.EXCLUSION): (Kind.APPROACHING, Severity.WARNING),
}
_INTEGRITY_ALERTS = {"mock_location": (Kind.MOCK_LOCATION, Severity.WARNING),
                     "teleport": (Kind.TELEPORT, Severity.WARNING)}


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
            raise_alert(subject, kind=kind, severity=severity, occurred_at=event.at, late=event.late,
                        dedupe_key=f"{kind}:{subject.pk}:{day}", evidence=evidence)
            continue
        zone = zones.get(event.zone_id or 0)
        if zone is None or (event.kind, zone.kind) not in _ZONE_ALERTS:
            continue
        kind, severity = _ZONE_ALERTS[(event.kind, zone.kind)]
        if kind == Kind.LEFT_ZONE and zone.purpose == Zone.Purpose.CURFEW:
            kind = Kind.CURFEW
        if kind == Kind.APPROACHING:
            severity = Severity.INFO if subject.supervision_level == Subject.Level.LENIENT else Severity.WARNING
        raise_alert(subject, kind=kind, severity=severity, occurred_at=event.at, zone=zone, late=event.late,
                    dedupe_key=f"{kind}:{subject.pk}:{zone.pk}:{event.episode_key}", evidence=evidence)


def _close_breach(subject: Subject, event: engine.EngineEvent, zone: Zone | None) -> None:
    """The person is back: note it on the open breach alert (staff still resolve it themselves)."""
    if zone is None:
        return
    alert = (Alert.objects.select_for_update(of=("self",)).select_related("subject", "office", "zone", "acknowledged_by",
                                                               "resolved_by")
             .filter(subject=subject, zone=zone, kind__in=[Kind.LEFT_ZONE, Kind.ENTERED_ZONE, Kind.CURFEW])
             .order_by("-seq").first())
    if alert is None or "returned_at" in alert.evidence:
        return
    alert.evidence = {**alert.evidence, "returned_at": event.at.isoformat(), "return_fix_ids": event.fix_ids}
    alert.save(update_fields=["evidence"])
    publish_event(alert.office_id, "alert.updated", alert_payload(alert))


def _warn_low_battery(subject: Subject, battery: float | None, charging: bool | None, at: dt.datetime,
                      evidence: dict[str, Any]) -> None:
    """One low-battery risk warning per person and local day, from a fix or a heartbeat."""
    if battery is not None and battery <= LOW_BATTERY_PERCENT and not charging:
        raise_alert(subject, kind=Kind.LOW_BATTERY, severity=Severity.INFO, occurred_at=at,
                    dedupe_key=f"low_battery:{subject.pk}:{timezone.localtime(at).date().isoformat()}",
                    evidence={"battery": battery, **evidence})


# ---------------------------------------------------------------------------------------------
# Phone status and silent phones
# ---------------------------------------------------------------------------------------------


def record_status(device: Device, status: dict[str, Any]) -> MonitorState:
    """Store a heartbeat; location permission or GPS switched off is a risk warning at once."""
    now = timezone.now()
    subject = device.subject
    with transaction.atomic():
        state = _lock_state(subject)
        state.last_status, state.last_status_at = {k: v for k, v in status.items() if v is not None}, now
        state.save(update_fields=["last_status", "last_status_at"])
        off = [name for name in ("location_permission", "gps_enabled") if status.get(name) is False]
        if off:
            hour = timezone.localtime(now).strftime("%Y-%m-%dT%H")
            raise_alert(subject, kind=Kind.PERMISSION_OFF, severity=Severity.WARNING, occurred_at=now,
                        dedupe_key=f"permission_off:{subject.pk}:{hour}", evidence={"off": off, "status": status})
        _warn_low_battery(subject, status.get("battery"), status.get("charging"), now, {})
    return state


def detect_offline(now: dt.datetime | None = None) -> int:
    """Raise one offline (脱管) alert per silent episode for every subject whose phone is overdue."""
    now = now or timezone.now()
    overdue = (MonitorState.objects.select_related("subject")
               .filter(subject__status=Subject.Status.IN_SUPERVISION, next_checkin_due__lt=now - OFFLINE_GRACE,
                       offline_alerted_at__isnull=True))
    raised = 0
    for state in overdue:
        with transaction.atomic():
            locked = MonitorState.objects.select_for_update().get(pk=state.pk)
            if locked.offline_alerted_at is not None or locked.next_checkin_due is None:
                continue
            due = locked.next_checkin_due
            raise_alert(state.subject, kind=Kind.OFFLINE,
                        severity=Severity.CRITICAL if state.subject.supervision_level == Subject.Level.STRICT
                        else Severity.WARNING,
                        occurred_at=due, dedupe_key=f"offline:{state.subject_id}:{due.isoformat()}",
                        evidence={"due_at": due.isoformat(),
                                  "last_fix_at": locked.last_fix_at.isoformat() if locked.last_fix_at else None})
            MonitorState.objects.filter(pk=locked.pk).update(offline_alerted_at=now)
            raised += 1
    return raised


def ensure_monitor_state(subject: Subject) -> MonitorState:
    """Start watching a newly enrolled phone: its first check-in is due one interval from now."""
    state, _created = MonitorState.objects.get_or_create(
        subject=subject, defaults={"next_checkin_due": timezone.now() + checkin_interval(subject.supervision_level)})
    return state
