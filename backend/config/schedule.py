"""The periodic jobs: one line per job, in one place.

django-celery-beat's database schedule is seeded from this (``backend.duty``): a new line here is
added to the database at the next ``migrate`` or scheduler start; staff see and change the entries
in the admin, and an entry already in the database is never overwritten. The embedded scheduler of
``make run`` runs the same entries.
"""

from celery.schedules import crontab

CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # Tasks whose hand-over to the broker failed after their commit (backend/core/outbox.py).
    "publish-outbox": {"task": "backend.core.tasks.publish_outbox", "schedule": 30.0},
    # Signed phone requests past their window (backend/supervision/signing.py).
    "forget-seen-signatures": {"task": "backend.supervision.tasks.forget_seen_signatures", "schedule": 60.0},
    "detect-offline-phones": {"task": "backend.monitoring.tasks.detect_offline_phones", "schedule": 300.0},
    # 防脱管 stage 2, contact resumed (a safety net behind the upload's own), 防漏管, the app removed.
    "detect-lost-contact": {"task": "backend.monitoring.tasks.detect_lost_contact", "schedule": 300.0},
    "note-contact-resumed": {"task": "backend.monitoring.tasks.note_contact_resumed_all", "schedule": 300.0},
    "detect-app-removed": {"task": "backend.monitoring.tasks.detect_app_removed", "schedule": 900.0},
    "detect-unsupervised": {"task": "backend.monitoring.tasks.detect_unsupervised", "schedule": 3600.0},
    "detect-term-ended": {"task": "backend.monitoring.tasks.detect_term_ended", "schedule": 3600.0},
    # A safety net behind the evaluators: fixes marked waiting for more than a few seconds.
    "evaluate-waiting-checkins": {
        "task": "backend.monitoring.tasks.evaluate_waiting_checkins",
        "schedule": 30.0,
    },
    "prompt-checkins": {"task": "backend.monitoring.tasks.schedule_checkin_prompts", "schedule": 300.0},
    "monthly-report-reminders": {
        "task": "backend.reminders.tasks.schedule_monthly_report_reminders",
        "schedule": crontab(hour=9, minute=0),
    },
    "dispatch-due-reminders": {"task": "backend.reminders.tasks.dispatch_due_reminders", "schedule": 60.0},
    # Location data past LOCATION_RETENTION_DAYS (backend/monitoring/services/retention.py).
    "purge-expired-location-data": {
        "task": "backend.monitoring.tasks.purge_expired_location_data",
        "schedule": crontab(hour=3, minute=30),
    },
    "escalate-alerts": {"task": "backend.duty.tasks.escalate_unacknowledged_alerts", "schedule": 60.0},
    # Records of other modules (leave, positioning, education, screening) into the working archives.
    "file-generated-documents": {
        "task": "backend.archives.tasks.file_generated_documents",
        "schedule": crontab(hour=2, minute=15),
    },
    # Casework (backend/casework/tasks.py): a curfew window is checked 15 minutes after it opens and
    # an asked phone has 15 minutes to answer; leave_overdue 2 hours after a leave's end.
    "casework-check-curfews": {"task": "casework.check_curfews", "schedule": 300.0},
    "casework-settle-curfew-answers": {"task": "casework.settle_curfew_answers", "schedule": 300.0},
    "casework-check-leave-returns": {"task": "casework.check_leave_returns", "schedule": 900.0},
    "casework-expire-positioning-orders": {"task": "casework.expire_positioning_orders", "schedule": 900.0},
    "casework-retire-destination-zones": {
        "task": "casework.retire_destination_zones",
        "schedule": crontab(hour=4, minute=10),
    },
    # A compliance notice for each unit whose quarterly contract catalogue is past due (lawadmin).
    "lawadmin-compliance-notices": {
        "task": "backend.lawadmin.tasks.issue_due_compliance_notices",
        "schedule": crontab(hour=8, minute=20),
    },
    # Quarterly risk screening (季度风险排查) of the quarter just ended; lost runs resumed.
    "screening-quarterly": {
        "task": "backend.screening.tasks.start_quarterly_screening",
        "schedule": crontab(minute=30, hour=1, day_of_month=1, month_of_year="1,4,7,10"),
    },
    "screening-resume": {"task": "backend.screening.tasks.resume_screenings", "schedule": 300.0},
    # Education: attendance from check-ins of sessions just ended (late uploads counted), reminders.
    "education-attendance": {"task": "backend.education.tasks.compute_due_attendance", "schedule": 1800.0},
    "education-reminders": {
        "task": "backend.education.tasks.schedule_education_reminders",
        "schedule": 3600.0,
    },
    # Resettlement: a 必接必送 step past its deadline raises its alert.
    "resettlement-deadlines": {
        "task": "backend.resettlement.tasks.check_handover_deadlines",
        "schedule": 900.0,
    },
}
