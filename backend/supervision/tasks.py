"""Supervision's job: forget the signed phone requests past their window (``supervision.signing``)."""

from __future__ import annotations

from celery import shared_task

from backend.supervision.signing import forget_expired


@shared_task
def forget_seen_signatures() -> int:
    """Every minute: delete the remembered requests that left the signing window."""
    return forget_expired()
