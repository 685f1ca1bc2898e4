"""Archive jobs. Thin: call a service, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from backend.archives.services import sync_generated_documents
from backend.supervision.models import Subject


@shared_task(acks_late=True, reject_on_worker_lost=True)
def file_generated_documents(subject_id: int | None = None) -> int:
    """Nightly (or for one person): file other modules' new or changed records as generated documents."""
    subjects = Subject.objects.all() if subject_id is None else Subject.objects.filter(pk=subject_id)
    return sum(sync_generated_documents(subject) for subject in subjects.iterator())
