"""Scheduled monitoring jobs. Thin: take ids, call a service, safe to run twice."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from backend.monitoring.evaluation_queue import SWEEP_AFTER_S
from backend.monitoring.services import detect_offline, evaluate_pending


@shared_task(acks_late=True, reject_on_worker_lost=True)
def detect_offline_phones() -> int:
    """Raise offline (脱管) alerts for phones overdue for their check-in."""
    return detect_offline()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def evaluate_waiting_checkins() -> int:
    """Evaluate fixes left waiting (no evaluator running, a failed round)."""
    older_than = timezone.now() - dt.timedelta(seconds=SWEEP_AFTER_S)
    total = 0
    while (done := evaluate_pending(older_than=older_than)) > 0:
        total += done
    return total
