"""Files on a storage that is not a local disk (object storage) are read through the storage API
by threads, and a changed or missing one is named the same way."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile

from backend.archives.models import VersionFile, archive_storage
from backend.archives.services import add_document, catalogue_item, check_file, verify_archives
from tests.backend.archives.conftest import pdf_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_memory(settings: Any) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "archives": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


def test_object_storage_files_are_checked_through_the_storage_api(in_memory: None, subject_a: Any) -> None:
    files = [check_file(pdf_upload(), "f"), check_file(pdf_upload("b.pdf", b"b"), "f")]
    add_document(
        subject_a, title="判决书", item=catalogue_item("judgment"), origin="uploaded", data={}, files=files
    )
    assert verify_archives(workers=1).ok
    first, second = VersionFile.objects.order_by("index")
    storage = archive_storage()
    storage.delete(first.path)
    assert storage.save(first.path, ContentFile(b"%PDF-1.4 forged")) == first.path
    storage.delete(second.path)
    breaks = verify_archives(workers=1).breaks
    text = "\n".join(breaks)
    assert f"file {first.pk}" in text and "SHA-256" in text and "size is" in text
    assert f"file {second.pk}" in text and "cannot be read" in text


def test_the_sanctions_factor_counts_approved_reprimands_and_warnings(
    officer_a: Any, head_a: Any, subject_a: Any, subject_b: Any
) -> None:
    import datetime as dt

    from django.apps import apps
    from django.utils import timezone

    if not apps.is_installed("backend.screening"):
        pytest.skip("screening is not installed")
    from backend.archives.receivers import sanctions_factor
    from backend.archives.services import approve_sanction, propose_sanction
    from backend.screening.factors import Chunk, registered_factors

    assert registered_factors()["sanctions"].source == "archives"
    for kind in ("warning", "reprimand", "commendation"):
        sanction = propose_sanction(subject_a, kind=kind, facts="事实", legal_basis="", user=officer_a)
        approve_sanction(sanction, head_a, timezone.localdate())
    propose_sanction(subject_a, kind="warning", facts="草稿", legal_basis="", user=officer_a)
    now = timezone.now()
    chunk = Chunk(
        kind="subject",
        person_ids=sorted([subject_a.pk, subject_b.pk]),
        first_id=min(subject_a.pk, subject_b.pk),
        last_id=max(subject_a.pk, subject_b.pk),
        window_start=now - dt.timedelta(days=30),
        window_end=now + dt.timedelta(days=1),
        as_of=now,
    )
    facts = sanctions_factor(chunk)
    assert facts[subject_a.pk].value == 2 and dict(facts[subject_a.pk].facts) == {
        "warning": 1,
        "reprimand": 1,
    }
    assert facts[subject_b.pk].value == 0
