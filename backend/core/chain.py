"""Digests and hash chains, written once for every tamper-evident record (archives, the access log).

Every entry carries two digests of its content: SHA-256 and SM3 (GB/T 32905-2016, the national
hash that government systems in China are audited against; ``cryptography`` computes it through
OpenSSL). Entries of one chain are linked: each entry's ``entry_hash`` is the SHA-256 of the
previous entry's hash and this entry's two digests, so changing, removing or reordering any entry
breaks every link after it.

A chain is verified by walking its entries in order (``verify_chain``): each entry must name the
previous entry's hash, its stored digests must match its content where the content is given
(recomputed from the bytes), and its own hash must be the link of the two. The first entry of a
chain follows ``GENESIS_HASH``.

Record content is hashed as canonical JSON (``canonical_json``): keys sorted, no whitespace, UTF-8,
so the same record always gives the same bytes whichever process writes it.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

from cryptography.hazmat.primitives import hashes

GENESIS_HASH = "0" * 64
CHUNK_SIZE = 1 << 20


@dataclass(frozen=True)
class Digests:
    """The two digests of one content, as lowercase hex."""

    sha256: str
    sm3: str
    size: int


class Hasher:
    """SHA-256 and SM3 of a content fed in pieces (a file read in chunks)."""

    def __init__(self) -> None:
        self._sha256 = hashlib.sha256()
        self._sm3 = hashes.Hash(hashes.SM3())
        self._size = 0

    def update(self, data: bytes) -> None:
        self._sha256.update(data)
        self._sm3.update(data)
        self._size += len(data)

    def digests(self) -> Digests:
        return Digests(sha256=self._sha256.hexdigest(), sm3=self._sm3.finalize().hex(), size=self._size)


def digest_bytes(data: bytes) -> Digests:
    hasher = Hasher()
    hasher.update(data)
    return hasher.digests()


def digest_stream(stream: IO[bytes], chunk_size: int = CHUNK_SIZE) -> Digests:
    """Both digests of everything left in ``stream``, read in chunks (constant memory)."""
    hasher = Hasher()
    while chunk := stream.read(chunk_size):
        hasher.update(chunk)
    return hasher.digests()


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"{type(value).__name__} cannot be part of a hashed record")


def canonical_json(record: Mapping[str, Any]) -> bytes:
    """The bytes a record is hashed as: sorted keys, no whitespace, UTF-8; datetimes in UTC."""
    return json.dumps(
        record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_json_default
    ).encode("utf-8")


def link_hash(previous_hash: str, digests: Digests) -> str:
    """The hash of an entry: SHA-256 over the previous entry's hash and this entry's digests."""
    material = f"{previous_hash}\n{digests.sha256}\n{digests.sm3}".encode("ascii")
    return hashlib.sha256(material).hexdigest()


@dataclass(frozen=True)
class ChainEntry:
    """One entry as stored, for verification.

    ``content`` is the entry's bytes when the verifier can read them (a record's canonical JSON, a
    file's bytes); ``None`` to check the links only. ``digests_of_content`` may be given instead of
    ``content`` when the caller computed the digests itself (a large file read in chunks).
    """

    key: str
    previous_hash: str
    sha256: str
    sm3: str
    entry_hash: str
    content: bytes | None = None
    digests_of_content: Digests | None = None


@dataclass(frozen=True)
class ChainBreak:
    """Where a chain is broken and how, in words an auditor reads."""

    key: str
    reason: str

    def __str__(self) -> str:
        return f"{self.key}: {self.reason}"


def verify_chain(entries: Iterable[ChainEntry], *, start_hash: str = GENESIS_HASH) -> Iterator[ChainBreak]:
    """Every break in one chain, entries given in chain order; nothing when the chain is whole.

    After a break the walk goes on from the stored hash, so one altered entry is reported once
    rather than poisoning every entry after it (the entries after it still link to each other).
    """
    expected_previous = start_hash
    for entry in entries:
        if entry.previous_hash != expected_previous:
            yield ChainBreak(
                entry.key, "does not follow the previous entry (an entry removed, added or reordered)"
            )
        actual = entry.digests_of_content
        if actual is None and entry.content is not None:
            actual = digest_bytes(entry.content)
        if actual is not None:
            if actual.sha256 != entry.sha256:
                yield ChainBreak(entry.key, "content does not match its SHA-256 digest")
            if actual.sm3 != entry.sm3:
                yield ChainBreak(entry.key, "content does not match its SM3 digest")
        recorded = Digests(sha256=entry.sha256, sm3=entry.sm3, size=0)
        if link_hash(entry.previous_hash, recorded) != entry.entry_hash:
            yield ChainBreak(
                entry.key, "entry hash does not match its digests and predecessor (the row was altered)"
            )
        expected_previous = entry.entry_hash
