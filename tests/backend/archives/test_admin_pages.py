"""The archives in the admin: Chinese, read-only, scoped to the office, every page audited."""

from __future__ import annotations

from typing import Any

import pytest

from backend.archives.models import DocumentVersion
from backend.audit.models import AccessLog
from tests.backend.archives.scoping_ids import archive_ids

pytestmark = pytest.mark.django_db


def test_an_auditor_reads_the_archive_pages_and_each_read_is_logged(
    client: Any, auditor: Any, officer_a: Any, subject_a: Any
) -> None:
    ids = archive_ids(subject_a, officer_a)
    client.force_login(auditor)
    listing = client.get("/admin/archives/document/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert listing.status_code == 200
    assert "档案文件" in listing.content.decode()
    page = client.get(f"/admin/archives/document/{ids['archive-documents']}/change/")
    assert page.status_code == 200
    read = AccessLog.objects.get(resource="archive_document", action="read", actor=auditor)
    assert read.detail["archive"] == ids["archives"]
    assert AccessLog.objects.filter(resource="archive_document", action="list", actor=auditor).exists()
    # Nothing is changed or added through the admin.
    assert client.get("/admin/archives/documentversion/add/").status_code == 403
    version = DocumentVersion.objects.get(document_id=ids["archive-documents"])
    client.post(f"/admin/archives/documentversion/{version.pk}/change/", {"note": "x"})
    version = DocumentVersion.objects.get(pk=version.pk)
    assert version.note == ""


def test_another_office_does_not_see_the_archive_in_the_admin(
    client: Any, officer_b: Any, officer_a: Any, subject_a: Any
) -> None:
    ids = archive_ids(subject_a, officer_a)
    officer_b.is_staff = True
    officer_b.save()
    client.force_login(officer_b)
    assert client.get(f"/admin/archives/document/{ids['archive-documents']}/change/").status_code in (
        302,
        404,
    )
    listing = client.get("/admin/archives/document/")
    assert listing.status_code == 200
    assert subject_a.name not in listing.content.decode()


def test_bureau_staff_edit_the_catalogue(client: Any, bureau_staff: Any, officer_a: Any) -> None:
    from backend.archives.models import CatalogueItem

    item = CatalogueItem.objects.get(code="visit_record")
    client.force_login(officer_a)
    assert client.get(f"/admin/archives/catalogueitem/{item.pk}/change/").status_code == 200  # may read
    client.force_login(bureau_staff)
    page = client.get(f"/admin/archives/catalogueitem/{item.pk}/change/")
    assert page.status_code == 200 and 'name="deadline_days"' in page.content.decode()
