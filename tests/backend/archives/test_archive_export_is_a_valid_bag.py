"""The export of one subject's archives is a ZIP of one BagIt bag: valid, with a SHA-256 manifest,
the case number in bag-info, an index of every document and version; a changed file is detected."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import bagit
import pytest

from backend.archives.services import add_document, add_version, catalogue_item, check_file
from backend.audit.models import AccessLog
from tests.backend.archives.conftest import pdf_upload, png_upload
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def archived(subject_a: Any, officer_a: Any) -> Any:
    judgment = add_document(subject_a, title="判决书", item=catalogue_item("judgment"), origin="uploaded",
                            data={"description": "扫描件"}, files=[check_file(pdf_upload(), "f")], user=officer_a)  # fmt: skip
    add_version(judgment, data={"description": "补扫第二页"}, files=[check_file(png_upload(), "f")],
                note="缺页", user=officer_a)  # fmt: skip
    add_document(subject_a, title="思想汇报 2026-11", item=catalogue_item("monthly_report"), origin="phone",
                 data={"text": "本月情况"}, period="2026-11")  # fmt: skip
    return subject_a


def export(client: Any, subject: Any, tmp_path: Path) -> Path:
    response = client.get(f"/api/v1/subjects/{subject.pk}/archive-export")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as zipped:
        zipped.extractall(tmp_path / "out")
    (bag_dir,) = list((tmp_path / "out").iterdir())
    return bag_dir


def test_the_export_is_a_valid_bag_and_a_changed_file_is_detected(
    archived: Any, auditor: Any, tmp_path: Path
) -> None:
    bag_dir = export(client_for(auditor), archived, tmp_path)
    bag = bagit.Bag(str(bag_dir))
    bag.validate()
    assert "sha256" in bag.algorithms
    assert bag.info["Case-Number"] == archived.case_number
    payload = sorted(bag.payload_files())
    assert len([p for p in payload if p.endswith("record.json")]) == 3
    assert len([p for p in payload if p.endswith((".pdf", ".png"))]) == 2
    index = (bag_dir / "data" / "index.html").read_text(encoding="utf-8")
    assert "判决书" in index and "思想汇报 2026-11" in index and "缺页" in index
    assert AccessLog.objects.filter(
        resource="archive_export", action="export", object_id=str(archived.pk)
    ).exists()

    scan = next(bag_dir.glob("data/execution/*/v1/1.pdf"))
    content = bytearray(scan.read_bytes())
    content[10] ^= 0xFF  # same size: only the manifest's SHA-256 can tell
    scan.write_bytes(bytes(content))
    with pytest.raises(bagit.BagValidationError) as failed:
        bagit.Bag(str(bag_dir)).validate()
    assert any("1.pdf" in str(detail) and "sha256" in str(detail) for detail in failed.value.details)


def test_another_office_gets_404_and_the_attempt_is_logged(archived: Any, officer_b: Any) -> None:
    response = client_for(officer_b).get(f"/api/v1/subjects/{archived.pk}/archive-export")
    assert response.status_code == 404
