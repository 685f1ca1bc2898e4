"""Reminder and push jobs. Thin: take ids, call a service, safe to run twice.

Sends are queued after the commit that made them due (``delay_on_commit``) and never run inside
a request. A temporary push failure is retried with a countdown from the retry policy; the
per-minute dispatcher also picks up any retry whose task was lost. The jobs that need
monitoring's records (check-in prompts, waking staff for critical alerts) are monitoring's
tasks.
"""

from __future__ import annotations

from celery import shared_task

from backend.reminders import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_reminder(reminder_id: int) -> str | None:
    """Push one reminder to its subject's phone (once; a delivered reminder is not sent again)."""
    delivery = services.deliver_reminder(reminder_id)
    if delivery is None:
        return None
    if delivery.retry_in is not None:
        send_reminder.apply_async(args=(reminder_id,), countdown=delivery.retry_in)
    return delivery.status


@shared_task(acks_late=True, reject_on_worker_lost=True)
def dispatch_due_reminders() -> int:
    """Every minute: queue the pushes that are due (held past quiet hours, lost retries)."""
    return services.dispatch_due_reminders()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def schedule_monthly_report_reminders() -> int:
    """Daily at 09:00: from the 25th, remind every subject of this month's report."""
    return services.schedule_monthly_report_reminders()
