"""Domain actions of reminders and push delivery.

Scheduling creates ``Reminder`` rows (once per dedupe key); delivery pushes them from Celery
tasks queued after commit and logs every attempt; the phone also receives pending reminders in
each check-in answer and acknowledges them. Monitoring has critical alerts pushed to the staff
of their office through ``wake_office_staff``. Views, tasks, the admin and other modules call
these functions; none of them writes the models.

One module per concern: ``scheduling``, ``answers`` (the check-in answer's fallback channel),
``push_tokens``, ``delivery`` (pushes, retries, unreachable people, waking staff).
"""

from backend.reminders.services.answers import acknowledge_reminder, pending_payload, pending_reminders
from backend.reminders.services.delivery import (
    CLAIM_LEASE,
    CLOCK_TOLERANCE,
    UNREACHABLE_AFTER_FAILED_REMINDERS,
    Delivery,
    StaffAlert,
    check_unreachable,
    deliver_reminder,
    dispatch_due_reminders,
    staff_to_wake,
    wake_office_staff,
)
from backend.reminders.services.push_tokens import (
    register_staff_push_token,
    set_device_push_token,
    unregister_staff_push_token,
)
from backend.reminders.services.scheduling import (
    end_monthly_report_reminder,
    schedule_education_reminders,
    schedule_leave_return_reminders,
    schedule_monthly_report_reminders,
    schedule_reminder,
    schedule_reminder_once,
    withdraw_leave_return_reminders,
)
from backend.reminders.sql import MAX_PENDING_IN_ANSWER

__all__ = [
    "CLAIM_LEASE",
    "CLOCK_TOLERANCE",
    "MAX_PENDING_IN_ANSWER",
    "UNREACHABLE_AFTER_FAILED_REMINDERS",
    "Delivery",
    "StaffAlert",
    "acknowledge_reminder",
    "check_unreachable",
    "deliver_reminder",
    "dispatch_due_reminders",
    "end_monthly_report_reminder",
    "pending_payload",
    "pending_reminders",
    "register_staff_push_token",
    "schedule_education_reminders",
    "schedule_leave_return_reminders",
    "schedule_monthly_report_reminders",
    "schedule_reminder",
    "schedule_reminder_once",
    "set_device_push_token",
    "staff_to_wake",
    "unregister_staff_push_token",
    "wake_office_staff",
    "withdraw_leave_return_reminders",
]
