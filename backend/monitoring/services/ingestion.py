"""Check-in ingestion: a phone's batch of fixes parsed, judged at receipt, stored once (one
statement on PostgreSQL, ``sql.upload_sql``), answered with each fix's fate and the phone's
pending reminders, and handed to evaluation.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Case, DateTimeField, ExpressionWrapper, F, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import AuthenticationFailed

from backend.core.db import hot_cursor
from backend.core.outbox import queue_on_commit
from backend.monitoring import engine, evaluation_queue, sql
from backend.monitoring.checkin_input import FixInput, parse_fix
from backend.monitoring.models import CheckIn, MonitorState
from backend.monitoring.rules import CLOCK_SKEW_FLAG_S
from backend.monitoring.services.commands import MAX_COMMANDS_IN_ANSWER, commands_from_rows, pending_commands
from backend.monitoring.services.evaluation import evaluate_pending
from backend.monitoring.services.phone_status import ensure_monitor_state
from backend.reminders.services import pending_payload
from backend.reminders.sql import pending_reminders_params
from backend.supervision.models import Device, Subject
from backend.supervision.services import (
    LAST_SEEN_RESOLUTION,
    active_device_params,
    authenticate_device_token,
    device_from_row,
)
from backend.supervision.signing import Receipt, receipt_params, remember
from backend.supervision.sql import DEVICE_ROW_WIDTH


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


def _mark_upload(subject: Subject, received_at: dt.datetime, valid: bool) -> tuple[dt.datetime | None, bool]:
    """Take the person's state lock for this upload and note the contact (one UPDATE).

    With valid fixes the next check-in is due one of the person's intervals from now, a silence
    that had raised a warning is noted as ended and the fixes are marked waiting for
    evaluation; an upload of nothing valid only notes that the phone was heard. Returns the new
    due time (with valid fixes) and whether contact resumed. The generic twin of the ``state``
    step of ``sql.upload_sql``.
    """
    states = MonitorState.objects.filter(subject_id=subject.pk)
    if not valid:
        updated = states.update(last_checkin_received_at=received_at)
    else:
        updated = states.update(
            last_checkin_received_at=received_at,
            next_checkin_due=ExpressionWrapper(
                Value(received_at, output_field=DateTimeField()) + F("checkin_interval"),
                output_field=DateTimeField(),
            ),
            contact_resumed_at=Case(
                When(offline_alerted_at__isnull=False, then=Value(received_at, output_field=DateTimeField())),
                default=F("contact_resumed_at"),
            ),
            offline_alerted_at=None,
            lost_contact_alerted_at=None,
            pending_since=Coalesce(F("pending_since"), Value(received_at, output_field=DateTimeField())),
        )
    if updated == 0:
        ensure_monitor_state(subject)
        return _mark_upload(subject, received_at, valid)
    if not valid:
        return None, False
    next_due, resumed_at = states.values_list("next_checkin_due", "contact_resumed_at").get()
    return next_due, resumed_at == received_at


def _known_fixes(device: Device, client_ids: list[str], *, generic: bool = False) -> dict[str, str]:
    """Body hashes of the fixes among ``client_ids`` this phone already sent (one indexed query).

    ``generic``: the statement of other databases, whatever this one is (the twin tests).
    """
    with hot_cursor() as cursor:
        if connection.vendor == "postgresql" and not generic:
            cursor.execute(
                sql.KNOWN_FIXES_POSTGRESQL,
                {"device_id": device.pk, "client_ids": "{" + ",".join(client_ids) + "}"},
            )
        else:
            cursor.execute(
                sql.known_fixes_generic(len(client_ids)),
                {
                    "device_id": device.pk,
                    **{f"id_{i}": client_id.replace("-", "") for i, client_id in enumerate(client_ids)},
                },
            )
        rows = cursor.fetchall()
    return {
        str(value) if isinstance(value, uuid.UUID) else str(uuid.UUID(value)): body_hash
        for value, body_hash in rows
    }


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


def record_checkins_with_token(
    token: str,
    items: list[Any],
    sent_at: dt.datetime | None = None,
    signature: Receipt | None = None,
) -> CheckinOutcome | None:
    """``record_checkins`` for a phone known only by its device token (the check-in fast path),
    its signature verified and the ``signature``'s receipt (``supervision.signing``) still to
    record; ``None`` when the token does not authenticate or the receipt was recorded before (a
    replay), and then nothing is stored.

    On PostgreSQL the upload's own statement authenticates the phone and records the receipt:
    one round trip in all.
    """
    if connection.vendor != "postgresql":
        device = authenticate_device_token(token)
        if device is None or (signature is not None and not remember(signature)):
            return None
        return _record(device, items, sent_at)
    return _record(token, items, sent_at, signature)


def _record(
    phone: Device | str, items: list[Any], sent_at: dt.datetime | None, signature: Receipt | None = None
) -> CheckinOutcome | None:
    received_at = timezone.now()
    skew = _skew_seconds(sent_at, received_at)
    results: list[dict[str, Any] | None] = [None] * len(items)
    parsed: list[tuple[int, FixInput]] = []
    for index, item in enumerate(items):
        fix, errors = parse_fix(item)
        if fix is None:
            raw_id = item.get("id") if isinstance(item, dict) else None
            results[index] = {
                "index": index,
                "id": raw_id if isinstance(raw_id, str) else None,
                "status": "rejected",
                "errors": errors,
            }
        else:
            parsed.append((index, fix))

    # The first occurrence of each id in the batch is a candidate; repeats are judged against it.
    first: dict[str, FixInput] = {}
    for _index, fix in parsed:
        first.setdefault(fix.client_id, fix)
    candidates = list(first.values())
    at_receipt = engine.at_receipt(candidates, received_at) if candidates else []
    if connection.vendor == "postgresql":
        stored = _store_upload_postgresql(
            phone, candidates, at_receipt, received_at, bool(parsed), skew, signature
        )
        if stored is None:
            return None
        device, next_due, inserted, pending, commands, resumed = stored
    else:
        assert isinstance(phone, Device)
        device, pending = phone, None
        next_due, inserted, resumed = _store_upload(
            device.subject, device, candidates, at_receipt, received_at, bool(parsed), skew
        )
        commands = pending_commands(device.subject_id, received_at)
    if resumed:
        _after_contact_resumed(device.subject_id)
    unknown = [client_id for client_id in first if client_id not in inserted]
    known = _known_fixes(device, unknown) if unknown else {}
    quality_of = {
        fix.client_id: quality for fix, (_lat, _lon, quality) in zip(candidates, at_receipt, strict=True)
    }
    for index, fix in parsed:
        key = fix.client_id
        if fix is first[key] and key in inserted:
            result: dict[str, Any] = {
                "index": index,
                "id": key,
                "status": "accepted",
                "quality": quality_of[key],
            }
            if abs(skew) > CLOCK_SKEW_FLAG_S:
                result["clock_skew_s"] = skew
            results[index] = result
            continue
        prior = known.get(key, first[key].body_hash)
        if prior == fix.body_hash:
            results[index] = {"index": index, "id": key, "status": "duplicate"}
        else:
            results[index] = {
                "index": index,
                "id": key,
                "status": "conflict",
                "errors": {"id": [_("This id was already sent with a different fix.")]},
            }
    if inserted and evaluation_queue.mode() != evaluation_queue.QUEUE:
        evaluate_pending([device.subject_id])
    # What the server has pending for the phone rides back in the answer (FCM does not reach
    # most phones in mainland China): its reminders and commands (the upload's own statement
    # brought both on PostgreSQL).
    reminders = pending_payload(device, received_at, pending)
    return CheckinOutcome(
        results=[r for r in results if r is not None],
        server_time=received_at,
        next_checkin_due=next_due,
        reminders=reminders,
        commands=commands,
    )


def _after_contact_resumed(subject_id: int) -> None:
    """Complete the evidence of the silence warnings this upload ended, once it is committed."""
    from backend.monitoring.tasks import note_contact_resumed

    queue_on_commit(note_contact_resumed, subject_id)


def _store_upload(
    subject: Subject,
    device: Device,
    fixes: list[FixInput],
    receipt: list[tuple[float, float, str]],
    received_at: dt.datetime,
    valid: bool,
    skew: float,
) -> tuple[dt.datetime | None, set[str], bool]:
    """Store the new ones among ``fixes`` in one transaction; returns the next due time (with a
    valid fix), the ids stored and whether contact resumed after a silence warning.

    Works on any database; PostgreSQL uses ``_store_upload_postgresql``, the same in one statement.
    """
    with transaction.atomic():
        next_due, resumed = _mark_upload(subject, received_at, valid)
        if not fixes:
            return next_due, set(), resumed
        # Under the person's lock no other upload of theirs runs, so looking up the ids first
        # and then inserting the new ones cannot race.
        known = _known_fixes(device, [fix.client_id for fix in fixes])
        rows = [
            CheckinRow(
                subject.pk,
                device.pk,
                fix.client_id,
                fix.body_hash,
                fix.recorded_at,
                received_at,
                skew,
                lat,
                lon,
                fix.lat,
                fix.lon,
                fix.crs,
                fix.accuracy_m,
                fix.altitude_m,
                fix.speed_mps,
                fix.battery,
                fix.charging,
                fix.mock_location,
                fix.provider,
                quality,
            )
            for fix, (lat, lon, quality) in zip(fixes, receipt, strict=True)
            if fix.client_id not in known
        ]
        if rows:
            CheckIn.objects.bulk_create([CheckIn(**row._asdict()) for row in rows], batch_size=250)
    return next_due, {row.client_id for row in rows}, resumed


# Where each value of the upload's result is (``sql.UPLOAD_RESULT``, the phone's columns first).
_LOCKED, _NEXT_DUE, _RESUMED, _INSERTED, _REMINDERS, _COMMANDS = (
    sql.UPLOAD_RESULT.index(name)
    for name in ("locked", "next_due", "resumed", "inserted", "reminders", "commands")
)
assert _LOCKED == DEVICE_ROW_WIDTH


def _store_upload_postgresql(
    phone: Device | str,
    fixes: list[FixInput],
    receipt: list[tuple[float, float, str]],
    received_at: dt.datetime,
    valid: bool,
    skew: float,
    signature: Receipt | None = None,
) -> tuple[Device, dt.datetime | None, set[str], Any, list[dict[str, Any]], bool] | None:
    """``_store_upload`` in one statement (PostgreSQL, ``sql.upload_sql``) that also
    authenticates the phone (its ``Device``, or its token on the fast path) and brings its
    pending reminders and commands.

    Returns ``(device, next check-in due, ids stored, reminder rows, commands, contact
    resumed)``, or ``None`` when the phone is not (or no longer) active: then nothing was
    stored. ``valid``: the batch had a valid fix, so the next check-in is due one interval from now.
    """
    # Columns in one C-level pass each (the fixes are tuples) rather than a comprehension per column.
    column = (
        dict(zip(FixInput._fields, zip(*fixes, strict=True), strict=True))
        if fixes
        else dict.fromkeys(FixInput._fields, ())
    )
    lat, lon, quality = zip(*receipt, strict=True) if receipt else ((), (), ())
    array = sql.array
    by_token = isinstance(phone, str)
    params: dict[str, Any] = {
        **(
            active_device_params(token=phone)
            if isinstance(phone, str)
            else active_device_params(device_id=phone.pk)
        ),
        "received_at": received_at,
        "seen_before": received_at - LAST_SEEN_RESOLUTION,
        "valid": valid,
        "has_fixes": bool(fixes),
        "commands_limit": MAX_COMMANDS_IN_ANSWER,
        "clock_skew_s": skew,
        # The fixes, one array per column (``sql.UPLOAD_COLUMNS``): the values as the phone sent
        # them, and the WGS-84 position and class decided at receipt.
        "fix_client_id": array(column["client_id"], "uuid"),
        "fix_body_hash": array(column["body_hash"], "name"),
        "fix_recorded_at": array(column["recorded_iso"], "name"),
        "fix_lat": array(lat, "float8"),
        "fix_lon": array(lon, "float8"),
        "fix_raw_lat": array(column["lat"], "float8"),
        "fix_raw_lon": array(column["lon"], "float8"),
        "fix_crs": array(column["crs"], "name"),
        "fix_accuracy_m": array(column["accuracy_m"], "float8"),
        "fix_altitude_m": array(column["altitude_m"], "float8"),
        "fix_speed_mps": array(column["speed_mps"], "float8"),
        "fix_battery": array(column["battery"], "float8"),
        "fix_charging": array(column["charging"], "bool"),
        "fix_mock_location": array(column["mock_location"], "bool"),
        "fix_provider": array(column["provider"], "text"),
        "fix_quality": array(quality, "name"),
        **pending_reminders_params(received_at),
        **receipt_params(signature),
    }
    with hot_cursor() as cursor:
        cursor.execute(sql.upload_sql("token_hash" if by_token else "id"), params)
        row = cursor.fetchone()
    if row is None:
        return None
    device = device_from_row(row)
    if not row[_LOCKED]:  # no monitoring state yet (a phone enrolled before monitoring existed)
        ensure_monitor_state(device.subject)
        # Without the signature: the first statement recorded its receipt.
        return _store_upload_postgresql(device, fixes, receipt, received_at, valid, skew)
    return (
        device,
        row[_NEXT_DUE],
        set(row[_INSERTED]),
        row[_REMINDERS],
        commands_from_rows(row[_COMMANDS]),
        bool(row[_RESUMED]),
    )
