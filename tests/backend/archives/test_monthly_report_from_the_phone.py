"""The phone's monthly report (思想汇报) is an archive document, and its reminder stops."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from backend.archives.models import Document, VersionFile
from backend.reminders.models import Reminder
from backend.reminders.services import pending_reminders, schedule_monthly_report_reminders
from tests.backend.archives.conftest import pdf_upload, png_upload, stored_files
from tests.conftest import device_client, enroll_phone

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone(subject_a: Any, officer_a: Any) -> Any:
    _device, token = enroll_phone(subject_a, officer_a)
    return device_client(token)


def test_a_report_with_photos_is_filed_in_the_working_archive(phone: Any, subject_a: Any) -> None:
    response = phone.post(
        "/api/v1/mobile/reports",
        {"text": "本月遵纪守法，按时报到。", "photos": [png_upload("a.png"), png_upload("b.png", b"b")]},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["period"] == timezone.localdate().strftime("%Y-%m") and body["photos"] == 2
    document = Document.objects.select_related("archive", "catalogue_item").get(pk=body["document"])
    assert document.archive.kind == "work" and document.catalogue_item.code == "monthly_report"
    assert document.origin == "phone" and document.archive.subject_id == subject_a.pk
    assert VersionFile.objects.filter(version__document=document).count() == 2
    # A second report of the month is the next version of the same document.
    again = phone.post("/api/v1/mobile/reports", {"text": "补充：已参加公益活动。"}, format="json")
    assert (
        again.status_code == 201 and again.json()["document"] == document.pk and again.json()["version"] == 2
    )


def test_more_than_five_photos_or_a_non_image_are_refused(phone: Any, archive_folder: Path) -> None:
    six = [png_upload(f"{n}.png", bytes([n])) for n in range(6)]
    response = phone.post("/api/v1/mobile/reports", {"text": "x", "photos": six}, format="multipart")
    assert response.status_code == 400 and "photos" in response.json()["errors"]
    pdf = phone.post("/api/v1/mobile/reports", {"text": "x", "photos": [pdf_upload()]}, format="multipart")
    assert pdf.status_code == 400 and pdf.json()["code"] == "file_type"
    assert "photos.0" in pdf.json()["errors"]
    empty = phone.post("/api/v1/mobile/reports", {"text": "  "}, format="json")
    assert empty.status_code == 400 and "text" in empty.json()["errors"]
    assert not Document.objects.exists() and stored_files(archive_folder) == []


def test_a_body_past_the_photos_limit_is_a_413_before_it_is_read(phone: Any, settings: Any) -> None:
    settings.ARCHIVE_MAX_FILE_SIZE = 1024
    big = png_upload("big.png", b"\x00" * (6 * 1024 + settings.DATA_UPLOAD_MAX_MEMORY_SIZE))
    response = phone.post("/api/v1/mobile/reports", {"text": "x", "photos": [big]}, format="multipart")
    assert response.status_code == 413 and response.json()["code"] == "too_large"


def test_a_report_larger_than_memory_is_signed_over_its_bytes(phone: Any, settings: Any) -> None:
    # Past DATA_UPLOAD_MAX_MEMORY_SIZE the signature check reads the photos through a temporary
    # file, which the view then reads as the body.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    photo = png_upload("big.png", b"\x00" * 20_000)
    response = phone.post(
        "/api/v1/mobile/reports", {"text": "本月良好", "photos": [photo]}, format="multipart"
    )
    assert response.status_code == 201, response.content
    assert response.json()["photos"] == 1
    stored = VersionFile.objects.get()
    assert stored.size > 20_000


def test_staff_and_strangers_cannot_post_a_report(officer_a: Any) -> None:
    from tests.conftest import client_for

    assert client_for(officer_a).post("/api/v1/mobile/reports", {"text": "x"}).status_code in (401, 403)
    assert client_for(None).post("/api/v1/mobile/reports", {"text": "x"}).status_code == 401


def test_the_months_reminder_stops_when_the_report_is_in(phone: Any, subject_a: Any) -> None:
    now = timezone.now()
    on_the_26th = timezone.localtime(now).replace(day=26, hour=10)
    assert schedule_monthly_report_reminders(on_the_26th) == 1
    reminder = Reminder.objects.get(kind="monthly_report")
    assert reminder in pending_reminders(
        subject_a.pk, now=max(now, reminder.send_at) + dt.timedelta(seconds=1)
    )
    period = timezone.localtime(on_the_26th).strftime("%Y-%m")
    assert reminder.dedupe_key.endswith(period)

    assert phone.post("/api/v1/mobile/reports", {"text": "本月情况良好"}, format="json").status_code == 201
    reminder.refresh_from_db()
    if period == timezone.localdate().strftime("%Y-%m"):
        assert reminder.expires_at is not None and reminder.expires_at <= timezone.now()
        assert reminder not in pending_reminders(subject_a.pk, now=timezone.now() + dt.timedelta(days=1))


def test_no_reminder_is_scheduled_for_a_report_that_is_in(phone: Any, subject_a: Any) -> None:
    assert phone.post("/api/v1/mobile/reports", {"text": "提前提交"}, format="json").status_code == 201
    on_the_26th = timezone.localtime(timezone.now()).replace(day=26, hour=10)
    assert schedule_monthly_report_reminders(on_the_26th) == 0
    assert not Reminder.objects.filter(kind="monthly_report").exists()
