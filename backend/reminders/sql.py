"""The PostgreSQL statements of reminders, written out where measured (STYLE.md, practice 14).

Named parameters (``%(name)s``), named result columns. The generic twin of each is the ORM
query beside its caller; ``tests/backend/test_sql_twins.py`` runs both on the same rows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.utils import timezone

from backend.reminders.models import Reminder

# How many pending reminders one check-in answer carries at most (the oldest first).
MAX_PENDING_IN_ANSWER = 20

# The rule of ``pending_reminders`` (due, not acknowledged, not expired, a check-in prompt not
# superseded by the upload) written out for the check-in path: building the ORM query cost more
# than the rest of a single-fix upload. The person is ``{subject}``, an SQL expression; the
# parameter names start with ``reminders_`` so that a statement carrying this one along can
# take them beside its own.
_PENDING = f"""
    SELECT id, kind, title, body, data, send_at FROM {Reminder._meta.db_table}
    WHERE subject_id = {{subject}} AND acknowledged_at IS NULL AND send_at <= %(reminders_now)s
      AND (expires_at IS NULL OR expires_at > %(reminders_now)s)
      AND NOT (kind = %(reminders_checkin_kind)s AND created_at < %(reminders_uploaded_at)s)
    ORDER BY send_at, id LIMIT %(reminders_limit)s
"""  # noqa: S608

# One person's pending reminders (``%(subject_id)s``); columns id, kind, title, body, data, send_at.
PENDING_REMINDERS = _PENDING.format(subject="%(subject_id)s")


def pending_reminders_json_sql(subject: str) -> str:
    """The pending reminders of the person ``subject`` (an SQL expression of their id, e.g. a
    column of the statement around it) as one JSON array of ``[id, kind, title, body, data]``,
    for a statement that carries them along (the check-in upload: one round trip, not two).
    Its parameters: ``pending_reminders_params``."""
    return (
        "(SELECT COALESCE(json_agg(json_build_array(r.id, r.kind, r.title, r.body, r.data) "  # noqa: S608
        f"ORDER BY r.send_at, r.id), '[]') FROM ({_PENDING.format(subject=subject)}) AS r)"
    )


def pending_reminders_params(uploaded_at: dt.datetime) -> dict[str, Any]:
    """The parameters of the pending reminders' SQL (all but the person) for the upload ``uploaded_at``."""
    prepare = connection.ops.adapt_datetimefield_value
    return {
        "reminders_now": prepare(timezone.now()),
        "reminders_checkin_kind": Reminder.Kind.CHECKIN,
        "reminders_uploaded_at": prepare(uploaded_at),
        "reminders_limit": MAX_PENDING_IN_ANSWER,
    }
