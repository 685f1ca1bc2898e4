"""Monitoring jobs. Thin: take ids, call a service, safe to run twice (``acks_late`` with
``reject_on_worker_lost``: a job whose worker died runs again).

The periodic ones and the interval each should run at (the schedule is data, django-celery-beat):

| task | every |
|---|---|
| ``detect_offline_phones`` (stage 1, check-in overdue) | 5 min |
| ``detect_lost_contact`` (stage 2, suspected loss of contact) | 5 min |
| ``note_contact_resumed_all`` (safety net behind ``note_contact_resumed``) | 5 min |
| ``detect_app_removed`` | 15 min |
| ``detect_unsupervised`` (漏管) | 1 h |
| ``detect_term_ended`` (term over; ends it where the policy says so) | 1 h |
| ``evaluate_waiting_checkins`` | 30 s |
| ``schedule_checkin_prompts`` | 5 min |
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from backend.monitoring import services
from backend.monitoring.evaluation_queue import SWEEP_AFTER_S
from backend.monitoring.services import detect_offline, evaluate_pending


@shared_task(acks_late=True, reject_on_worker_lost=True)
def detect_offline_phones() -> int:
    """Stage 1 of 防脱管: "check-in overdue" alerts for phones silent past their grace."""
    return detect_offline()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def detect_lost_contact() -> int:
    """Stage 2 of 防脱管: "suspected loss of contact" past the level's threshold."""
    return services.detect_lost_contact()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def note_contact_resumed(subject_id: int) -> int:
    """An upload ended a silence: complete its warnings' evidence and update the consoles."""
    return services.note_contact_resumed(subject_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def note_contact_resumed_all() -> int:
    """The safety net behind ``note_contact_resumed`` (a queued job lost before it ran)."""
    return services.note_all_contact_resumed()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def detect_unsupervised() -> int:
    """漏管: people in supervision without an active phone some days after it began."""
    return services.detect_unsupervised()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def detect_term_ended() -> int:
    """People whose supervision end date passed: ended where the policy says so, else an alert."""
    return services.detect_term_ended()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def detect_app_removed() -> int:
    """Silent phones whose push token the push service forgot: the app was probably removed."""
    return services.detect_app_removed()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def recompute_expectations(subject_ids: list[int]) -> int:
    """Copy what is expected of these persons (policy, level, orders) into their states."""
    return services.recompute_expectations(subject_ids)


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


@shared_task(acks_late=True, reject_on_worker_lost=True)
def purge_expired_location_data() -> int:
    """Once a day: delete location data past ``LOCATION_RETENTION_DAYS`` (services/retention.py)."""
    from backend.monitoring.services.retention import purge_expired_locations

    return purge_expired_locations().total
