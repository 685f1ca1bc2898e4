"""Ids of one subject's archive records, for the tests that walk every endpoint with them."""

from __future__ import annotations

from typing import Any


def archive_ids(subject: Any, user: Any) -> dict[str, int]:
    """An archive, a document with a file and a sanction of ``subject``, by the API's collection names."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from backend.archives.models import VersionFile
    from backend.archives.services import add_document, catalogue_item, check_file, propose_sanction
    from tests.backend.archives.conftest import PDF

    document = add_document(
        subject,
        title="判决书",
        item=catalogue_item("judgment"),
        origin="uploaded",
        data={},
        files=[check_file(SimpleUploadedFile("a.pdf", PDF), "file")],
        user=user,
    )
    sanction = propose_sanction(subject, kind="commendation", facts="表现良好", legal_basis="", user=user)
    return {
        "archives": document.archive_id,
        "archive-documents": document.pk,
        "archive-files": VersionFile.objects.get(version__document=document).pk,
        "sanctions": sanction.pk,
    }
