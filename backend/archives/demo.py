"""The demo county's archives: documents filed with realistic gaps (``load_demo``'s step)."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from backend.archives.models import CatalogueItem, Document, Origin, Recurrence, Stage
from backend.archives.services.completeness import _months
from backend.archives.services.documents import add_document
from backend.archives.services.files import check_file
from backend.archives.services.sources import sync_generated_documents
from backend.supervision.models import Subject

# A tiny valid PDF page standing in for a scanned document.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
    b"endobj 3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, DEMO_PDF, content_type="application/pdf")


def load_demo_archives() -> str:
    """File most intake documents and monthly records of each demo subject, leaving gaps:
    every third person lacks the correction-team agreement, every fourth misses last month's
    report, every fifth has no visit records for two months. Idempotent."""
    if Document.objects.filter(origin=Origin.UPLOADED, title__startswith="[示例]").exists():
        return "already loaded"
    today = timezone.localdate()
    items = list(CatalogueItem.objects.filter(is_active=True, required=True))
    filed = 0
    subjects = list(Subject.objects.filter(status=Subject.Status.IN_SUPERVISION).order_by("pk")[:60])
    for n, subject in enumerate(subjects):
        for item in items:
            if not item.applies_to(subject) or item.stage == Stage.TERMINATION:
                continue
            if item.stage == Stage.INTAKE:
                if (item.code == "correction_team" and n % 3 == 0) or (
                    item.code == "correction_plan" and n % 7 == 0
                ):
                    continue
                add_document(
                    subject,
                    title=f"[示例]{item.name}",
                    item=item,
                    origin=Origin.UPLOADED,
                    data={"description": f"{item.name}（扫描件）"},
                    files=[check_file(_pdf(f"{item.code}.pdf"), "file")],
                )
                filed += 1
            elif item.recurrence == Recurrence.MONTHLY:
                months = list(_months(max(subject.supervision_start, today - dt.timedelta(days=120)), today))
                for index, (period, _end) in enumerate(months[:-1]):
                    late = index >= len(months) - 3
                    if (item.code == "monthly_report" and n % 4 == 0 and index == len(months) - 2) or (
                        item.code == "visit_record" and n % 5 == 0 and late
                    ):
                        continue
                    add_document(
                        subject,
                        title=f"[示例]{item.name} {period}",
                        item=item,
                        origin=Origin.UPLOADED,
                        data={"text": f"{period} {item.name}：情况正常。"},
                        period=period,
                    )
                    filed += 1
        sync_generated_documents(subject)
    return f"{filed} documents filed for {len(subjects)} people, with gaps"


__all__ = ["load_demo_archives"]
