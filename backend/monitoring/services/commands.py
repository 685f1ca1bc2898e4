"""Orders to the phone (the ``commands`` of check-in and status answers).

FCM does not reach most phones in mainland China, so what the server wants from a phone rides
back on the answers the phone already gets: every check-in answer (both upload paths: the
PostgreSQL statement carries them in its round trip) and every status answer lists the person's
pending commands until the phone acknowledges them (``acknowledge_command``, idempotent), they
expire, or a newer one of the same kind withdraws them.

Kinds and payloads (``PAYLOAD_RULES``; the mobile guide documents them):

- ``sampling`` ``{regime: "verification"|"continuous", interval_s}``: how the phone takes fixes.
  ``services.expectations`` sends it when a person's regime or interval changes; a newer one
  withdraws the older pending ones.
- ``fix_now`` ``{reason}``: take a fix and upload it now (a curfew check, staff asking).
- ``leave_decision`` ``{leave_request, status, note}``: a leave request was decided.

Modules above monitoring (casework) call ``send_command``; it is idempotent by ``dedupe_key``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from backend.monitoring.models import PhoneCommand, SamplingRegime
from backend.supervision.models import Device, Subject

Kind = PhoneCommand.Kind

# How many pending commands one answer carries at most (the oldest first).
MAX_COMMANDS_IN_ANSWER = 20
MAX_TEXT = 500
MIN_INTERVAL_S, MAX_INTERVAL_S = 1, 7 * 24 * 3600
# Kinds of which only the newest pending command counts: a newer one withdraws the older.
LATEST_ONLY = frozenset({Kind.SAMPLING})


def _text(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= MAX_TEXT and "\x00" not in value


def _interval(value: Any) -> bool:
    return (
        isinstance(value, int) and not isinstance(value, bool) and MIN_INTERVAL_S <= value <= MAX_INTERVAL_S
    )


# Each kind's payload: its keys and a check of each value.
PAYLOAD_RULES: dict[str, dict[str, Callable[[Any], bool]]] = {
    Kind.SAMPLING: {
        "regime": lambda v: v in SamplingRegime.values,
        "interval_s": _interval,
    },
    Kind.FIX_NOW: {"reason": _text},
    Kind.LEAVE_DECISION: {
        "leave_request": lambda v: isinstance(v, int | str) and not isinstance(v, bool) and len(str(v)) <= 40,
        "status": lambda v: _text(v) and 0 < len(v) <= 20,
        "note": _text,
    },
}


def check_payload(kind: str, payload: dict[str, Any]) -> None:
    """Refuse a payload that is not the documented shape of ``kind`` (a programming error: ValueError)."""
    rules = PAYLOAD_RULES.get(kind)
    if rules is None:
        raise ValueError(f"unknown command kind {kind!r}")
    if not isinstance(payload, dict) or set(payload) != set(rules):
        raise ValueError(f"a {kind} command's payload has exactly the keys {sorted(rules)}")
    bad = [key for key, valid in rules.items() if not valid(payload[key])]
    if bad:
        raise ValueError(f"bad value of {', '.join(bad)} in a {kind} command")
    json.dumps(payload, allow_nan=False)


def send_command(
    subject: Subject,
    kind: str,
    payload: dict[str, Any],
    *,
    expires_at: dt.datetime | None = None,
    dedupe_key: str | None = None,
) -> PhoneCommand:
    """Queue an order for ``subject``'s phone; it rides on every answer until acknowledged.

    Idempotent by ``dedupe_key`` (per person): the same key again returns the command already
    made, whatever its state. A ``sampling`` command withdraws the person's older pending ones.
    ``expires_at``: after it the command is no longer sent (none: until acknowledged).
    """
    check_payload(kind, payload)
    key = (dedupe_key or "")[:120]
    if key:
        existing = PhoneCommand.objects.filter(subject=subject, dedupe_key=key).first()
        if existing is not None:
            return existing
    now = timezone.now()
    try:
        with transaction.atomic():
            if kind in LATEST_ONLY:
                _pending(subject.pk, now).filter(kind=kind).update(withdrawn_at=now)
            return PhoneCommand.objects.create(
                subject=subject,
                kind=kind,
                payload=payload,
                dedupe_key=key,
                created_at=now,
                expires_at=expires_at,
            )
    except IntegrityError:  # a concurrent send with the same key won
        return PhoneCommand.objects.get(subject=subject, dedupe_key=key)


def withdraw_commands(subject: Subject, kinds: Iterable[str] | None = None) -> int:
    """Stop sending the person's pending commands (of ``kinds``); returns how many."""
    pending = _pending(subject.pk, timezone.now())
    if kinds is not None:
        pending = pending.filter(kind__in=list(kinds))
    return int(pending.update(withdrawn_at=timezone.now()))


def _pending(subject_id: int, now: dt.datetime) -> Any:
    return PhoneCommand.objects.filter(
        subject_id=subject_id, acknowledged_at__isnull=True, withdrawn_at__isnull=True
    ).exclude(expires_at__lte=now)


def command_item(
    pk: int, kind: str, payload: Any, created_at: dt.datetime, expires_at: dt.datetime | None
) -> dict[str, Any]:
    """One command in the answers' shape."""
    return {
        "id": str(pk),
        "kind": kind,
        "payload": payload,
        "created_at": created_at,
        "expires_at": expires_at,
    }


def pending_commands(subject_id: int, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The person's pending commands in the answers' shape, oldest first, marked delivered.

    The generic twin of the PostgreSQL upload's ``commands`` (``sql.upload_sql``).
    """
    now = now or timezone.now()
    rows = list(
        _pending(subject_id, now)
        .order_by("created_at", "id")
        .values_list("pk", "kind", "payload", "created_at", "expires_at", "delivered_at")[
            :MAX_COMMANDS_IN_ANSWER
        ]
    )
    first_time = [row[0] for row in rows if row[5] is None]
    if first_time:
        PhoneCommand.objects.filter(pk__in=first_time, delivered_at__isnull=True).update(delivered_at=now)
    return [command_item(*row[:5]) for row in rows]


def commands_from_rows(rows: Any) -> list[dict[str, Any]]:
    """The upload statement's ``commands`` (a JSON array of ``[id, kind, payload, created_at,
    expires_at]``, as text or decoded) in the answers' shape."""
    if rows is None:
        return []
    decoded = json.loads(rows) if isinstance(rows, str) else rows
    return [
        command_item(
            pk,
            kind,
            payload,
            _time(created_at),
            None if expires_at is None else _time(expires_at),
        )
        for pk, kind, payload, created_at, expires_at in decoded
    ]


def _time(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def acknowledge_command(device: Device, command_id: int) -> PhoneCommand:
    """The phone has carried out (or taken note of) the command: it is no longer sent.

    Idempotent, so a phone retrying after a lost answer gets the same answer; a command of
    someone else is 404. Acknowledging a withdrawn or expired command is accepted and changes
    nothing but the record.
    """
    command = PhoneCommand.objects.filter(pk=command_id, subject_id=device.subject_id).first()
    if command is None:
        raise Http404
    PhoneCommand.objects.filter(pk=command.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now(), acknowledged_device=device
    )
    command.refresh_from_db(fields=["acknowledged_at", "acknowledged_device"])
    return command
