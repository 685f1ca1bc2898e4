"""Enterprise-related enforcement: departments' inspection plans merged into joint inspections
(进一次门、查多项事), and the monthly count of first-offence-no-penalty cases (首违不罚 / 轻罚)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from backend.bureau.models import MAX_YEAR, MIN_YEAR, Unit, UnitReturn

JOINT_WINDOW_DAYS = 14  # plans for one enterprise within two weeks become one visit


class JointInspection(models.Model):
    """One visit to an enterprise that carries out several departments' planned inspections."""

    enterprise = models.ForeignKey(
        Unit, verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="+"
    )
    scheduled_on = models.DateField(_("scheduled on"))
    window_days = models.PositiveSmallIntegerField(_("merging window (days)"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("joint inspection")
        verbose_name_plural = _("joint inspections")
        ordering = ["scheduled_on", "pk"]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.scheduled_on}"


class InspectionPlan(UnitReturn):
    """A department's planned inspection of an enterprise (its return to the bureau)."""

    enterprise = models.ForeignKey(
        Unit, verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="+"
    )
    planned_on = models.DateField(_("planned on"))
    matters = models.CharField(_("matters to inspect"), max_length=300)
    joint = models.ForeignKey(
        JointInspection,
        verbose_name=_("joint inspection"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plans",
    )

    class Meta:
        verbose_name = _("enterprise inspection plan")
        verbose_name_plural = _("enterprise inspection plans")
        ordering = ["planned_on", "pk"]

    def __str__(self) -> str:
        return f"{self.unit} → {self.enterprise} {self.planned_on}"


class FirstOffenceReturn(UnitReturn):
    """A department's monthly count of cases not punished (首违不罚) or punished lightly (轻罚)."""

    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)]
    )
    month = models.PositiveSmallIntegerField(
        _("month"), validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    no_penalty = models.PositiveIntegerField(
        _("first offences not punished"), validators=[MaxValueValidator(100_000)]
    )
    light_penalty = models.PositiveIntegerField(
        _("first offences punished lightly"), validators=[MaxValueValidator(100_000)]
    )
    guidance = models.TextField(_("non-coercive measures used"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("first-offence return")
        verbose_name_plural = _("first-offence returns")
        ordering = ["-year", "-month", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year", "month"], name="lawadmin_first_offence_once")
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.year}-{self.month:02d}"
