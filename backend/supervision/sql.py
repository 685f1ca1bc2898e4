"""The PostgreSQL statements of supervision, written out where measured (STYLE.md, practice 14).

Named parameters (``%(name)s``), named result columns. The active phone's statement is also a
piece of monitoring's one-statement check-in upload, which takes it, with the request's receipt
recorded (``signed_phone_ctes``), as its ``phone`` CTE.
"""

from __future__ import annotations

from typing import Any

from backend.supervision.models import Device, SeenSignature, Subject


def _in_model_order(model: Any, names: set[str]) -> tuple[str, ...]:
    # Model.from_db takes a subset of columns in the model's field order.
    return tuple(f.attname for f in model._meta.concrete_fields if f.attname in names)


DEVICE_COLUMNS = _in_model_order(Device, {"id", "subject_id", "last_seen_at", "push_token", "public_key"})
SUBJECT_COLUMNS = _in_model_order(Subject, {"id", "office_id", "status", "supervision_level", "name"})
# The result columns come out as ``d_<name>`` and ``s_<name>`` (device, subject), so that a
# statement can take this one as a CTE and name them.
ACTIVE_DEVICE_COLUMNS = (*(f"d_{c}" for c in DEVICE_COLUMNS), *(f"s_{c}" for c in SUBJECT_COLUMNS))
DEVICE_ROW_WIDTH = len(ACTIVE_DEVICE_COLUMNS)


def active_device_sql(key: str) -> str:
    """The active phone (not revoked, its person in supervision) whose ``key`` column
    (``token_hash`` or ``id``) is ``%(device_key)s``; the person's status in supervision is
    ``%(in_supervision)s``. ``services.active_device_params`` gives both. Columns:
    ``ACTIVE_DEVICE_COLUMNS``.

    Table and column names only; the values are parameters.
    """
    assert key in ("token_hash", "id")
    return (
        f"SELECT {', '.join(f'd.{c} AS d_{c}' for c in DEVICE_COLUMNS)}, "  # noqa: S608
        f"{', '.join(f's.{c} AS s_{c}' for c in SUBJECT_COLUMNS)} "
        f"FROM {Device._meta.db_table} d JOIN {Subject._meta.db_table} s ON s.id = d.subject_id "
        f"WHERE d.{key} = %(device_key)s AND d.revoked_at IS NULL AND s.status = %(in_supervision)s"
    )


def signed_phone_ctes(key: str) -> str:
    """CTEs for a statement that does a signed request's work: ``phone``, the active phone of
    ``active_device_sql(key)`` if the request is the first with its receipt, else no row (a
    replay: the statement then does nothing). The receipt (``signing.Receipt``) is recorded in
    the same statement; ``%(signature_digest)s`` NULL means there is none to record (the request
    was checked before, or its phone signs nothing). Parameters: ``active_device_sql``'s and
    ``signing.receipt_params``'.
    """
    return f"""found AS (
    {active_device_sql(key)}
),
fresh AS (
    INSERT INTO {SeenSignature._meta.db_table} (digest, expires_at)
    SELECT %(signature_digest)s::uuid, %(signature_expires_at)s::timestamptz FROM found
    WHERE %(signature_digest)s::uuid IS NOT NULL
    ON CONFLICT (digest) DO NOTHING RETURNING 1
),
phone AS (
    SELECT found.* FROM found WHERE %(signature_digest)s::uuid IS NULL OR EXISTS (SELECT FROM fresh)
)"""  # noqa: S608
