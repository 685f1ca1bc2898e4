"""Files into the archives: checked (size, type sniffed from content, virus-scan hook), then stored.

A file is checked in full before anything is written, and written only inside the transaction
that stores its version's row: if anything fails after a file was written, the file is removed
again, so a refused or failed upload leaves neither a row nor a file behind.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

import filetype
from django.conf import settings
from django.core.files.base import File
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from backend.archives.models import archive_storage
from backend.core.chain import Digests, digest_stream

# What an archive holds: scans and photos, PDF and OFD (zip) documents, office documents.
ALLOWED_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/heic": "heic",
    "image/tiff": "tif",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/zip": "zip",
}
IMAGE_TYPES = frozenset(t for t in ALLOWED_TYPES if t.startswith("image/"))
MAX_NAME = 200


@dataclass
class CheckedFile:
    """An upload that passed every check, with what its row records."""

    stream: IO[bytes]
    name: str
    content_type: str
    extension: str
    digests: Digests


def clean_name(name: str) -> str:
    """A file name to record: its last path part, printable, at most ``MAX_NAME`` characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF).strip()
    return base[-MAX_NAME:] or "file"


def _scanner() -> Callable[[str, IO[bytes]], str | None] | None:
    path = settings.ARCHIVE_VIRUS_SCAN
    return import_string(path) if path else None


def check_file(upload: Any, field: str, *, images_only: bool = False) -> CheckedFile:
    """Check one upload (a Django ``UploadedFile``); a ``ValidationError`` on ``field`` if refused."""
    size = getattr(upload, "size", None)
    limit = settings.ARCHIVE_MAX_FILE_SIZE
    if size is None or size > limit:
        raise ValidationError(
            {field: [_("The file is larger than %(n)d bytes.") % {"n": limit}]}, code="too_large"
        )
    if size == 0:
        raise ValidationError({field: [_("The file is empty.")]}, code="empty")
    stream = upload.file if hasattr(upload, "file") else upload
    stream.seek(0)
    head = stream.read(8192)
    kind = filetype.guess(head)
    allowed = IMAGE_TYPES if images_only else ALLOWED_TYPES
    if kind is None or kind.mime not in allowed:
        found = kind.mime if kind is not None else _("unknown")
        raise ValidationError(
            {
                field: [
                    _("This kind of file (%(found)s) is not accepted; send %(allowed)s.")
                    % {"found": found, "allowed": ", ".join(sorted({ALLOWED_TYPES[t] for t in allowed}))}
                ]
            },
            code="file_type",
        )
    scanner = _scanner()
    if scanner is not None:
        stream.seek(0)
        reason = scanner(clean_name(getattr(upload, "name", "") or ""), stream)
        if reason:
            raise ValidationError(
                {field: [_("The file was refused by the virus scan: %(reason)s") % {"reason": reason}]},
                code="virus",
            )
    stream.seek(0)
    digests = digest_stream(stream)
    stream.seek(0)
    return CheckedFile(
        stream=stream,
        name=clean_name(getattr(upload, "name", "") or f"file.{ALLOWED_TYPES[kind.mime]}"),
        content_type=kind.mime,
        extension=ALLOWED_TYPES[kind.mime],
        digests=digests,
    )


def store(checked: CheckedFile, archive_id: int) -> str:
    """Write a checked file through the archives' storage; the stored name (never a URL)."""
    name = f"{archive_id}/{uuid.uuid4().hex}.{checked.extension}"
    checked.stream.seek(0)
    return str(archive_storage().save(name, File(checked.stream, name=name)))


def remove_quietly(names: list[str]) -> None:
    """Remove files written for a version whose row was not stored (best effort)."""
    storage = archive_storage()
    for name in names:
        # Cleaning up after a failure must not hide the failure.
        with contextlib.suppress(Exception):
            storage.delete(name)
