"""Law-based administration's job: compliance notices for units that missed a quarterly catalogue."""

from __future__ import annotations

from celery import shared_task

from backend.lawadmin import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def issue_due_compliance_notices() -> int:
    """Every morning: a 依法行政工作提示单 for each unit whose quarterly contract catalogue is past due."""
    return services.issue_due_compliance_notices()
