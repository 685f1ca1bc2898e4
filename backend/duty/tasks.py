"""Duty jobs. Thin: take ids, call a service, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from backend.duty import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def escalate_unacknowledged_alerts() -> int:
    """Every minute: escalate open alerts past their severity's deadline (office head, then bureau)."""
    return services.escalate_overdue_alerts()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def push_escalation(alert_id: int, level: int) -> int:
    """Push one escalation step to its recipients' phones (once per step)."""
    return services.notify_escalation(alert_id, level)
