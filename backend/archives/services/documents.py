"""Documents and their versions: every version one entry of its archive's hash chain.

``add_version`` locks the archive row, numbers the entry after the archive's head, digests its
record (``hashing.record_of``) with SHA-256 and SM3, links it (``backend.core.chain.link_hash``),
writes its files, stores the rows and moves the head, all in one transaction; a failure removes
the files it wrote. Nothing here ever updates a version: a correction is ``add_version`` again.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from backend.accounts.models import User
from backend.archives.hashing import record_of
from backend.archives.models import (
    Archive,
    ArchiveKind,
    CatalogueItem,
    Document,
    DocumentVersion,
    Origin,
    VersionFile,
)
from backend.archives.services.files import CheckedFile, remove_quietly, store
from backend.core.chain import canonical_json, digest_bytes, link_hash
from backend.supervision.models import Subject


def archive_for(subject: Subject, kind: str) -> Archive:
    """The subject's archive of ``kind``, opened on first use."""
    archive = Archive.objects.filter(subject=subject, kind=kind).first()
    if archive is not None:
        return archive
    try:
        with transaction.atomic():
            return Archive.objects.create(subject=subject, kind=kind)
    except IntegrityError:  # opened at the same moment by another request
        return Archive.objects.get(subject=subject, kind=kind)


def catalogue_item(code: str) -> CatalogueItem | None:
    return CatalogueItem.objects.filter(code=code).first()


def archive_of_item(subject: Subject, item: CatalogueItem | None) -> Archive:
    return archive_for(subject, item.archive_kind if item is not None else ArchiveKind.WORK)


def add_version(
    document: Document,
    *,
    data: dict[str, Any],
    files: list[CheckedFile] = (),  # type: ignore[assignment]
    note: str = "",
    user: User | None = None,
) -> DocumentVersion:
    """Append a version to ``document`` (its first, or a correction): see the module text."""
    canonical_json(data)  # fails now on anything that cannot be part of a hashed record
    written: list[str] = []
    try:
        with transaction.atomic():
            archive = Archive.objects.select_for_update().get(pk=document.archive_id)
            document = (
                Document.objects.select_for_update(of=("self",))
                .select_related("catalogue_item")
                .get(pk=document.pk)
            )
            position = archive.length + 1
            number = document.version_count + 1
            created_at = timezone.now()
            file_rows = [
                (f.name, f.content_type, f.digests.size, f.digests.sha256, f.digests.sm3) for f in files
            ]
            record = record_of(
                archive_id=archive.pk,
                position=position,
                document_id=document.pk,
                catalogue_code=document.catalogue_item.code if document.catalogue_item else None,
                title=document.title,
                period=document.period,
                origin=document.origin,
                source_key=document.source_key,
                number=number,
                data=data,
                note=note,
                created_by_id=user.pk if user is not None else None,
                created_at=created_at,
                files=file_rows,
            )
            digests = digest_bytes(canonical_json(record))
            version = DocumentVersion.objects.create(
                archive=archive,
                position=position,
                document=document,
                number=number,
                data=data,
                note=note,
                created_by=user,
                created_at=created_at,
                sha256=digests.sha256,
                sm3=digests.sm3,
                previous_hash=archive.head_hash,
                entry_hash=link_hash(archive.head_hash, digests),
            )
            for index, checked in enumerate(files):
                path = store(checked, archive.pk)
                written.append(path)
                VersionFile.objects.create(
                    version=version,
                    index=index,
                    name=checked.name,
                    path=path,
                    content_type=checked.content_type,
                    size=checked.digests.size,
                    sha256=checked.digests.sha256,
                    sm3=checked.digests.sm3,
                )
            Archive.objects.filter(pk=archive.pk).update(head_hash=version.entry_hash, length=position)
            Document.objects.filter(pk=document.pk).update(version_count=number)
    except BaseException:
        remove_quietly(written)
        raise
    return version


def add_document(
    subject: Subject,
    *,
    title: str,
    item: CatalogueItem | None,
    origin: str,
    data: dict[str, Any],
    files: list[CheckedFile] = (),  # type: ignore[assignment]
    period: str = "",
    source_key: str = "",
    note: str = "",
    user: User | None = None,
    kind: str | None = None,
) -> Document:
    """A new document in the subject's archive for ``item`` (or ``kind``), with its first version."""
    archive = archive_for(subject, kind) if kind else archive_of_item(subject, item)
    with transaction.atomic():
        document = Document.objects.create(
            archive=archive,
            catalogue_item=item,
            title=title[:200],
            period=period,
            origin=origin,
            source_key=source_key,
            created_by=user,
        )
        add_version(document, data=data, files=files, note=note, user=user)
    document.refresh_from_db()
    return document


def document_for_period(subject: Subject, item: CatalogueItem, period: str) -> Document | None:
    return (
        Document.objects.filter(archive__subject=subject, catalogue_item=item, period=period)
        .order_by("id")
        .first()
    )


__all__ = ["Origin", "add_document", "add_version", "archive_for", "catalogue_item", "document_for_period"]
