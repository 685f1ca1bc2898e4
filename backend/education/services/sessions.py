"""Sessions and enrollment, and the reminders of enrolled subjects."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from backend.accounts.models import User
from backend.education.models import MAX_SESSION_HOURS, EducationSession, Enrollment
from backend.reminders.services import schedule_education_reminders
from backend.supervision.models import Subject

# Reminders are made for sessions starting within this lead (the longest reminder is a day ahead).
REMINDER_HORIZON = dt.timedelta(days=2)


def default_hours(starts_at: dt.datetime, ends_at: dt.datetime) -> Decimal:
    """The session's length in hours, to the half hour (at least half an hour)."""
    hours = Decimal((ends_at - starts_at).total_seconds()) / Decimal(3600)
    halves = (hours * 2).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return max(Decimal("0.5"), min(Decimal(MAX_SESSION_HOURS), halves / 2))


def _check_times(starts_at: dt.datetime, ends_at: dt.datetime) -> None:
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": [_("The session must end after it starts.")]}, code="invalid")
    if ends_at - starts_at > dt.timedelta(hours=MAX_SESSION_HOURS):
        raise ValidationError(
            {"ends_at": [_("A session lasts at most %(hours)d hours.") % {"hours": MAX_SESSION_HOURS}]},
            code="invalid",
        )


def create_session(created_by: User | None, **values: Any) -> EducationSession:
    """A new session; its credited hours default to its length."""
    _check_times(values["starts_at"], values["ends_at"])
    if values.get("hours") is None:
        values["hours"] = default_hours(values["starts_at"], values["ends_at"])
    return EducationSession.objects.create(created_by=created_by, **values)


def update_session(session: EducationSession, **values: Any) -> EducationSession:
    """Change a session; its enrolled subjects' reminders follow a new start time."""
    starts_at = values.get("starts_at", session.starts_at)
    ends_at = values.get("ends_at", session.ends_at)
    _check_times(starts_at, ends_at)
    capacity = values.get("capacity")
    if capacity is not None and capacity < session.enrollments.count():
        raise ValidationError(
            {"capacity": [_("More subjects are already enrolled than this capacity.")]}, code="invalid"
        )
    moved = starts_at != session.starts_at
    for name, value in values.items():
        setattr(session, name, value)
    session.save()
    if moved:
        _schedule_session_reminders(session)
    return session


def enroll_subject(session: EducationSession, subject: Subject, enrolled_by: User | None) -> Enrollment:
    """Enroll ``subject`` in ``session`` (same office, in supervision, room left, not yet started).

    Idempotent: enrolling an enrolled subject again answers the existing enrollment.
    """
    existing = Enrollment.objects.filter(session=session, subject=subject).first()
    if existing is not None:
        return existing
    if subject.office_id != session.office_id:
        raise ValidationError({"subject": [_("The subject belongs to another office.")]}, code="invalid")
    if subject.status != Subject.Status.IN_SUPERVISION:
        raise ValidationError({"subject": [_("This person's supervision has ended.")]}, code="ended")
    if session.ends_at <= timezone.now():
        raise ValidationError({"session": [_("This session is over.")]}, code="invalid")
    with transaction.atomic():
        # Lock the session row so two enrollments racing for the last seat cannot both win.
        locked = EducationSession.objects.select_for_update().get(pk=session.pk)
        if locked.enrollments.count() >= locked.capacity:
            raise ValidationError({"session": [_("This session is full.")]}, code="full")
        try:
            with transaction.atomic():
                enrollment = Enrollment.objects.create(
                    session=locked, subject=subject, enrolled_by=enrolled_by
                )
        except IntegrityError:
            return Enrollment.objects.get(session=session, subject=subject)
        if locked.starts_at > timezone.now():
            _schedule_one(locked, subject)
    return enrollment


def _schedule_one(session: EducationSession, subject: Subject) -> int:
    reminders = schedule_education_reminders(
        subject,
        session_key=f"{session.pk}-{int(session.starts_at.timestamp())}",
        starts_at=session.starts_at,
        topic=session.get_kind_display()
        if not session.topic
        else f"{session.get_kind_display()}：{session.topic}",
        place=session.place_name,
    )
    return len(reminders)


def _schedule_session_reminders(session: EducationSession) -> int:
    if session.starts_at <= timezone.now():
        return 0
    count = 0
    for enrollment in session.enrollments.select_related("subject"):
        if enrollment.subject.status == Subject.Status.IN_SUPERVISION:
            count += _schedule_one(session, enrollment.subject)
    return count


def schedule_upcoming_reminders(now: dt.datetime | None = None) -> int:
    """The reminders of every enrolled subject of sessions starting within two days. Idempotent:
    a reminder's dedupe key names the subject, the session and its start, so a rerun adds nothing
    and a session moved to another time gets reminders of its new time."""
    now = now or timezone.now()
    sessions = EducationSession.objects.filter(starts_at__gt=now, starts_at__lte=now + REMINDER_HORIZON)
    return sum(_schedule_session_reminders(session) for session in sessions)


def upcoming_sessions_for(
    subject: Subject, now: dt.datetime | None = None, limit: int = 20
) -> QuerySet[Enrollment]:
    """The subject's enrollments in sessions not yet over, soonest first."""
    now = now or timezone.now()
    return (
        Enrollment.objects.filter(subject=subject, session__ends_at__gt=now)
        .select_related("session")
        .order_by("session__starts_at", "session_id")[:limit]
    )
