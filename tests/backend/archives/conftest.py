"""Archive tests store their files in a fresh folder of their own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
    b"endobj 3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def png_bytes(extra: bytes = b"") -> bytes:
    # A PNG signature and IHDR is all the sniffer needs to see.
    return (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
        + extra
    )


def pdf_upload(name: str = "judgment.pdf", extra: bytes = b"") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF + extra, content_type="application/pdf")


def png_upload(name: str = "photo.png", extra: bytes = b"") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(extra), content_type="image/png")


@pytest.fixture(autouse=True)
def archive_folder(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "media" / "archives"
    settings.STORAGES = {
        **settings.STORAGES,
        "archives": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(folder), "base_url": None},
        },
    }
    return folder


def stored_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def multipart(client: Any, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data, format="multipart")
