"""Archive verification and export, on PostgreSQL, against ``sha256sum`` in the same run.

Builds, in a database and a folder of this run's own (both removed at the end):

* 1,000,000 chain entries (document versions) over 2,000 archives, written by COPY with the
  digests and links the service computes (``hashing.record_of``, ``core.chain``);
* 20,000 files of 10–200 KB (about 2 GB) in the archives' storage, one per 50th entry;
* one subject whose archive holds 500 documents with a file each.

Then measures, each after the files were read once (warm page cache for both sides):

* ``sha256sum`` over the same files (one process, as an operator would run it): MB/s;
* ``verify_archives`` (both cores, each file read once for SHA-256 and SM3): chain entries/s,
  file MB/s and the ratio to ``sha256sum`` (target ≥ 0.70); and with ``--files-sha256-only``;
* the BagIt export (``export_zip``) of the 500-document archive: seconds (target ≤ 5 s).

``BENCH_SIZE=ci`` runs a small county (50,000 entries, 1,000 files) in well under 3 minutes.
The last line of output is one JSON object of figures.

    DATABASE_URL is not read: the run makes its own database on BENCH_PG_ADMIN_URL's server.
    python benchmarks/archive_bench.py
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
BENCH_DB = os.environ.get("BENCH_DB", f"archive_bench_{os.getpid()}")
CI = os.environ.get("BENCH_SIZE", "") == "ci"
ENTRIES = 50_000 if CI else 1_000_000
FILES = 1_000 if CI else 20_000
ARCHIVES = 200 if CI else 2_000
VERSIONS_PER_DOCUMENT = 10
EXPORT_DOCUMENTS = 500
FILE_SIZES = (10 * 1024, 200 * 1024)
BASE_TIME = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def log(message: str) -> None:
    print(message, flush=True)


# ---------------------------------------------------------------------------------------------
# Building the county (worker processes compute the rows; the main process COPYs them)
# ---------------------------------------------------------------------------------------------


def build_archive_rows(
    task: tuple[int, int, int, int, int, list[tuple[int, str, int, str, str]]],
) -> dict[str, Any]:
    """The document, version and file rows of one archive, with the service's digests and links.

    ``files`` are ``(entry index, stored path, size, sha256, sm3)`` of the files it holds.
    """
    from backend.archives.hashing import record_of
    from backend.core.chain import GENESIS_HASH, canonical_json, digest_bytes, link_hash

    archive_id, first_document_id, first_version_id, entries, first_file_id, files = task
    by_entry = {entry: (path, size, sha, sm3) for entry, path, size, sha, sm3 in files}
    documents, versions, stored = io.StringIO(), io.StringIO(), io.StringIO()
    head = GENESIS_HASH
    file_id = first_file_id
    for position in range(1, entries + 1):
        document_id = first_document_id + (position - 1) // VERSIONS_PER_DOCUMENT
        number = (position - 1) % VERSIONS_PER_DOCUMENT + 1
        version_id = first_version_id + position - 1
        title = f"走访记录 {document_id}"
        if number == 1:
            documents.write(
                f"{document_id}\t{archive_id}\t\\N\t{title}\t\tuploaded\t\t{BASE_TIME.isoformat()}\t\\N\t{VERSIONS_PER_DOCUMENT}\n"
            )
        created_at = BASE_TIME + dt.timedelta(seconds=position, microseconds=archive_id % 1000)
        data = {"text": f"第{number}次走访：在家，情况正常。", "n": position}
        file_rows = []
        if position in by_entry:
            path, size, sha, sm3 = by_entry[position]
            file_rows = [(f"scan-{position}.pdf", "application/pdf", size, sha, sm3)]
            stored.write(
                f"{file_id}\t{version_id}\t0\tscan-{position}.pdf\t{path}\tapplication/pdf\t{size}\t{sha}\t{sm3}\n"
            )
            file_id += 1
        record = record_of(
            archive_id=archive_id,
            position=position,
            document_id=document_id,
            catalogue_code=None,
            title=title,
            period="",
            origin="uploaded",
            source_key="",
            number=number,
            data=data,
            note="",
            created_by_id=None,
            created_at=created_at,
            files=file_rows,
        )
        digests = digest_bytes(canonical_json(record))
        entry_hash = link_hash(head, digests)
        payload = json.dumps(data, ensure_ascii=False)
        versions.write(
            f"{version_id}\t{archive_id}\t{position}\t{document_id}\t{number}\t{payload}\t\t\\N\t"
            f"{created_at.isoformat()}\t{digests.sha256}\t{digests.sm3}\t{head}\t{entry_hash}\n"
        )
        head = entry_hash
    return {
        "archive": archive_id,
        "head": head,
        "length": entries,
        "documents": documents.getvalue(),
        "versions": versions.getvalue(),
        "files": stored.getvalue(),
    }


def write_files(folder: Path, count: int, rng: random.Random) -> list[tuple[str, int, str, str]]:
    """``count`` files of random content and size in the archives' storage folder."""
    from backend.core.chain import digest_bytes

    made = []
    for n in range(count):
        size = rng.randint(*FILE_SIZES)
        content = os.urandom(size)
        name = f"bench/{n % 100:02d}/{uuid.uuid4().hex}.pdf"
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        digests = digest_bytes(content)
        made.append((name, size, digests.sha256, digests.sm3))
    return made


