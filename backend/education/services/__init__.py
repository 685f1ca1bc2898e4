"""Domain actions of education: sessions and enrollment, attendance, monthly hours.

One module per concern: ``sessions`` (create, change, enroll, reminders), ``attendance`` (computed
from check-ins, confirmed by staff), ``hours`` (required and completed hours, who is behind).
Views, tasks, the admin and the demo call these functions; none of them writes the models.
"""

from backend.education.services.attendance import (
    PresenceRule,
    compute_attendance,
    compute_due_attendance,
    confirm_attendance,
    minutes_inside,
    rule_for,
)
from backend.education.services.hours import (
    MonthHours,
    hours_behind,
    month_window,
    months_behind,
    parse_month,
    required_hours,
    subject_month_hours,
)
from backend.education.services.sessions import (
    create_session,
    enroll_subject,
    schedule_upcoming_reminders,
    upcoming_sessions_for,
    update_session,
)

__all__ = [
    "MonthHours",
    "PresenceRule",
    "compute_attendance",
    "compute_due_attendance",
    "confirm_attendance",
    "create_session",
    "enroll_subject",
    "hours_behind",
    "minutes_inside",
    "month_window",
    "months_behind",
    "parse_month",
    "required_hours",
    "rule_for",
    "schedule_upcoming_reminders",
    "subject_month_hours",
    "upcoming_sessions_for",
    "update_session",
]
