"""``verify_archives``: every file against its digests, every chain from its first entry to its head.

Authentic (each record's SHA-256 and SM3 match it, each file's match its bytes), complete (each
chain links from the genesis hash to the head the archive records, with as many entries as it
records), usable (each file can be read), secure (nothing changed outside the append-only path) —
the four properties of DA/T 70-2018, checked by recomputation, never by trusting a stored flag.

Both cores are used: archives are read from the database in batches of whole chains and files
are listed, and a pool of worker processes (``hashing``) hashes them, each file read once for both
digests. Storages that are not on a local disk (object storage) are read by threads instead.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from typing import Any

from django.core.files.storage import FileSystemStorage
from django.db.models import TextField
from django.db.models.functions import Cast

from backend.archives import hashing
from backend.archives.models import Archive, DocumentVersion, VersionFile, archive_storage
from backend.core.chain import Hasher

ARCHIVES_PER_BATCH = 200
ENTRIES_PER_BATCH = 5000
FILES_PER_BATCH = 64


@dataclass
class Verification:
    breaks: list[str] = field(default_factory=list)
    archives: int = 0
    entries: int = 0
    files: int = 0
    bytes_read: int = 0
    chain_seconds: float = 0.0
    file_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.breaks


def _archive_batches() -> Iterator[list[tuple[int, str, str, int, str]]]:
    rows = Archive.objects.order_by("pk").values_list(
        "pk", "kind", "head_hash", "length", "subject__case_number"
    )
    batch: list[tuple[int, str, str, int, str]] = []
    entries = 0
    for row in rows.iterator(chunk_size=2000):
        batch.append(row)
        entries += row[3]
        # Whole chains, about ENTRIES_PER_BATCH entries a batch: small enough that the workers
        # hash one batch while this process reads the next.
        if len(batch) >= ARCHIVES_PER_BATCH or entries >= ENTRIES_PER_BATCH:
            yield batch
            batch, entries = [], 0
    if batch:
        yield batch


def _chain_tasks(batch: list[tuple[int, str, str, int, str]]) -> list[hashing.ChainTask]:
    ids = [row[0] for row in batch]
    files: dict[int, list[tuple[str, str, int, str, str]]] = defaultdict(list)
    for version_id, name, ctype, size, sha, sm3 in (
        VersionFile.objects.filter(version__archive_id__in=ids)
        .order_by("version_id", "index")
        .values_list("version_id", "name", "content_type", "size", "sha256", "sm3")
        .iterator(chunk_size=5000)
    ):
        files[version_id].append((name, ctype, size, sha, sm3))
    rows: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    # The content and the time come as text, the rows as plain tuples: the workers decode them
    # and build the records (here that was most of the cost of a row).
    versions = (
        DocumentVersion.objects.filter(archive_id__in=ids)
        .order_by("archive_id", "position")
        .values_list(
            "archive_id",
            "pk",
            "position",
            "document_id",
            "document__catalogue_item__code",
            "document__title",
            "document__period",
            "document__origin",
            "document__source_key",
            "number",
            Cast("data", output_field=TextField()),
            "note",
            "created_by_id",
            Cast("created_at", output_field=TextField()),
            "sha256",
            "sm3",
            "previous_hash",
            "entry_hash",
        )
    )
    for row in versions.iterator(chunk_size=5000):
        rows[row[0]].append(row[1:])
    return [
        (pk, f"archive {pk} ({case_number}, {kind})", head, length, rows.get(pk, []), files)
        for pk, kind, head, length, case_number in batch
    ]


def _file_tasks() -> Iterator[hashing.FileTask]:
    rows = VersionFile.objects.order_by("pk").values_list(
        "pk", "version__archive_id", "path", "sha256", "sm3", "size"
    )
    for pk, archive_id, path, sha, sm3, size in rows.iterator(chunk_size=5000):
        yield (f"file {pk} ({path}, archive {archive_id})", path, sha, sm3, size)


def _check_remote_files(tasks: list[hashing.FileTask], both: bool) -> tuple[list[str], int]:
    storage = archive_storage()
    breaks: list[str] = []
    read = 0
    for key, name, sha, sm3, size in tasks:
        hasher = Hasher()
        try:
            with storage.open(name, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    hasher.update(chunk)
        except (OSError, ValueError) as exc:
            breaks.append(f"{key}: the file cannot be read ({exc})")
            continue
        actual = hasher.digests()
        read += actual.size
        breaks.extend(hashing.compare_file(key, actual, sha, sm3, size, both))
    return breaks, read


def verify_archives(
    *, workers: int | None = None, chains: bool = True, files: bool = True, sm3_of_files: bool = True
) -> Verification:
    """Check every chain (unless ``chains`` is false) and every file (unless ``files`` is false).

    ``sm3_of_files=False`` checks files by SHA-256 alone (every byte is still read and any change
    still found); records are always checked by both digests.
    """
    result = Verification()
    workers = workers or os.cpu_count() or 1
    storage = archive_storage()
    local = isinstance(storage, FileSystemStorage)
    pool: Executor
    if workers > 1:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))
    else:
        pool = ThreadPoolExecutor(max_workers=1)
    pending: list[Future[tuple[list[str], int]]] = []

    def collect(limit: int) -> None:
        while len(pending) > limit:
            found, _count = pending.pop(0).result()
            result.breaks.extend(found)

    started = time.perf_counter()
    try:
        for batch in _archive_batches() if chains else ():
            result.archives += len(batch)
            tasks = _chain_tasks(batch)
            result.entries += sum(len(task[4]) for task in tasks)
            pending.append(pool.submit(hashing.check_chains, tasks))
            collect(workers * 2)
        collect(0)
        result.chain_seconds = time.perf_counter() - started
        started = time.perf_counter()
        if files:
            remote_pool = None if local else ThreadPoolExecutor(max_workers=max(workers, 4))
            file_futures: list[Future[tuple[list[str], int]]] = []
            batch_files: list[hashing.FileTask] = []

            def submit(tasks: list[hashing.FileTask]) -> None:
                if local:
                    located = [(k, storage.path(p), s, m, n) for k, p, s, m, n in tasks]
                    file_futures.append(pool.submit(hashing.check_files, located, sm3_of_files))
                else:
                    assert remote_pool is not None
                    file_futures.append(remote_pool.submit(_check_remote_files, tasks, sm3_of_files))

            def drain(limit: int) -> None:
                while len(file_futures) > limit:
                    found, read = file_futures.pop(0).result()
                    result.breaks.extend(found)
                    result.bytes_read += read

            for task in _file_tasks():
                result.files += 1
                batch_files.append(task)
                if len(batch_files) >= FILES_PER_BATCH:
                    submit(batch_files)
                    batch_files = []
                    drain(workers * 4)
            if batch_files:
                submit(batch_files)
            drain(0)
            if remote_pool is not None:
                remote_pool.shutdown()
        result.file_seconds = time.perf_counter() - started
    finally:
        pool.shutdown(cancel_futures=True)
    return result
