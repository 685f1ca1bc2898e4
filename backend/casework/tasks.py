"""Casework jobs. Thin: call a service, safe to run twice or on two workers at once.

How often each should run (the periodic schedule lives in django-celery-beat):

- ``casework.check_curfews``: every 5 minutes (a window's check is due 15 minutes after it opens);
- ``casework.settle_curfew_answers``: every 5 minutes (an asked phone has 15 minutes to answer);
- ``casework.check_leave_returns``: every 15 minutes (leave_overdue 2 hours after a leave's end);
- ``casework.expire_positioning_orders``: every 15 minutes (an order ends at its last day's midnight);
- ``casework.retire_destination_zones``: daily.
"""

from __future__ import annotations

from celery import shared_task

from backend.casework import services


@shared_task(name="casework.check_curfews", acks_late=True, reject_on_worker_lost=True)
def check_curfews() -> dict[str, int]:
    """At each curfew window's start plus grace: at home, away (alert) or ask the phone."""
    return services.check_curfews()


@shared_task(name="casework.settle_curfew_answers", acks_late=True, reject_on_worker_lost=True)
def settle_curfew_answers() -> dict[str, int]:
    """Settle the curfew checks that asked the phone: its fix, or ``curfew_no_answer``."""
    return services.settle_curfew_answers()


@shared_task(name="casework.check_leave_returns", acks_late=True, reject_on_worker_lost=True)
def check_leave_returns() -> int:
    """Leaves past their end plus grace without report-back or a fix in the county: ``leave_overdue``."""
    return services.check_leave_returns()


@shared_task(name="casework.expire_positioning_orders", acks_late=True, reject_on_worker_lost=True)
def expire_positioning_orders() -> int:
    """Orders past their last day expire; the phone goes back to verification."""
    return services.expire_orders()


@shared_task(name="casework.retire_destination_zones", acks_late=True, reject_on_worker_lost=True)
def retire_destination_zones() -> int:
    """Switch off the destination zones of leaves over for a week."""
    return services.retire_old_destination_zones()
