"""What every module of the bureau's own work shares: units, their reporters, rectification items,
the plan's target indicators, and the base of a unit's return.

The modules above (lawadmin, business, publicity, mediation, learning) keep their records against
a ``Unit``; the people who type them in are unit reporters (``Role.REPORTER``) linked here by a
``UnitMembership``; ``backend.bureau.scoping`` decides who sees which unit.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import Office

MIN_YEAR, MAX_YEAR = 2000, 2100


class Unit(models.Model):
    """A unit the bureau works with: a department, a town or street, a village, a law firm, an
    enterprise. A town links to its justice office (司法所); a village to its town (``parent``)."""

    class Kind(models.TextChoices):
        DEPARTMENT = "department", _("Government department")
        TOWN = "town", _("Town or street")
        VILLAGE = "village", _("Village or community")
        LAW_FIRM = "law_firm", _("Law firm")
        ENTERPRISE = "enterprise", _("Enterprise")
        OTHER = "other", _("Other unit")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    office = models.ForeignKey(
        Office,
        verbose_name=_("justice office"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
        help_text=_("For a town or street: its justice office (司法所)."),
    )
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone number"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["kind", "code"]
        constraints = [
            models.CheckConstraint(
                name="bureau_unit_town_has_office",
                condition=~models.Q(kind="town") | models.Q(office__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class UnitMembership(models.Model):
    """A unit reporter (``Role.REPORTER``) and the one unit whose returns they enter."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reporter"),
        on_delete=models.CASCADE,
        related_name="unit_membership",
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="members")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("unit reporter")
        verbose_name_plural = _("unit reporters")

    def __str__(self) -> str:
        return f"{self.user} → {self.unit}"


class RectificationItem(models.Model):
    """A finding a unit must put right by a deadline (整改事项), with its evidence, from any record
    of any module (an inspection, a contract review, a case-file review…)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        SUBMITTED = "submitted", _("Evidence submitted")
        CLOSED = "closed", _("Verified and closed")
        CANCELLED = "cancelled", _("Cancelled")

    unit = models.ForeignKey(
        Unit, verbose_name=_("owner unit"), on_delete=models.PROTECT, related_name="rectifications"
    )
    finding = models.TextField(_("finding"), max_length=4000)
    requirement = models.TextField(_("what must be done"), max_length=4000, blank=True)
    deadline = models.DateField(_("deadline"), db_index=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    evidence = models.FileField(_("evidence document"), upload_to="bureau/evidence/%Y/%m", blank=True)
    evidence_note = models.TextField(_("what was done"), max_length=4000, blank=True)
    review_note = models.TextField(_("review note"), max_length=2000, blank=True)
    # The record the finding comes from, in whichever module (generic, so bureau imports none).
    source_type = models.ForeignKey(
        ContentType, verbose_name=_("source kind"), null=True, blank=True, on_delete=models.PROTECT
    )
    source_id = models.PositiveBigIntegerField(_("source id"), null=True, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("evidence submitted at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("rectification item")
        verbose_name_plural = _("rectification items")
        ordering = ["deadline", "pk"]
        indexes = [models.Index(fields=["source_type", "source_id"], name="bureau_rect_source")]

    def __str__(self) -> str:
        return f"{self.unit}: {self.finding[:40]}"

    def is_overdue(self, today: dt.date | None = None) -> bool:
        """Still open (no evidence yet) after its deadline."""
        return self.status == self.Status.OPEN and self.deadline < (today or timezone.localdate())


class Indicator(models.Model):
    """A target number of the plan for one year (``5000`` publicity events, ``60`` study hours…).

    Its progress is not stored: the module named by ``code`` registered a function computing it
    (``backend.bureau.indicators``), which the API and the plan dashboard call.
    """

    class Period(models.TextChoices):
        YEAR = "year", _("Year")
        HALF = "half", _("Half year")
        QUARTER = "quarter", _("Quarter")
        MONTH = "month", _("Month")

    class Comparison(models.TextChoices):
        AT_LEAST = "at_least", _("At least")
        AT_MOST = "at_most", _("At most")

    code = models.SlugField(_("code"), max_length=60)
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)]
    )
    name = models.CharField(_("name"), max_length=120)
    module = models.CharField(_("module"), max_length=30)
    target = models.DecimalField(_("target"), max_digits=12, decimal_places=2)
    measure = models.CharField(_("unit of measure"), max_length=20)
    comparison = models.CharField(
        _("comparison"), max_length=10, choices=Comparison.choices, default=Comparison.AT_LEAST
    )
    period = models.CharField(_("period"), max_length=10, choices=Period.choices, default=Period.YEAR)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("target indicator")
        verbose_name_plural = _("target indicators")
        ordering = ["year", "module", "code"]
        constraints = [models.UniqueConstraint(fields=["code", "year"], name="bureau_indicator_code_year")]

    def __str__(self) -> str:
        return f"{self.year} {self.name}"


class UnitReturn(models.Model):
    """The base of a unit's return (报送): a record a unit's reporter enters for their own unit and
    the bureau reviews. Draft and returned ones can be edited; submitted ones wait for review."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        ACCEPTED = "accepted", _("Accepted")
        RETURNED = "returned", _("Returned for correction")

    EDITABLE = frozenset({Status.DRAFT, Status.RETURNED})

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("return status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.CharField(_("review note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True
