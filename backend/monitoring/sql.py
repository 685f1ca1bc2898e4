"""The statements of monitoring written out in SQL, where measured (STYLE.md, practice 14).

Every statement here takes named parameters (``%(name)s``) and names its result columns. The
PostgreSQL ones run on ``backend.core.db.hot_cursor`` (prepared on the server from their second
run); each has a generic twin for other databases (the ORM, or the plain SQL below), and
``tests/backend/test_sql_twins.py`` runs both on the same input on PostgreSQL.

- the one-statement check-in upload (``upload_sql``), built from the pieces their owners expose:
  supervision's active phone and reminders' pending reminders; and the pending commands to the
  phone (``pending_commands_sql``);
- the body hashes of fixes a phone already sent (``KNOWN_FIXES_*``);
- the evaluator's lock of the waiting persons and read of their new fixes (``lock_and_read_sql``);
- the locked persons' stored engine states (``ENGINE_STATES``);
- the new engine states, cursors and positions (``STORE_STATES_*``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from backend.monitoring import engine
from backend.monitoring.models import CheckIn, MonitorState, PhoneCommand
from backend.reminders.sql import pending_reminders_json_sql
from backend.supervision.models import Device, Subject
from backend.supervision.sql import ACTIVE_DEVICE_COLUMNS, signed_phone_ctes

STATE = MonitorState._meta.db_table
CHECKIN = CheckIn._meta.db_table
COMMAND = PhoneCommand._meta.db_table
DEVICE = Device._meta.db_table
SUBJECT = Subject._meta.db_table


def array(values: tuple[Any, ...] | list[Any], kind: str) -> str:
    """A PostgreSQL array literal of validated values (psycopg's list adapter costs ~10x more).

    Numbers are finite floats (the parser refused the rest), text is always quoted and escaped,
    ``None`` is NULL.
    """
    items: Iterable[Any]
    if kind == "float8":
        items = (
            map(repr, values) if None not in values else ("NULL" if v is None else repr(v) for v in values)
        )
    elif kind == "bool":
        items = ("NULL" if v is None else ("t" if v else "f") for v in values)
    elif kind in ("uuid", "name"):  # UUIDs, hex digests, ISO times, our own codes: nothing to quote
        items = values
    else:
        items = (
            "NULL" if v is None else '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values
        )
    return "{" + ",".join(items) + "}"


# ---------------------------------------------------------------------------------------------
# The check-in upload
# ---------------------------------------------------------------------------------------------

# (column, PostgreSQL type) of the per-fix values sent as arrays: parameter ``fix_<column>``.
UPLOAD_COLUMNS = (
    ("client_id", "uuid"),
    ("body_hash", "text"),
    ("recorded_at", "timestamptz"),
    ("lat", "float8"),
    ("lon", "float8"),
    ("raw_lat", "float8"),
    ("raw_lon", "float8"),
    ("crs", "text"),
    ("accuracy_m", "float8"),
    ("altitude_m", "float8"),
    ("speed_mps", "float8"),
    ("battery", "float8"),
    ("charging", "bool"),
    ("mock_location", "bool"),
    ("provider", "text"),
    ("quality", "text"),
)
# The upload's result: the phone's columns (supervision's), then its own.
UPLOAD_RESULT = (*ACTIVE_DEVICE_COLUMNS, "locked", "next_due", "resumed", "inserted", "reminders", "commands")


def pending_commands_sql(subject: str) -> str:
    """The pending commands of the person ``subject`` (an SQL expression of their id), oldest
    first: not acknowledged, not withdrawn, not expired at ``%(received_at)s``; at most
    ``%(commands_limit)s``. Columns: id, kind, payload, created_at, expires_at, delivered_at.
    Its generic twin: ``services.commands.pending_commands``."""
    return f"""
    SELECT id, kind, payload, created_at, expires_at, delivered_at FROM {COMMAND}
    WHERE subject_id = {subject} AND acknowledged_at IS NULL AND withdrawn_at IS NULL
      AND (expires_at IS NULL OR expires_at > %(received_at)s)
    ORDER BY created_at, id LIMIT %(commands_limit)s
"""  # noqa: S608


@functools.cache
def upload_sql(key: str) -> str:
    """The check-in upload in one statement, so one transaction and one round trip (PostgreSQL).

    ``key`` says how the phone is named: ``token_hash`` on the fast path (the statement is then
    the phone's only authentication) or ``id`` after the view's check (checked active again in
    this transaction, so a phone revoked a moment ago stores nothing). The steps, in order:

    - ``phone``: the active phone and its person (supervision's statement), if the request is
      the first with its signature's receipt, which is recorded (none: a replay, nothing is done);
    - ``seen``: the phone marked seen, at most once a minute;
    - ``state``: the person's monitoring state, locked before the INSERT runs (the INSERT reads
      its rows from this UPDATE's result), noting the contact and, when the batch had a valid
      fix, the next due time: one of the person's check-in intervals after this upload (the
      interval is kept in the state, ``services.expectations``, so the level's policy is not
      looked up here); a silence that had raised a warning is noted as ended
      (``contact_resumed_at``); its mark (``pending_since``) tells the evaluators, who poll for
      marks, there is work;
    - ``new``: the fixes inserted, skipping ids this phone already sent;
    - ``cmds``, ``delivered``: the person's pending commands to the phone, marked delivered the
      first time they go out;
    - the answer: the phone, whether its state was locked, the due time, whether contact
      resumed, the ids stored, the phone's pending reminders (reminders' statement) and
      commands, all in this round trip.

    Parameters: ``device_key``, ``in_supervision``, ``signature_*`` (supervision's), ``received_at``,
    ``seen_before``, ``valid``, ``has_fixes``, ``clock_skew_s``, ``commands_limit``,
    ``fix_<column>`` for each of ``UPLOAD_COLUMNS`` (array literals) and reminders'
    ``reminders_*``. Columns: ``UPLOAD_RESULT``.
    """
    names = ", ".join(name for name, _type in UPLOAD_COLUMNS)
    arrays = ", ".join(f"%(fix_{name})s::text::{kind}[]" for name, kind in UPLOAD_COLUMNS)
    values = ", ".join(f"f.{name}" for name, _type in UPLOAD_COLUMNS)
    return f"""
WITH {signed_phone_ctes(key)},
seen AS (
    UPDATE {DEVICE} SET last_seen_at = %(received_at)s FROM phone
    WHERE {DEVICE}.id = phone.d_id AND (phone.d_last_seen_at IS NULL OR phone.d_last_seen_at < %(seen_before)s)
),
state AS (
    UPDATE {STATE} SET last_checkin_received_at = %(received_at)s,
        next_checkin_due = CASE WHEN %(valid)s THEN %(received_at)s::timestamptz + checkin_interval
                                ELSE next_checkin_due END,
        contact_resumed_at = CASE WHEN %(valid)s AND offline_alerted_at IS NOT NULL THEN %(received_at)s
                                  ELSE contact_resumed_at END,
        offline_alerted_at = CASE WHEN %(valid)s THEN NULL ELSE offline_alerted_at END,
        lost_contact_alerted_at = CASE WHEN %(valid)s THEN NULL ELSE lost_contact_alerted_at END,
        pending_since = CASE WHEN %(has_fixes)s THEN COALESCE(pending_since, %(received_at)s) ELSE pending_since END
    FROM phone WHERE {STATE}.subject_id = phone.d_subject_id
    RETURNING CASE WHEN %(valid)s THEN next_checkin_due END AS at,
              (%(valid)s AND contact_resumed_at = %(received_at)s) AS resumed
),
new AS (
    INSERT INTO {CHECKIN} (subject_id, device_id, received_at, clock_skew_s, {names})
    SELECT phone.d_subject_id, phone.d_id, %(received_at)s, %(clock_skew_s)s, {values}
    FROM state, phone, unnest({arrays}) AS f({names})
    ON CONFLICT (device_id, client_id) DO NOTHING
    RETURNING client_id
),
cmds AS (
    {pending_commands_sql("(SELECT d_subject_id FROM phone)")}
),
delivered AS (
    UPDATE {COMMAND} SET delivered_at = %(received_at)s FROM cmds
    WHERE {COMMAND}.id = cmds.id AND cmds.delivered_at IS NULL
)
SELECT phone.*,
       (SELECT count(*) FROM state) AS locked,
       (SELECT at FROM state) AS next_due,
       COALESCE((SELECT resumed FROM state), false) AS resumed,
       ARRAY(SELECT client_id::text FROM new) AS inserted,
       {pending_reminders_json_sql("phone.d_subject_id")} AS reminders,
       (SELECT COALESCE(json_agg(json_build_array(c.id, c.kind, c.payload, c.created_at, c.expires_at)
                                 ORDER BY c.created_at, c.id), '[]') FROM cmds c) AS commands
FROM phone
"""  # noqa: S608


# Body hashes of the fixes among ``client_ids`` that the phone ``device_id`` already sent (one
# indexed query). PostgreSQL takes the ids as one array parameter (psycopg adapts it whole
# instead of splitting 500 placeholders); other databases a placeholder per id
# (``known_fixes_generic``). Columns: client_id, body_hash.
KNOWN_FIXES_POSTGRESQL = (
    f"SELECT client_id, body_hash FROM {CHECKIN} "  # noqa: S608
    "WHERE device_id = %(device_id)s AND client_id = ANY(%(client_ids)s::uuid[])"
)


def known_fixes_generic(count: int) -> str:
    """``KNOWN_FIXES_POSTGRESQL`` for other databases: parameters ``device_id``, ``id_0``..``id_<count-1>``."""
    ids = ", ".join(f"%(id_{i})s" for i in range(count))
    return (
        f"SELECT client_id, body_hash FROM {CHECKIN} WHERE device_id = %(device_id)s AND client_id IN ({ids})"  # noqa: S608
    )


# ---------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------

# The columns of the evaluator's lock and read: the state's, ``m_pending_since``, the person's,
# then the fix's (``engine.StoredFixes.COLUMNS``, named ``c_<column>``).
LOCK_STATE_COLUMNS = ("subject_id", "last_fix_at", "evaluated_through_id")
LOCK_SUBJECT_COLUMNS = tuple(
    f.attname
    for f in Subject._meta.concrete_fields
    if f.attname in {"id", "office_id", "name", "supervision_level", "status"}
)
LOCK_AND_READ_RESULT = (
    *(f"m_{c}" for c in LOCK_STATE_COLUMNS),
    "m_pending_since",
    *(f"s_{c}" for c in LOCK_SUBJECT_COLUMNS),
    *(f"c_{c}" for c in engine.StoredFixes.COLUMNS),
)


@functools.cache
def lock_and_read_sql(by_ids: bool, older: bool) -> str:
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

    Parameters: ``subject_ids`` (with ``by_ids``), ``older_than`` (with ``older``), ``limit``.
    Columns: ``LOCK_AND_READ_RESULT``.
    """
    conditions = ["m.pending_since IS NOT NULL"]
    if by_ids:
        conditions.append("m.subject_id = ANY(%(subject_ids)s::bigint[])")
    if older:
        conditions.append("m.pending_since < %(older_than)s::timestamptz")
    state_columns = ", ".join(
        [
            *(f"m.{c} AS m_{c}" for c in LOCK_STATE_COLUMNS),
            "m.pending_since AS m_pending_since",
            *(f"s.{c} AS s_{c}" for c in LOCK_SUBJECT_COLUMNS),
        ]
    )
    fix_columns = ", ".join(
        f"c.client_id::text AS c_{c}"
        if c == "client_id"
        else f"(EXTRACT(EPOCH FROM c.{c}) * 1000000)::bigint AS c_{c}"
        if c.endswith("_at")
        else f"c.{c} AS c_{c}"
        for c in engine.StoredFixes.COLUMNS
    )
    return f"""
WITH locked AS MATERIALIZED (
    SELECT {state_columns}
    FROM {STATE} m JOIN {SUBJECT} s ON s.id = m.subject_id
    WHERE {" AND ".join(conditions)}
    ORDER BY m.pending_since LIMIT %(limit)s::integer
    FOR UPDATE OF m SKIP LOCKED
)
SELECT locked.*, {fix_columns}
FROM locked LEFT JOIN LATERAL (
    SELECT * FROM {CHECKIN}
    WHERE {CHECKIN}.subject_id = locked.m_subject_id AND {CHECKIN}.id > locked.m_evaluated_through_id
    OFFSET 0
) AS c ON true
ORDER BY c.id
"""  # noqa: S608


# The stored engine states of persons this transaction has locked (``subject_ids``).
ENGINE_STATES = (
    f"SELECT subject_id, engine_state::text AS engine_state FROM {STATE} "  # noqa: S608
    "WHERE subject_id = ANY(%(subject_ids)s)"
)

# New engine states, cursors and positions, and the marks cleared. A NULL state or position
# keeps the stored one. PostgreSQL: one UPDATE over the rows as arrays (an UPDATE per person cost
# the database more than evaluating them), parameters ``states``, ``through``, ``lat``, ``lon``,
# ``accuracy``, ``at``, ``subject_ids`` (array literals, see ``array``). Other databases: one
# UPDATE per person (``executemany``), parameters ``state``, ``through``, ``lat``, ``lon``,
# ``accuracy``, ``at``, ``subject_id``.
STORE_STATES_POSTGRESQL = f"""
UPDATE {STATE} SET engine_state = COALESCE(u.state::jsonb, engine_state),
    evaluated_through_id = u.through,
    pending_since = NULL,
    last_lat = COALESCE(u.lat, last_lat), last_lon = COALESCE(u.lon, last_lon),
    last_accuracy_m = COALESCE(u.accuracy, last_accuracy_m), last_fix_at = COALESCE(u.at, last_fix_at)
FROM unnest(%(states)s::text::text[], %(through)s::text::bigint[], %(lat)s::text::float8[],
            %(lon)s::text::float8[], %(accuracy)s::text::float8[], %(at)s::text::timestamptz[],
            %(subject_ids)s::text::bigint[]) AS u(state, through, lat, lon, accuracy, at, sid)
WHERE {STATE}.subject_id = u.sid
"""  # noqa: S608
STORE_STATES_GENERIC = (
    f"UPDATE {STATE} SET engine_state = COALESCE(%(state)s, engine_state), evaluated_through_id = %(through)s, "  # noqa: S608
    "pending_since = NULL, last_lat = COALESCE(%(lat)s, last_lat), last_lon = COALESCE(%(lon)s, last_lon), "
    "last_accuracy_m = COALESCE(%(accuracy)s, last_accuracy_m), last_fix_at = COALESCE(%(at)s, last_fix_at) "
    "WHERE subject_id = %(subject_id)s"
)
