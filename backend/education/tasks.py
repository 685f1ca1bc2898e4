"""Education jobs. Thin and idempotent, ``acks_late`` with ``reject_on_worker_lost``.

Beat schedule (config/settings.py ``CELERY_BEAT_SCHEDULE``):
``backend.education.tasks.compute_due_attendance`` every 30 minutes,
``backend.education.tasks.schedule_education_reminders`` every hour.
"""

from __future__ import annotations

from celery import shared_task

from backend.education import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def compute_due_attendance() -> int:
    """Every 30 minutes: attendance of the sessions that ended in the last two days."""
    return services.compute_due_attendance()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def compute_session_attendance(session_id: int) -> int:
    """Attendance of one session (queued by staff after it ended)."""
    from backend.education.models import EducationSession

    session = EducationSession.objects.filter(pk=session_id).first()
    return 0 if session is None else services.compute_attendance(session)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def schedule_education_reminders() -> int:
    """Every hour: the day-before and hour-before reminders of sessions starting within two days."""
    return services.schedule_upcoming_reminders()
