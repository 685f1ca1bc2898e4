"""Monthly reports (思想汇报) from the phone: text and up to five photos, an archive document.

A report is filed under the ``monthly_report`` item of the working archive for its month (the
month it arrives in, local time). A second report of the same month is the document's next
version. Its arrival ends the month's pending reminder (``reminders``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from backend.archives.models import Document, Origin
from backend.archives.services.documents import add_document, add_version, catalogue_item, document_for_period
from backend.archives.services.files import CheckedFile
from backend.reminders.services import end_monthly_report_reminder
from backend.supervision.models import Device, Subject

MAX_PHOTOS = 5
MAX_TEXT = 5000
MONTHLY_REPORT = "monthly_report"


def current_period() -> str:
    return timezone.localdate().strftime("%Y-%m")


def submit_monthly_report(device: Device, *, text: str, photos: list[CheckedFile]) -> Document:
    """File the phone's report of this month (a new version if one is in already)."""
    subject = Subject.objects.get(pk=device.subject_id)
    period = current_period()
    item = catalogue_item(MONTHLY_REPORT)
    data: dict[str, Any] = {"text": text, "device": device.pk, "photos": len(photos)}
    with transaction.atomic():
        existing = document_for_period(subject, item, period) if item is not None else None
        if existing is not None:
            add_version(existing, data=data, files=photos, note="a later report of the same month")
            document = existing
        else:
            document = add_document(
                subject,
                title=f"思想汇报 {period}",
                item=item,
                origin=Origin.PHONE,
                data=data,
                files=photos,
                period=period,
                kind="work",
            )
        end_monthly_report_reminder(subject.pk, period)
    document.refresh_from_db()
    return document


def monthly_report_in(subject_id: int, period: str) -> bool:
    """Registered with reminders: has this person's report of ``period`` arrived?"""
    return Document.objects.filter(
        archive__subject_id=subject_id, catalogue_item__code=MONTHLY_REPORT, period=period
    ).exists()
