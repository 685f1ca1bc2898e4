"""One subject's archives as a BagIt bag (RFC 8493) in a ZIP: payload, SHA-256 manifest, index.

The bag holds, under ``data/``, each archive's documents, each version's record
(``record.json``: what its digests were taken of, with the digests and the chain hashes) and its
files, and ``index.html`` listing every document and version. ``bag-info.txt`` names the subject's
case number. The bag is built by the ``bagit`` library in a temporary folder and zipped to a
temporary file (constant memory); the caller streams it and it is removed when closed.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import IO, Any

import bagit
from django.core.files.storage import FileSystemStorage
from django.utils import timezone

from backend.archives.hashing import record_of
from backend.archives.models import Archive, DocumentVersion, VersionFile, archive_storage
from backend.core.chain import _json_default
from backend.supervision.models import Subject


def _version_record(version: DocumentVersion, files: list[VersionFile]) -> dict[str, object]:
    document = version.document
    record = record_of(
        archive_id=version.archive_id,
        position=version.position,
        document_id=document.pk,
        catalogue_code=document.catalogue_item.code if document.catalogue_item else None,
        title=document.title,
        period=document.period,
        origin=document.origin,
        source_key=document.source_key,
        number=version.number,
        data=version.data,
        note=version.note,
        created_by_id=version.created_by_id,
        created_at=version.created_at,
        files=[(f.name, f.content_type, f.size, f.sha256, f.sm3) for f in files],
    )
    return {
        "record": record,
        "sha256": version.sha256,
        "sm3": version.sm3,
        "previous_hash": version.previous_hash,
        "entry_hash": version.entry_hash,
    }


def _place(storage: Any, name: str, target: Path) -> None:
    """Put a stored file into the bag: a hard link when it is on this disk (no copy), else a copy."""
    if isinstance(storage, FileSystemStorage):
        with contextlib.suppress(OSError):
            os.link(storage.path(name), target)
            return
    with storage.open(name, "rb") as source, open(target, "wb") as out:
        shutil.copyfileobj(source, out, 1 << 20)


def build_bag(subject: Subject, folder: Path) -> int:
    """Write the bag of ``subject`` into ``folder``; the number of versions it holds."""
    storage = archive_storage()
    payload = folder / "bag"
    payload.mkdir()
    rows: list[str] = []
    count = 0
    files_by_version: dict[int, list[VersionFile]] = {}
    versions = list(
        DocumentVersion.objects.filter(archive__subject=subject)
        .select_related("document__catalogue_item", "archive", "created_by")
        .order_by("archive__kind", "document_id", "number")
    )
    for f in VersionFile.objects.filter(version__archive__subject=subject).order_by("version_id", "index"):
        files_by_version.setdefault(f.version_id, []).append(f)
    for version in versions:
        count += 1
        files = files_by_version.get(version.pk, [])
        where = Path(version.archive.kind) / f"document-{version.document_id}" / f"v{version.number}"
        target = payload / where
        target.mkdir(parents=True, exist_ok=True)
        (target / "record.json").write_text(
            json.dumps(_version_record(version, files), ensure_ascii=False, indent=1, default=_json_default),
            encoding="utf-8",
        )
        links = []
        for f in files:
            stored_as = f"{f.index + 1}.{f.path.rsplit('.', 1)[-1]}"
            _place(storage, f.path, target / stored_as)
            links.append(f'<a href="{where}/{stored_as}">{html.escape(f.name)}</a> ({f.size} B)')
        author = version.created_by.get_full_name() if version.created_by else ""
        rows.append(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(cell))}</td>"
                for cell in (
                    version.archive.get_kind_display(),
                    version.document.title,
                    version.document.period,
                    version.number,
                    timezone.localtime(version.created_at).strftime("%Y-%m-%d %H:%M"),
                    author,
                    version.note,
                )
            )
            + f'<td>{"<br>".join(links)}</td><td><a href="{where}/record.json">{version.sha256[:16]}…</a></td></tr>'
        )
    title = html.escape(f"{subject.name} {subject.case_number} 档案")
    (payload / "index.html").write_text(
        f'<!doctype html><html lang="zh-Hans"><meta charset="utf-8"><title>{title}</title>'
        f"<h1>{title}</h1><table border=1><tr><th>档案</th><th>文件</th><th>期间</th><th>版本</th>"
        f"<th>时间</th><th>经办人</th><th>说明</th><th>附件</th><th>SHA-256</th></tr>"
        + "".join(rows)
        + "</table></html>",
        encoding="utf-8",
    )
    chains = {
        a.kind: {"entries": a.length, "head_hash": a.head_hash}
        for a in Archive.objects.filter(subject=subject)
    }
    bagit.make_bag(
        str(payload),
        bag_info={
            "Source-Organization": subject.office.name,
            "External-Identifier": subject.case_number,
            "External-Description": f"社区矫正档案 {subject.name} {subject.case_number}",
            "Bagging-Date": timezone.localdate().isoformat(),
            "Case-Number": subject.case_number,
            "Archive-Chains": json.dumps(chains, ensure_ascii=False),
        },
        checksums=["sha256"],
        processes=os.cpu_count() or 1,
    )
    return count


def export_zip(subject: Subject) -> tuple[IO[bytes], int]:
    """The bag of ``subject`` zipped in a temporary file (read position at 0) and its versions."""
    with tempfile.TemporaryDirectory(prefix="archive-export-") as folder:
        count = build_bag(subject, Path(folder))
        out = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
        bag_name = f"archive-{subject.pk}"
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
            root = Path(folder) / "bag"
            for dirpath, _dirs, names in os.walk(root):
                for name in sorted(names):
                    path = Path(dirpath) / name
                    archive.write(path, f"{bag_name}/{path.relative_to(root)}")
        out.seek(0)
        return out, count
