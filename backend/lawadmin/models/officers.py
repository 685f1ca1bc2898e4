"""Enforcement officers of the county's departments (行政执法人员, not users of this system), their
study hours, the sampled ability tests and the court-hearing attendance."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from backend.bureau.models import MAX_YEAR, MIN_YEAR, Unit

STUDY_HOURS_TARGET = 60  # 年内每人学习不少于60学时
SAMPLE_RATIO_MIN = Decimal("0.10")  # 抽取人数不少于总人数的10%


class EnforcementField(models.TextChoices):
    MARKET = "market", _("Market regulation")
    SAFETY = "safety", _("Work safety")
    LAND = "land", _("Natural resources")
    URBAN = "urban", _("Urban management")
    ENVIRONMENT = "environment", _("Environment")
    TRANSPORT = "transport", _("Transport")
    AGRICULTURE = "agriculture", _("Agriculture")
    FISHERY = "fishery", _("Fishery and ocean")
    HEALTH = "health", _("Health")
    LABOUR = "labour", _("Labour")
    CONSTRUCTION = "construction", _("Construction")
    EDUCATION = "education", _("Education")
    TAX = "tax", _("Taxation")
    PUBLIC_SECURITY = "public_security", _("Public security")
    OTHER = "other", _("Other field")


class EnforcementOfficer(models.Model):
    """An enforcement officer of a department (a person, not a user): personal data, reads audited."""

    unit = models.ForeignKey(Unit, verbose_name=_("department"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=50)
    certificate_no = models.CharField(_("enforcement certificate number"), max_length=30, unique=True)
    field = models.CharField(_("enforcement field"), max_length=20, choices=EnforcementField.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("enforcement officer")
        verbose_name_plural = _("enforcement officers")
        ordering = ["unit", "name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.certificate_no})"


class StudyRecord(models.Model):
    """Hours an officer studied on a day (public legal knowledge or the officer's own field)."""

    officer = models.ForeignKey(
        EnforcementOfficer,
        verbose_name=_("enforcement officer"),
        on_delete=models.PROTECT,
        related_name="studies",
    )
    date = models.DateField(_("date"), db_index=True)
    hours = models.DecimalField(
        _("hours"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal(12))],
    )
    topic = models.CharField(_("topic"), max_length=200)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("study record")
        verbose_name_plural = _("study records")
        ordering = ["-date", "pk"]

    def __str__(self) -> str:
        return f"{self.officer} {self.date} {self.hours}"


class AbilityTest(models.Model):
    """An ability test (执法能力测试) on a random sample of the officers, stratified by field.

    The draw is reproducible: the seed is recorded, and drawing again with it gives the same
    officers (``services.officers.draw_sample``)."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DRAWN = "drawn", _("Sample drawn")
        PUBLISHED = "published", _("Results published")

    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)]
    )
    title = models.CharField(_("title"), max_length=100)
    held_on = models.DateField(_("held on"))
    sample_ratio = models.DecimalField(
        _("sample ratio"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.10"),
        validators=[MinValueValidator(SAMPLE_RATIO_MIN), MaxValueValidator(Decimal(1))],
    )
    seed = models.BigIntegerField(_("draw seed"), null=True, blank=True)
    population = models.PositiveIntegerField(_("officers in the population"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    drawn_at = models.DateTimeField(_("drawn at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("ability test")
        verbose_name_plural = _("ability tests")
        ordering = ["-held_on", "pk"]

    def __str__(self) -> str:
        return self.title


class AbilityTestEntry(models.Model):
    """One officer drawn for a test, their score and, once published, their rank."""

    test = models.ForeignKey(
        AbilityTest, verbose_name=_("ability test"), on_delete=models.CASCADE, related_name="entries"
    )
    officer = models.ForeignKey(
        EnforcementOfficer, verbose_name=_("enforcement officer"), on_delete=models.PROTECT, related_name="+"
    )
    field = models.CharField(_("enforcement field"), max_length=20, choices=EnforcementField.choices)
    score = models.DecimalField(
        _("score"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)

    class Meta:
        verbose_name = _("ability test entry")
        verbose_name_plural = _("ability test entries")
        ordering = ["test", "rank", "pk"]
        constraints = [models.UniqueConstraint(fields=["test", "officer"], name="lawadmin_test_officer_once")]

    def __str__(self) -> str:
        return f"{self.test}: {self.officer}"


class HearingAttendance(models.Model):
    """Officers and leaders of a department who sat in on an administrative court hearing (旁听庭审)."""

    unit = models.ForeignKey(Unit, verbose_name=_("department"), on_delete=models.PROTECT, related_name="+")
    held_on = models.DateField(_("held on"))
    court = models.CharField(_("court"), max_length=100)
    case_number = models.CharField(_("case number"), max_length=60)
    attendees = models.PositiveIntegerField(
        _("attendees"), validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    leader_attended = models.BooleanField(_("leader in charge of rule of law attended"), default=False)
    notes = models.TextField(_("notes"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("court-hearing attendance")
        verbose_name_plural = _("court-hearing attendances")
        ordering = ["-held_on", "pk"]

    def __str__(self) -> str:
        return f"{self.unit} {self.held_on}"
