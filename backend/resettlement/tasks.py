"""Resettlement jobs. Thin and idempotent, ``acks_late`` with ``reject_on_worker_lost``.

Beat schedule (config/settings.py ``CELERY_BEAT_SCHEDULE``):
``backend.resettlement.tasks.check_handover_deadlines`` every 15 minutes.
"""

from __future__ import annotations

from celery import shared_task

from backend.resettlement import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def check_handover_deadlines() -> int:
    """Every 15 minutes: open missing handovers, raise one alert per step past its deadline."""
    services.open_missing_handovers()
    return services.check_deadlines()
