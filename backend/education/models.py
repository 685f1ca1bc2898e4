"""Education sessions (入矫教育, 集中教育, 公益活动), who is enrolled in them, and whether they came.

A session happens at a place: a point and a radius, nothing more. It is not a monitoring zone and
the geofence engine never sees it, so being away from it raises no breach alert. Attendance is
computed afterwards from the subject's stored check-ins (``services.attendance``) by the rule in
``AttendanceRule``, or confirmed by staff with a reason; a staff confirmation is never overwritten
by a later computation.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import Office
from backend.supervision.models import Subject

MAX_RADIUS_M = 5_000.0
MIN_RADIUS_M = 10.0
MAX_CAPACITY = 1_000
MAX_SESSION_HOURS = 12


class SessionKind(models.TextChoices):
    INTAKE = "intake", _("intake education (入矫教育)")
    GROUP = "group", _("group education (集中教育)")
    COMMUNITY_SERVICE = "service", _("community service (公益活动)")


class AttendanceRule(models.Model):
    """How attendance is read from check-ins, for one kind of session (or, with no kind, for all).

    A subject attended when the minutes they were certainly inside the place during the session
    reach ``min_minutes_inside``. Only certain fixes count: quality ``ok``, not mocked, not set
    aside, accuracy within ``max_accuracy_m``. Between two consecutive certain fixes both inside,
    the time between them counts, at most ``max_gap_minutes`` (a phone silent for an hour does not
    prove an hour inside).
    """

    kind = models.CharField(
        _("session kind"),
        max_length=10,
        choices=SessionKind.choices,
        blank=True,
        unique=True,
        help_text=_("Empty: the rule for every kind without one of its own."),
    )
    min_minutes_inside = models.PositiveIntegerField(
        _("minutes inside to count as attended"),
        default=45,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_SESSION_HOURS * 60)],
    )
    max_gap_minutes = models.PositiveIntegerField(
        _("longest gap between fixes counted (minutes)"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
    )
    max_accuracy_m = models.FloatField(
        _("worst accuracy still counted (m)"),
        default=100.0,
        validators=[MinValueValidator(1.0), MaxValueValidator(MAX_RADIUS_M)],
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("attendance rule")
        verbose_name_plural = _("attendance rules")
        ordering = ["kind"]

    def __str__(self) -> str:
        return str(self.get_kind_display() or _("every kind"))


class EducationSession(models.Model):
    """One education session or community-service activity of an office, at a place and time."""

    office = models.ForeignKey(Office, verbose_name=_("office"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=SessionKind.choices)
    topic = models.CharField(_("topic"), max_length=200)
    place_name = models.CharField(_("place"), max_length=100)
    # WGS-84, like every stored position; the radius makes it a place, never a fence.
    place_lat = models.FloatField(
        _("place latitude"), validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    place_lon = models.FloatField(
        _("place longitude"), validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    place_radius_m = models.FloatField(
        _("place radius (m)"),
        default=100.0,
        validators=[MinValueValidator(MIN_RADIUS_M), MaxValueValidator(MAX_RADIUS_M)],
    )
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(
        _("capacity"), default=50, validators=[MinValueValidator(1), MaxValueValidator(MAX_CAPACITY)]
    )
    hours = models.DecimalField(
        _("hours credited"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal(MAX_SESSION_HOURS))],
        help_text=_("What attending counts towards the monthly hours; the session's length by default."),
    )
    notes = models.TextField(_("notes"), blank=True)
    attendance_computed_at = models.DateTimeField(_("attendance computed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("education session")
        verbose_name_plural = _("education sessions")
        ordering = ["-starts_at", "id"]
        indexes = [models.Index(fields=["office", "starts_at"], name="edu_session_office_time")]
        constraints = [
            models.CheckConstraint(
                name="edu_session_ends_after_start", condition=models.Q(ends_at__gt=models.F("starts_at"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.topic}"


class Enrollment(models.Model):
    """A subject enrolled in a session, and the outcome: computed from check-ins or confirmed by staff."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("not yet known")
        ATTENDED = "attended", _("attended")
        ABSENT = "absent", _("absent")

    class Source(models.TextChoices):
        NONE = "", _("not decided")
        CHECKINS = "checkins", _("computed from check-ins")
        STAFF = "staff", _("confirmed by staff")

    session = models.ForeignKey(
        EducationSession, verbose_name=_("session"), on_delete=models.CASCADE, related_name="enrollments"
    )
    subject = models.ForeignKey(
        Subject, verbose_name=_("subject"), on_delete=models.PROTECT, related_name="education_enrollments"
    )
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING, db_index=True
    )
    source = models.CharField(_("decided by"), max_length=10, choices=Source.choices, blank=True, default="")
    minutes_inside = models.PositiveIntegerField(_("minutes inside the place"), default=0)
    certain_fixes = models.PositiveIntegerField(_("certain fixes during the session"), default=0)
    hours_credited = models.DecimalField(
        _("hours credited"), max_digits=4, decimal_places=1, default=Decimal(0)
    )
    reason = models.CharField(_("reason of the staff confirmation"), max_length=300, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("enrolled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    enrolled_at = models.DateTimeField(_("enrolled at"), auto_now_add=True)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        ordering = ["session_id", "subject_id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "subject"], name="edu_enrolled_once"),
        ]
        indexes = [models.Index(fields=["subject", "session"], name="edu_enrollment_subject")]

    def __str__(self) -> str:
        return f"{self.subject} · {self.session}"
