"""Filing documents through the staff API: files sniffed, limited and scanned; a refused upload
leaves neither a row nor a file; a correction is a new version; reads are audited; auditors read
and never write; another office's archive is 404."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from backend.archives.models import Document, DocumentVersion, VersionFile
from backend.audit.models import AccessLog
from tests.backend.archives.conftest import PDF, pdf_upload, stored_files
from tests.conftest import client_for
from tests.openapi_helpers import load_spec

pytestmark = pytest.mark.django_db


def file_document(client: Any, subject: Any, **extra: Any) -> Any:
    data = {"subject": subject.pk, "item": "judgment", "description": "判决书扫描件", "files": [pdf_upload()]}
    data.update(extra)
    return client.post("/api/v1/archive-documents", data, format="multipart")


def test_an_officer_files_a_scan_and_reads_it_back(
    officer_a: Any, subject_a: Any, archive_folder: Path
) -> None:
    client = client_for(officer_a)
    response = file_document(client, subject_a)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (
        body["kind"] == "execution"
        and body["item"] == "judgment"
        and body["title"] == "判决书、裁定书或决定书"
    )
    (version,) = body["versions"]
    (stored,) = version["files"]
    assert stored["content_type"] == "application/pdf" and stored["size"] == len(PDF)
    assert len(stored["sha256"]) == 64 and len(stored["sm3"]) == 64
    assert len(stored_files(archive_folder)) == 1

    download = client.get(f"/api/v1/archive-files/{stored['id']}")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert "attachment" in download["Content-Disposition"]
    documented = load_spec()["paths"]["/api/v1/archive-files/{id}"]["get"]["responses"]
    assert download["Content-Type"] == "application/pdf" and "application/pdf" in documented["200"]["content"]
    log = AccessLog.objects.filter(resource="archive_file").get()
    assert log.object_id == str(stored["id"]) and log.detail["archive"] == body["archive"]
    missing = client.get("/api/v1/archive-files/999999?format=bin")  # asked for as bytes: still JSON
    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"


def test_a_correction_is_a_new_version_and_the_first_stays(officer_a: Any, subject_a: Any) -> None:
    client = client_for(officer_a)
    document = file_document(client, subject_a).json()
    refused = client.post(f"/api/v1/archive-documents/{document['id']}/versions", {"description": "x"})
    assert refused.status_code == 400 and "note" in refused.json()["errors"]
    response = client.post(
        f"/api/v1/archive-documents/{document['id']}/versions",
        {
            "description": "更正后的扫描件",
            "note": "原扫描件缺页",
            "files": [pdf_upload("fixed.pdf", b"page 2")],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    versions = response.json()["versions"]
    assert [v["number"] for v in versions] == [1, 2]
    assert versions[1]["previous_hash"] == versions[0]["entry_hash"]
    assert versions[0]["data"] == {"description": "判决书扫描件"}
    assert DocumentVersion.objects.count() == 2 and VersionFile.objects.count() == 2


@pytest.mark.parametrize(
    ("upload", "reason"),
    [
        (b"just some text, not a document", "file_type"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64, "file_type"),
        (b"", "empty"),
    ],
)
def test_a_refused_file_leaves_nothing_behind(
    officer_a: Any, subject_a: Any, archive_folder: Path, upload: bytes, reason: str
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    good = pdf_upload()
    bad = SimpleUploadedFile("scan.pdf", upload, content_type="application/pdf")
    response = file_document(client_for(officer_a), subject_a, files=[good, bad])
    assert response.status_code == 400, response.content
    answer = response.json()
    assert answer["code"] == reason and ("files.1" in answer["errors"] or "files" in answer["errors"])
    assert not Document.objects.exists() and not DocumentVersion.objects.exists()
    assert stored_files(archive_folder) == []


def test_a_file_past_the_limit_is_refused(
    officer_a: Any, subject_a: Any, settings: Any, archive_folder: Path
) -> None:
    settings.ARCHIVE_MAX_FILE_SIZE = 100
    response = file_document(client_for(officer_a), subject_a)
    assert response.status_code == 400 and response.json()["code"] == "too_large"
    assert "100" in response.json()["detail"]
    assert stored_files(archive_folder) == [] and not Document.objects.exists()


def virus_scan_refusing_pdfs(name: str, stream: Any) -> str | None:
    return "Eicar-Test-Signature" if stream.read(4) == b"%PDF" else None


def test_the_virus_scan_hook_refuses_a_file(
    officer_a: Any, subject_a: Any, settings: Any, archive_folder: Path
) -> None:
    settings.ARCHIVE_VIRUS_SCAN = f"{__name__}.virus_scan_refusing_pdfs"
    response = file_document(client_for(officer_a), subject_a)
    assert response.status_code == 400 and response.json()["code"] == "virus"
    assert "Eicar" in response.json()["detail"]
    assert stored_files(archive_folder) == []


def test_a_failure_after_the_files_were_written_removes_them(
    officer_a: Any, subject_a: Any, archive_folder: Path, monkeypatch: Any
) -> None:
    from backend.archives.services import documents

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(documents.Document.objects, "filter", fail)
    client = client_for(officer_a)
    client.raise_request_exception = False
    response = file_document(client, subject_a)
    assert response.status_code == 500
    assert stored_files(archive_folder) == [] and not DocumentVersion.objects.exists()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"item": "monthly_report", "period": "2026-13"}, "period"),
        ({"item": "monthly_report", "period": ""}, "period"),
        ({"item": "monthly_report", "period": "2031-01"}, "period"),
        ({"item": "judgment", "period": "2026-11"}, "period"),
        ({"item": "no-such-item"}, "item"),
        ({"title": "x" * 201}, "title"),
        ({"description": "a\x00b"}, "description"),
    ],
)
def test_bad_fields_are_named(officer_a: Any, subject_a: Any, extra: dict[str, Any], field: str) -> None:
    response = file_document(client_for(officer_a), subject_a, **extra)
    assert response.status_code == 400 and field in response.json()["errors"], response.json()
    assert not Document.objects.exists()


def test_another_offices_subject_and_documents_are_not_found(
    officer_a: Any, officer_b: Any, subject_b: Any
) -> None:
    response = file_document(client_for(officer_a), subject_b)
    assert response.status_code == 400 and "subject" in response.json()["errors"]
    document = file_document(client_for(officer_b), subject_b).json()
    client = client_for(officer_a)
    assert client.get(f"/api/v1/archive-documents/{document['id']}").status_code == 404
    assert client.get(f"/api/v1/archives/{document['archive']}").status_code == 404
    assert client.get(f"/api/v1/archive-files/{document['versions'][0]['files'][0]['id']}").status_code == 404
    assert client.get("/api/v1/archive-documents").json()["count"] == 0


def test_auditors_read_everything_and_write_nothing(auditor: Any, officer_a: Any, subject_a: Any) -> None:
    document = file_document(client_for(officer_a), subject_a).json()
    client = client_for(auditor)
    assert client.get(f"/api/v1/archive-documents/{document['id']}").status_code == 200
    assert client.get(f"/api/v1/archives/{document['archive']}").status_code == 200
    assert file_document(client, subject_a).status_code == 403
    versions = client.post(f"/api/v1/archive-documents/{document['id']}/versions", {"note": "x"})
    assert versions.status_code == 403
    log = client.get(f"/api/v1/archives/{document['archive']}/access-log")
    assert log.status_code == 200
    rows = log.json()["results"]
    assert {row["actor_username"] for row in rows} >= {"officer_a", "auditor"}
    assert {row["resource"] for row in rows} >= {"archive", "archive_document"}
    # The archive's log is for those who read the access log: not the office's officer.
    assert client_for(officer_a).get(f"/api/v1/archives/{document['archive']}/access-log").status_code == 403


def test_the_catalogue_lists_the_seeded_items(officer_a: Any) -> None:
    rows = client_for(officer_a).get("/api/v1/archive-catalogue?stage=intake").json()["results"]
    codes = {row["code"] for row in rows}
    assert {
        "judgment",
        "execution_notice",
        "intake_registration",
        "guarantee_letter",
        "correction_plan",
    } <= codes
    assert all(row["legal_basis"] for row in rows)
