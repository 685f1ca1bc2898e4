"""Monitoring jobs. Thin: take ids, call a service, safe to run twice."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from backend.monitoring import services
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


@shared_task(acks_late=True, reject_on_worker_lost=True)
def push_alert_to_staff(alert_id: int) -> str | None:
    """Wake the office's staff for a critical alert (each staff token at most once)."""
    delivery = services.notify_staff_of_alert(alert_id)
    if delivery is None:
        return None
    if delivery.retry_in is not None:
        push_alert_to_staff.apply_async(args=(alert_id,), countdown=delivery.retry_in)
    return delivery.status


@shared_task(acks_late=True, reject_on_worker_lost=True)
def schedule_checkin_prompts() -> int:
    """Every five minutes: prompt phones whose check-in is due soon or just passed."""
    return services.schedule_checkin_prompts()
