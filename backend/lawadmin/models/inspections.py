"""Rule-of-law inspections (法治督察) every half year, scored on a weighted rubric."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from backend.bureau.models import MAX_YEAR, MIN_YEAR, Unit


class InspectionRubric(models.Model):
    """The scoring standard fixed at the start of the year for one half-year's inspections."""

    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)]
    )
    half = models.PositiveSmallIntegerField(
        _("half year"), validators=[MinValueValidator(1), MaxValueValidator(2)]
    )
    title = models.CharField(_("title"), max_length=100)

    class Meta:
        verbose_name = _("inspection rubric")
        verbose_name_plural = _("inspection rubrics")
        ordering = ["-year", "-half"]
        constraints = [models.UniqueConstraint(fields=["year", "half"], name="lawadmin_rubric_half")]

    def __str__(self) -> str:
        return self.title


class RubricItem(models.Model):
    """One criterion: its weight (the weights of a rubric add up to 100) and its full score."""

    rubric = models.ForeignKey(
        InspectionRubric, verbose_name=_("rubric"), on_delete=models.CASCADE, related_name="items"
    )
    title = models.CharField(_("criterion"), max_length=200)
    weight = models.DecimalField(
        _("weight"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal(100))],
    )
    max_score = models.DecimalField(
        _("full score"),
        max_digits=5,
        decimal_places=1,
        default=100,
        validators=[MinValueValidator(Decimal(1)), MaxValueValidator(Decimal(1000))],
    )

    class Meta:
        verbose_name = _("rubric criterion")
        verbose_name_plural = _("rubric criteria")
        ordering = ["rubric", "pk"]

    def __str__(self) -> str:
        return self.title


class RuleOfLawInspection(models.Model):
    """One unit inspected under a rubric: the scores, the weighted total, findings to rectify."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        SCORED = "scored", _("Scored")

    rubric = models.ForeignKey(
        InspectionRubric, verbose_name=_("rubric"), on_delete=models.PROTECT, related_name="inspections"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    inspected_on = models.DateField(_("inspected on"))
    inspectors = models.CharField(_("inspectors"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    total = models.DecimalField(_("weighted total"), max_digits=6, decimal_places=2, null=True, blank=True)
    summary = models.TextField(_("summary"), max_length=4000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("rule-of-law inspection")
        verbose_name_plural = _("rule-of-law inspections")
        ordering = ["-inspected_on", "pk"]
        constraints = [models.UniqueConstraint(fields=["rubric", "unit"], name="lawadmin_inspection_once")]

    def __str__(self) -> str:
        return f"{self.unit} {self.inspected_on}"


class InspectionScore(models.Model):
    inspection = models.ForeignKey(
        RuleOfLawInspection, verbose_name=_("inspection"), on_delete=models.CASCADE, related_name="scores"
    )
    item = models.ForeignKey(
        RubricItem, verbose_name=_("criterion"), on_delete=models.PROTECT, related_name="+"
    )
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=1)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("inspection score")
        verbose_name_plural = _("inspection scores")
        constraints = [models.UniqueConstraint(fields=["inspection", "item"], name="lawadmin_score_once")]

    def __str__(self) -> str:
        return f"{self.item}: {self.score}"
