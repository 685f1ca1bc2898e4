"""The access log's hash chain, on the shared chain code of ``backend.core.chain``.

Each row's content (every column but the id and the chain's own) is hashed as canonical JSON; the
row stores both digests, the previous row's hash and its own link. Rows are linked in id order.

Appending is serialized: on PostgreSQL a transaction-level advisory lock is taken before the
chain's head is read and held until the row's transaction ends, so two writers never link to the
same head, and ids (drawn inside the lock) follow the chain; SQLite's write transactions are
serialized already. A writer inside a longer transaction holds the lock until that commits: the
access log is written at the end of requests, after their work, to keep that short.

Rows written before the chain existed (no hash) are reported as such, not as breaks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from backend.audit.models import AccessLog
from backend.core.chain import GENESIS_HASH, ChainBreak, ChainEntry, canonical_json, digest_bytes, link_hash

# pg_advisory_xact_lock key of the access log's chain ("audit" in ASCII).
CHAIN_LOCK_KEY = 0x6175646974
CONTENT_FIELDS = (
    "at",
    "actor_id",
    "actor_username",
    "actor_role",
    "actor_office_id",
    "action",
    "resource",
    "object_id",
    "detail",
    "method",
    "path",
    "ip",
    "user_agent",
    "status_code",
    "outcome",
    "reason",
)


def content(row: AccessLog) -> bytes:
    return canonical_json({name: getattr(row, name) for name in CONTENT_FIELDS})


def normalized_detail(detail: dict[str, Any] | None) -> dict[str, Any]:
    """The detail as the database gives it back (string keys, JSON types), so it hashes the same."""
    return dict(json.loads(json.dumps(detail or {}, default=str)))


def append(row: AccessLog) -> AccessLog:
    """Link ``row`` (not yet saved) to the chain's head and insert it."""
    row.ip = AccessLog._meta.get_field("ip").get_prep_value(row.ip)
    # Inside a caller's transaction no savepoint is needed (nor wanted: two more statements on
    # every audited request); alone, this is the transaction the lock lives in.
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
        head = (
            AccessLog.objects.exclude(entry_hash="")
            .order_by("-id")
            .values_list("entry_hash", flat=True)
            .first()
        )
        digests = digest_bytes(content(row))
        row.previous_hash = head or GENESIS_HASH
        row.sha256, row.sm3 = digests.sha256, digests.sm3
        row.entry_hash = link_hash(row.previous_hash, digests)
        row.save(force_insert=True)
    return row


@dataclass
class Verification:
    checked: int
    unchained_before_chain: int
    breaks: list[ChainBreak]


def _entries(rows: Iterator[AccessLog], unchained: list[str]) -> Iterator[ChainEntry]:
    started = False
    for row in rows:
        if not row.entry_hash:
            if started:
                # A row without a hash after the chain began: inserted around the service.
                yield ChainEntry(str(row.pk), "", "", "", "", content=content(row))
            else:
                unchained.append(str(row.pk))
            continue
        started = True
        yield ChainEntry(
            str(row.pk), row.previous_hash, row.sha256, row.sm3, row.entry_hash, content=content(row)
        )


def verify() -> Verification:
    """Walk the whole log in id order; every break with the row's id and what is wrong."""
    unchained: list[str] = []
    count = 0

    def counted() -> Iterator[AccessLog]:
        nonlocal count
        for row in AccessLog.objects.order_by("id").iterator(chunk_size=2000):
            count += 1
            yield row

    from backend.core.chain import verify_chain

    breaks = list(verify_chain(_entries(counted(), unchained)))
    return Verification(checked=count, unchained_before_chain=len(unchained), breaks=breaks)
