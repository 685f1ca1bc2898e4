"""Scheduled monitoring jobs. Thin: take ids, call a service, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from backend.monitoring.services import detect_offline


@shared_task(acks_late=True, reject_on_worker_lost=True)
def detect_offline_phones() -> int:
    """Raise offline (脱管) alerts for phones overdue for their check-in."""
    return detect_offline()
