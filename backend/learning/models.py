"""Staff learning (干警教育学习): topical training classes with attendance, the weekly staff lecture
(业务讲堂) with the leaders' reviews, and study trips. The bureau's own staff; office roles and unit
reporters do not see this module."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# 每周组织干警授课: a lecture a week, less the holiday weeks.
LECTURES_TARGET = 48


class TrainingClass(models.Model):
    """A topical training class (专题培训班) given by a scholar, a lawyer or a superior's official."""

    class LecturerKind(models.TextChoices):
        SCHOLAR = "scholar", _("University scholar")
        LAWYER = "lawyer", _("Lawyer")
        SUPERIOR = "superior", _("Official of the superior department")
        OTHER = "other", _("Other")

    topic = models.CharField(_("topic"), max_length=200)
    held_on = models.DateField(_("date"), db_index=True)
    lecturer = models.CharField(_("lecturer"), max_length=100)
    lecturer_kind = models.CharField(_("lecturer is"), max_length=10, choices=LecturerKind.choices)
    hours = models.DecimalField(
        _("hours"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(80)],
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("attendees"), through="Attendance", related_name="+"
    )

    class Meta:
        verbose_name = _("training class")
        verbose_name_plural = _("training classes")
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return self.topic


class Attendance(models.Model):
    training = models.ForeignKey(TrainingClass, verbose_name=_("training class"), on_delete=models.CASCADE)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("staff member"), on_delete=models.PROTECT
    )
    present = models.BooleanField(_("present"), default=True)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [models.UniqueConstraint(fields=["training", "staff"], name="learning_attendance_once")]

    def __str__(self) -> str:
        return f"{self.training} · {self.staff}"


class StaffLecture(models.Model):
    """The weekly staff lecture (业务讲堂): an officer teaches the others a topic of their own work."""

    held_on = models.DateField(_("date"), db_index=True)
    speaker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("speaker"), on_delete=models.PROTECT, related_name="+"
    )
    topic = models.CharField(_("topic"), max_length=200)
    summary = models.TextField(_("summary"), max_length=4000, blank=True)

    class Meta:
        verbose_name = _("staff lecture")
        verbose_name_plural = _("staff lectures")
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.held_on} {self.topic}"


class LectureReview(models.Model):
    """A leader's review of a staff lecture (班子成员现场点评): what was good, what to improve."""

    lecture = models.ForeignKey(
        StaffLecture, verbose_name=_("lecture"), on_delete=models.CASCADE, related_name="reviews"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewer"), on_delete=models.PROTECT, related_name="+"
    )
    score = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    comment = models.TextField(_("comment"), max_length=4000)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("lecture review")
        verbose_name_plural = _("lecture reviews")
        constraints = [models.UniqueConstraint(fields=["lecture", "reviewer"], name="learning_review_once")]

    def __str__(self) -> str:
        return f"{self.lecture} · {self.reviewer}"


class StudyTrip(models.Model):
    """A study trip (外出学习) to learn from elsewhere: rule-of-law government, mediation, supervision."""

    destination = models.CharField(_("destination"), max_length=200)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    topics = models.CharField(_("topics"), max_length=300)
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("participants"), related_name="+", blank=True
    )
    report = models.TextField(_("what was learnt"), max_length=8000, blank=True)

    class Meta:
        verbose_name = _("study trip")
        verbose_name_plural = _("study trips")
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="learning_trip_dates", condition=models.Q(ends_on__gte=models.F("starts_on"))
            )
        ]

    def __str__(self) -> str:
        return self.destination