def copy(cursor: Any, table: str, columns: str, text: str) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as stream:
        stream.write(text)


def build_county(folder: Path) -> None:
    from django.db import connection

    from backend.accounts.models import Office
    from backend.archives.models import Archive
    from backend.supervision.models import Subject

    rng = random.Random(7)
    bureau = Office.objects.create(code="bench-bureau", name="基准司法局", kind=Office.Kind.BUREAU)
    office = Office.objects.create(code="bench-office", name="基准司法所", parent=bureau)
    subjects = Subject.objects.bulk_create(
        [
            Subject(
                office=office,
                name=f"基准{n}",
                gender="male",
                id_number="110101198001010011",
                home_address="基准村",
                case_number=f"(2026)基{n}号",
                sentence_type="probation",
                supervision_start=dt.date(2026, 1, 1),
                supervision_end=dt.date(2027, 12, 31),
            )
            for n in range(ARCHIVES)
        ]
    )
    archives = Archive.objects.bulk_create([Archive(subject=s, kind="work") for s in subjects])
    started = time.perf_counter()
    made = write_files(folder, FILES, rng)
    log(
        f"  {FILES} files, {sum(m[1] for m in made) / 1e6:.0f} MB written in {time.perf_counter() - started:.1f} s"
    )
    per_archive = ENTRIES // ARCHIVES
    file_every = ENTRIES // FILES
    tasks = []
    next_document, next_version, next_file = 1, 1, 1
    for index, archive in enumerate(archives):
        first_entry = index * per_archive
        files = [
            (position, *made[(first_entry + position - 1) // file_every])
            for position in range(1, per_archive + 1)
            if (first_entry + position - 1) % file_every == 0
            and (first_entry + position - 1) // file_every < FILES
        ]
        tasks.append((archive.pk, next_document, next_version, per_archive, next_file, files))
        next_document += per_archive // VERSIONS_PER_DOCUMENT
        next_version += per_archive
        next_file += len(files)
    started = time.perf_counter()
    heads = []
    with (
        ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool,
        connection.cursor() as django_cursor,
    ):
        cursor = django_cursor.cursor
        for rows in pool.map(build_archive_rows, tasks, chunksize=4):
            copy(
                cursor,
                "archives_document",
                "id, archive_id, catalogue_item_id, title, period, origin, source_key, created_at, created_by_id, version_count",
                rows["documents"],
            )
            copy(
                cursor,
                "archives_documentversion",
                "id, archive_id, position, document_id, number, data, note, created_by_id, created_at, sha256, sm3, previous_hash, entry_hash",
                rows["versions"],
            )
            if rows["files"]:
                copy(
                    cursor,
                    "archives_versionfile",
                    "id, version_id, index, name, path, content_type, size, sha256, sm3",
                    rows["files"],
                )
            heads.append((rows["head"], rows["length"], rows["archive"]))
        cursor.executemany("UPDATE archives_archive SET head_hash = %s, length = %s WHERE id = %s", heads)
        for table in ("archives_document", "archives_documentversion", "archives_versionfile"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        cursor.execute("ANALYZE")
    log(f"  {ENTRIES} chain entries stored in {time.perf_counter() - started:.1f} s")


def build_export_subject() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from backend.accounts.models import Office
    from backend.archives.services import add_document, catalogue_item, check_file
    from backend.supervision.models import Subject

    office = Office.objects.get(code="bench-office")
    subject = Subject.objects.create(
        office=office, name="导出对象", gender="female", id_number="110101198001010011", home_address="基准村",
        case_number="(2026)导出1号", sentence_type="parole", supervision_start=dt.date(2026, 1, 1),
        supervision_end=dt.date(2027, 12, 31),
    )  # fmt: skip
    item = catalogue_item("visit_record")
    rng = random.Random(11)
    header = b"%PDF-1.4\n"
    for n in range(EXPORT_DOCUMENTS):
        content = header + os.urandom(rng.randint(*FILE_SIZES) - len(header))
        upload = SimpleUploadedFile(f"visit-{n}.pdf", content)
        add_document(subject, title=f"走访记录 {n}", item=item, origin="uploaded", data={"n": n},
                     files=[check_file(upload, "file")], period=f"2026-{n % 12 + 1:02d}")  # fmt: skip
    return subject


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


def sha256sum_seconds(folder: Path) -> float:
    names = [str(p) for p in sorted(folder.rglob("bench/*/*.pdf"))]
    listing = "\0".join(names).encode()
    started = time.perf_counter()
    subprocess.run(
        ["xargs", "-0", "sha256sum"], input=listing, stdout=subprocess.DEVNULL, check=True, cwd=folder
    )
    return time.perf_counter() - started


def warm(folder: Path) -> None:
    for path in folder.rglob("*.pdf"):
        with open(path, "rb") as handle:
            while handle.read(1 << 20):
                pass


def main() -> None:
    import psycopg

    work = Path(tempfile.mkdtemp(prefix="archive-bench-"))
    media = work / "media"
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{BENCH_DB}"
    os.environ.update(
        DJANGO_SETTINGS_MODULE="backend.config.settings",
        DATABASE_URL=url,
        VAR_DIR=str(work / "var"),
        MEDIA_ROOT=str(media),
        LOG_LEVEL="WARNING",
        DB_PREPARED_STATEMENTS="0",
    )
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')
        admin.execute(f'CREATE DATABASE "{BENCH_DB}"')
    figures: dict[str, Any] = {
        "benchmark": "archive",
        "size": "ci" if CI else "full",
        "cores": os.cpu_count(),
    }
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from backend.archives.services import export_zip, verify_archives

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        log(f"migrated in {time.perf_counter() - started:.1f} s; building the county")
        folder = media / "archives"
        build_county(folder)
        subject = build_export_subject()
        connection.close()

        warm(folder)
        reference = sha256sum_seconds(folder)
        total = sum(p.stat().st_size for p in folder.rglob("bench/*/*.pdf"))
        reference_mbs = total / 1e6 / reference
        log(f"sha256sum: {total / 1e6:.0f} MB in {reference:.2f} s = {reference_mbs:.0f} MB/s")

        result = verify_archives()
        assert result.ok, result.breaks[:5]
        entries_per_s = result.entries / result.chain_seconds
        file_mbs = result.bytes_read / 1e6 / result.file_seconds
        log(
            f"verify_archives: {result.entries} entries in {result.chain_seconds:.1f} s = {entries_per_s:,.0f}/s; "
            f"{result.files} files, {result.bytes_read / 1e6:.0f} MB in {result.file_seconds:.2f} s = "
            f"{file_mbs:.0f} MB/s (SHA-256 + SM3), {file_mbs / reference_mbs:.2f} of sha256sum (target 0.70)"
        )
        quick = verify_archives(chains=False, sm3_of_files=False)
        quick_mbs = quick.bytes_read / 1e6 / quick.file_seconds
        log(f"  files by SHA-256 only: {quick_mbs:.0f} MB/s, {quick_mbs / reference_mbs:.2f} of sha256sum")

        started = time.perf_counter()
        zipped, versions = export_zip(subject)
        export_seconds = time.perf_counter() - started
        size = zipped.seek(0, 2)
        zipped.close()
        log(
            f"BagIt export: {versions} documents, {size / 1e6:.0f} MB zipped in {export_seconds:.2f} s (target ≤ 5 s)"
        )
        figures.update(
            entries=result.entries,
            files=result.files,
            megabytes=round(result.bytes_read / 1e6),
            chain_entries_per_s=round(entries_per_s),
            verify_mb_per_s=round(file_mbs),
            sha256sum_mb_per_s=round(reference_mbs),
            ratio_to_sha256sum=round(file_mbs / reference_mbs, 2),
            sha256_only_mb_per_s=round(quick_mbs),
            sha256_only_ratio=round(quick_mbs / reference_mbs, 2),
            export_documents=versions,
            export_seconds=round(export_seconds, 2),
        )
    finally:
        from django.db import connections

        connections.close_all()
        if os.environ.get("BENCH_KEEP"):  # for profiling: keep the database and the files
            log(f"kept: database {BENCH_DB}, files in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
