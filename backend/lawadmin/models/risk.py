"""Inter-department risk conferences (部门会商), the special review of investment and project
contracts (合同专项排查: units' self-checks, risky contracts and their rectification plans), and
mock-trial scripts (行政诉讼庭审剧本)."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from backend.bureau.models import MAX_YEAR, MIN_YEAR, Unit, UnitReturn


class RiskConference(models.Model):
    """A conference where departments, reconsideration committee members, government legal advisers
    and public lawyers weigh a difficult matter and agree an opinion."""

    held_on = models.DateField(_("held on"))
    topic = models.CharField(_("topic"), max_length=200)
    units = models.ManyToManyField(Unit, verbose_name=_("departments taking part"), related_name="+")
    participants = models.CharField(_("other participants"), max_length=300, blank=True)
    opinion = models.TextField(_("opinion agreed"), max_length=4000)

    class Meta:
        verbose_name = _("risk conference")
        verbose_name_plural = _("risk conferences")
        ordering = ["-held_on", "pk"]

    def __str__(self) -> str:
        return self.topic


class ContractSelfCheck(UnitReturn):
    """A unit's self-check return in the special review of investment and project contracts."""

    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)]
    )
    contracts_checked = models.PositiveIntegerField(
        _("contracts checked"), validators=[MaxValueValidator(100_000)]
    )
    summary = models.TextField(_("summary"), max_length=4000, blank=True)

    class Meta:
        verbose_name = _("contract self-check")
        verbose_name_plural = _("contract self-checks")
        ordering = ["-year", "unit"]
        constraints = [models.UniqueConstraint(fields=["unit", "year"], name="lawadmin_self_check_once")]

    def __str__(self) -> str:
        return f"{self.unit} {self.year}"


class RiskyContract(models.Model):
    """A contract a self-check found at legal risk, with the unit's rectification plan."""

    self_check = models.ForeignKey(
        ContractSelfCheck,
        verbose_name=_("contract self-check"),
        on_delete=models.CASCADE,
        related_name="risky",
    )
    title = models.CharField(_("contract"), max_length=200)
    counterparty = models.CharField(_("counterparty"), max_length=200)
    amount = models.DecimalField(
        _("amount (10,000 yuan)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal("9999999999"))],
    )
    risk = models.TextField(_("risk found"), max_length=2000)
    plan = models.TextField(_("rectification plan"), max_length=2000)

    class Meta:
        verbose_name = _("risky contract")
        verbose_name_plural = _("risky contracts")
        ordering = ["self_check", "pk"]

    def __str__(self) -> str:
        return self.title


class MockTrialScript(models.Model):
    """A department's script of a mock administrative trial, and its place in the selection."""

    class Award(models.TextChoices):
        NONE = "", _("No award")
        FIRST = "first", _("First prize")
        SECOND = "second", _("Second prize")
        THIRD = "third", _("Third prize")

    unit = models.ForeignKey(Unit, verbose_name=_("department"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)]
    )
    title = models.CharField(_("title"), max_length=200)
    submitted_on = models.DateField(_("submitted on"))
    score = models.DecimalField(
        _("score"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    award = models.CharField(_("award"), max_length=10, choices=Award.choices, blank=True, default="")

    class Meta:
        verbose_name = _("mock-trial script")
        verbose_name_plural = _("mock-trial scripts")
        ordering = ["-year", "-score", "pk"]

    def __str__(self) -> str:
        return self.title
