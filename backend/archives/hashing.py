"""The work ``verify_archives`` hands to other processes: no Django, no database, plain data.

Workers are started with ``spawn`` (never ``fork``: a forked child holding the parent's database
connection could close it under the parent), import only this module and ``backend.core.chain``,
and return the breaks they find as text.

A file is read once, in 1 MiB chunks, feeding both digests (SHA-256 and SM3) from the same
buffer; a chain's records are hashed and linked by ``backend.core.chain.verify_chain``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from backend.core.chain import (
    CHUNK_SIZE,
    ChainEntry,
    Digests,
    Hasher,
    canonical_json,
    verify_chain,
)

# (key, path, sha256, sm3, size)
FileTask = tuple[str, str, str, str, int]
# A stored version as the verifier reads it: (pk, position, document_id, catalogue code, title,
# period, origin, source_key, number, data as JSON text, note, created_by_id, created_at as text,
# sha256, sm3, previous_hash, entry_hash).
VersionRow = tuple[Any, ...]
# (archive id, archive key, head_hash, length, its versions in chain order, {version pk: its files})
ChainTask = tuple[int, str, str, int, list[VersionRow], dict[int, list[tuple[str, str, int, str, str]]]]


def record_of(
    *,
    archive_id: int,
    position: int,
    document_id: int,
    catalogue_code: str | None,
    title: str,
    period: str,
    origin: str,
    source_key: str,
    number: int,
    data: Any,
    note: str,
    created_by_id: int | None,
    created_at: dt.datetime,
    files: Sequence[tuple[str, str, int, str, str]],
) -> dict[str, Any]:
    """The record one version's digests are taken of: everything that makes it what it is.

    ``files`` are ``(name, content_type, size, sha256, sm3)`` in their order; the storage path is
    not part of it (a file may move to another storage and stay the same file).
    """
    return {
        "archive": archive_id,
        "position": position,
        "document": document_id,
        "catalogue": catalogue_code,
        "title": title,
        "period": period,
        "origin": origin,
        "source": source_key,
        "version": number,
        "data": data,
        "note": note,
        "created_by": created_by_id,
        "created_at": created_at,
        "files": [
            {"name": name, "content_type": ctype, "size": size, "sha256": sha, "sm3": sm3}
            for name, ctype, size, sha, sm3 in files
        ],
    }


def digest_path(path: str, both: bool = True) -> Digests:
    """The digests of a file on disk, read once (SM3 too unless ``both`` is false)."""
    if both:
        hasher = Hasher()
        with open(path, "rb", buffering=0) as handle:
            while chunk := handle.read(CHUNK_SIZE):
                hasher.update(chunk)
        return hasher.digests()
    import hashlib

    sha = hashlib.sha256()
    size = 0
    with open(path, "rb", buffering=0) as handle:
        while chunk := handle.read(CHUNK_SIZE):
            sha.update(chunk)
            size += len(chunk)
    return Digests(sha256=sha.hexdigest(), sm3="", size=size)


def check_files(tasks: list[FileTask], both: bool = True) -> tuple[list[str], int]:
    """The breaks among ``tasks`` (files on a local disk) and the bytes read."""
    breaks: list[str] = []
    read = 0
    for key, path, sha256, sm3, size in tasks:
        try:
            actual = digest_path(path, both)
        except OSError as exc:
            breaks.append(f"{key}: the file cannot be read ({exc.strerror or exc})")
            continue
        read += actual.size
        breaks.extend(compare_file(key, actual, sha256, sm3, size, both))
    return breaks, read


def compare_file(key: str, actual: Digests, sha256: str, sm3: str, size: int, both: bool = True) -> list[str]:
    found = []
    if actual.size != size:
        found.append(f"{key}: size is {actual.size} bytes, {size} recorded")
    if actual.sha256 != sha256:
        found.append(f"{key}: content does not match its SHA-256 digest")
    if both and actual.sm3 != sm3:
        found.append(f"{key}: content does not match its SM3 digest")
    return found


def _decoded(data: Any) -> Any:
    """A version's content: JSON text from the database (SQLite may give it decoded already)."""
    return json.loads(data) if isinstance(data, str) else data


def _time(value: Any) -> dt.datetime:
    """A stored time, given as text (PostgreSQL: in UTC with its offset; SQLite: naive UTC)."""
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def entry_of(
    archive_id: int, row: VersionRow, files: dict[int, list[tuple[str, str, int, str, str]]]
) -> ChainEntry:
    """The chain entry of a stored version, its content recomputed from the row."""
    (pk, position, document_id, code, title, period, origin, source, number, data, note, author,
     created_at, sha, sm3, previous, entry_hash) = row  # fmt: skip
    record = record_of(
        archive_id=archive_id,
        position=position,
        document_id=document_id,
        catalogue_code=code,
        title=title,
        period=period,
        origin=origin,
        source_key=source,
        number=number,
        data=_decoded(data),
        note=note,
        created_by_id=author,
        created_at=_time(created_at),
        files=files.get(pk, []),
    )
    return ChainEntry(
        key=f"archive {archive_id} entry {position} (document {document_id} version {number})",
        previous_hash=previous,
        sha256=sha,
        sm3=sm3,
        entry_hash=entry_hash,
        content=canonical_json(record),
    )


def check_chains(tasks: list[ChainTask]) -> tuple[list[str], int]:
    """The breaks of whole chains (each with its archive's head and length) and the entries seen."""
    breaks: list[str] = []
    seen = 0
    for archive_id, archive_key, head_hash, length, rows, files in tasks:
        entries = [entry_of(archive_id, row, files) for row in rows]
        seen += len(entries)
        breaks.extend(str(found) for found in verify_chain(entries))
        last = entries[-1].entry_hash if entries else "0" * 64
        if len(entries) != length:
            breaks.append(f"{archive_key}: holds {len(entries)} entries, {length} recorded (entries removed)")
        if last != head_hash:
            breaks.append(f"{archive_key}: the last entry is not the recorded head of the chain")
    return breaks, seen
