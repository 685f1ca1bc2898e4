"""Records that exist elsewhere appear in the working archive as generated documents: filed once,
a changed record is a new version, a missing module's source gives nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from backend.archives.models import Document
from backend.archives.services import sync_generated_documents
from backend.archives.services.sources import model_source, registered_sources
from backend.monitoring.models import Alert
from backend.monitoring.services import raise_alert, resolve_alert

pytestmark = pytest.mark.django_db


def test_resolved_alerts_are_filed_once_and_a_change_is_a_new_version(officer_a: Any, subject_a: Any) -> None:
    alert = raise_alert(
        subject_a, kind="left_zone", severity="warning", occurred_at=timezone.now(), dedupe_key="l"
    )
    raise_alert(subject_a, kind="offline", severity="warning", occurred_at=timezone.now(), dedupe_key="open")
    resolve_alert(alert, officer_a, "verbal_warning", "电话核实，已口头警告")
    assert sync_generated_documents(subject_a) == 0  # filed when it was resolved
    document = Document.objects.get(source_key=f"alert:{alert.pk}")
    assert document.version_count == 1 and document.catalogue_item is not None
    assert document.catalogue_item.code == "alert_handling"
    Alert.objects.filter(pk=alert.pk).update(resolution_note="电话核实，已口头警告并教育")
    assert sync_generated_documents(subject_a) == 1
    document.refresh_from_db()
    assert document.version_count == 2
    assert Document.objects.filter(origin="generated").count() == 1  # the open alert is not filed


def test_sources_of_modules_not_there_give_nothing(subject_a: Any) -> None:
    assert {
        "monitoring.alerts_resolved",
        "casework.leave",
        "education.attendance",
        "screening.results",
    } <= set(registered_sources())
    absent = model_source("nosuchapp", "Nothing", catalogue_code="leave_approval", title="x")
    assert list(absent(subject_a)) == []


def test_the_nightly_job_files_every_persons_records(officer_a: Any, subject_a: Any, subject_b: Any) -> None:
    from backend.archives.tasks import file_generated_documents

    alert = raise_alert(
        subject_b, kind="left_zone", severity="warning", occurred_at=timezone.now(), dedupe_key="b"
    )
    Alert.objects.filter(pk=alert.pk).update(status="resolved", resolution="other", resolution_note="已核实")
    assert file_generated_documents.delay().get() == 1
    assert file_generated_documents() == 0
    assert Document.objects.filter(archive__subject=subject_b, source_key=f"alert:{alert.pk}").exists()


def test_a_level_change_is_filed_as_a_generated_document(officer_a: Any, subject_a: Any) -> None:
    from backend.supervision.services import change_level

    change = change_level(subject_a, "strict", "多次违反宵禁规定", officer_a)
    assert sync_generated_documents(subject_a) >= 1
    document = Document.objects.get(source_key=f"supervision.levelchange:{change.pk}")
    assert document.catalogue_item is not None and document.catalogue_item.code == "level_change"
    latest = document.versions.get()
    assert latest.data["to_level"] == "strict" and latest.data["reason"] == "多次违反宵禁规定"
    assert sync_generated_documents(subject_a) == 0


def test_a_leave_decision_is_filed_and_a_pending_request_is_not(
    officer_a: Any, head_a: Any, subject_a: Any
) -> None:
    from backend.casework.services import approve_leave
    from tests.backend.casework.helpers import make_leave
    from tests.conftest import enroll_phone

    device, _token = enroll_phone(subject_a, officer_a)
    leave = make_leave(device)
    assert sync_generated_documents(subject_a) == 0  # waiting for a decision: not in the archive yet
    approve_leave(leave, head_a)
    assert sync_generated_documents(subject_a) == 1
    document = Document.objects.get(source_key=f"casework.leaverequest:{leave.pk}")
    assert document.catalogue_item is not None and document.catalogue_item.code == "leave_approval"
    assert document.versions.get().data["status"] == "approved"
