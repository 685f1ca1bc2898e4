"""``verify_archives`` recomputes every digest and link: a changed stored byte, a changed database
row and a removed entry are each named, and the command exits non-zero."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from backend.archives.models import Document, DocumentVersion, VersionFile
from backend.archives.services import add_document, add_version, catalogue_item, check_file, verify_archives
from tests.backend.archives.conftest import pdf_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def filed(subject_a: Any, officer_a: Any) -> Document:
    document = add_document(
        subject_a,
        title="判决书",
        item=catalogue_item("judgment"),
        origin="uploaded",
        data={"description": "扫描件"},
        files=[check_file(pdf_upload(), "file"), check_file(pdf_upload("second.pdf", b"2"), "file")],
        user=officer_a,
    )
    add_version(document, data={"description": "更正"}, note="页码有误", user=officer_a)
    add_document(subject_a, title="思想汇报", item=catalogue_item("monthly_report"), origin="phone",
                 data={"text": "本月情况"}, period="2026-11")  # fmt: skip
    return document


def _tamper(sql: str, params: list[Any]) -> None:
    """Change rows behind the application's back, as someone with the database's keys could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # past the append-only trigger, as a superuser can
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def _sql_update(table: str, assignments: str, pk: int) -> None:
    _tamper(f"UPDATE {table} SET {assignments} WHERE id = %s", [pk])


def test_an_intact_store_passes(filed: Document, capsys: Any) -> None:
    result = verify_archives(workers=1)
    assert result.ok, result.breaks
    assert (result.entries, result.files) == (3, 2)
    call_command("verify_archives", "--workers", "1")
    assert "all intact" in capsys.readouterr().out


def test_a_changed_stored_byte_and_a_changed_row_are_both_named(
    filed: Document, archive_folder: Path
) -> None:
    stored = VersionFile.objects.get(index=0)
    path = archive_folder / stored.path
    content = bytearray(path.read_bytes())
    content[20] ^= 0x01
    path.write_bytes(bytes(content))
    version = DocumentVersion.objects.get(document=filed, number=2)
    _sql_update("archives_documentversion", "note = 'nothing was wrong'", version.pk)

    with pytest.raises(CommandError) as raised:
        call_command("verify_archives", "--workers", "2")
    assert raised.value.returncode == 1
    breaks = verify_archives(workers=1).breaks
    text = "\n".join(breaks)
    assert f"file {stored.pk} ({stored.path}" in text and "SHA-256" in text and "SM3" in text
    assert f"entry {version.position} (document {filed.pk} version 2): content does not match" in text
    # The other file and the other entries are not accused.
    other = VersionFile.objects.get(index=1)
    assert f"file {other.pk} " not in text
    assert len(breaks) == 4  # the file's two digests, the record's two digests


def test_a_changed_document_title_breaks_every_version_of_it(filed: Document) -> None:
    _sql_update("archives_document", "title = '伪造'", filed.pk)
    text = "\n".join(verify_archives(workers=1).breaks)
    assert f"document {filed.pk} version 1" in text and f"document {filed.pk} version 2" in text


def test_a_removed_last_entry_is_found_by_the_archive_head(filed: Document) -> None:
    last = DocumentVersion.objects.order_by("-position").first()
    assert last is not None
    _tamper("DELETE FROM archives_documentversion WHERE id = %s", [last.pk])
    text = "\n".join(verify_archives(workers=1).breaks)
    assert "entries removed" in text and "recorded head" in text


def test_a_missing_file_is_named(filed: Document, archive_folder: Path) -> None:
    stored = VersionFile.objects.get(index=1)
    (archive_folder / stored.path).unlink()
    (text,) = verify_archives(workers=1).breaks
    assert f"file {stored.pk}" in text and "cannot be read" in text


def test_versions_and_files_refuse_changes_through_the_orm(filed: Document) -> None:
    from backend.archives.models import AppendOnlyError

    version = DocumentVersion.objects.first()
    assert version is not None
    with pytest.raises(AppendOnlyError):
        version.save()
    with pytest.raises(AppendOnlyError):
        DocumentVersion.objects.filter(pk=version.pk).update(note="x")
    with pytest.raises(AppendOnlyError):
        VersionFile.objects.all().delete()
