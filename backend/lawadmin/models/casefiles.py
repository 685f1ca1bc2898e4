"""Case-file reviews (行政执法案卷评查) with cross-review assignment and social supervisors."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from backend.bureau.models import MAX_YEAR, MIN_YEAR, Unit


class SocialSupervisor(models.Model):
    """A member of the public on the enforcement supervisors' panel (personal data, reads audited)."""

    class Background(models.TextChoices):
        ENTREPRENEUR = "entrepreneur", _("Private entrepreneur")
        LAWYER = "lawyer", _("Lawyer")
        DEPUTY = "deputy", _("People's congress deputy")
        COMMITTEE = "committee", _("CPPCC member")
        OTHER = "other", _("Other background")

    name = models.CharField(_("name"), max_length=50)
    background = models.CharField(_("background"), max_length=12, choices=Background.choices)
    organisation = models.CharField(_("organisation"), max_length=100, blank=True)
    phone = models.CharField(_("phone number"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("social supervisor")
        verbose_name_plural = _("social supervisors")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class CaseFileReview(models.Model):
    """A round of case-file review; the seed of its cross-review draw is recorded."""

    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)]
    )
    title = models.CharField(_("title"), max_length=100)
    held_on = models.DateField(_("held on"))
    seed = models.BigIntegerField(_("draw seed"), null=True, blank=True)

    class Meta:
        verbose_name = _("case-file review")
        verbose_name_plural = _("case-file reviews")
        ordering = ["-held_on", "pk"]

    def __str__(self) -> str:
        return self.title


class CaseFileAssignment(models.Model):
    """One unit's case files reviewed by another unit (never its own), with the score and findings."""

    review = models.ForeignKey(
        CaseFileReview,
        verbose_name=_("case-file review"),
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    reviewed_unit = models.ForeignKey(
        Unit, verbose_name=_("unit reviewed"), on_delete=models.PROTECT, related_name="+"
    )
    reviewer_unit = models.ForeignKey(
        Unit, verbose_name=_("reviewing unit"), on_delete=models.PROTECT, related_name="+"
    )
    files = models.PositiveIntegerField(
        _("case files reviewed"), default=0, validators=[MaxValueValidator(10_000)]
    )
    score = models.DecimalField(
        _("score"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    findings = models.TextField(_("findings"), max_length=4000, blank=True)
    supervisors = models.ManyToManyField(SocialSupervisor, verbose_name=_("social supervisors"), blank=True)

    class Meta:
        verbose_name = _("cross-review assignment")
        verbose_name_plural = _("cross-review assignments")
        ordering = ["review", "reviewed_unit"]
        constraints = [
            models.UniqueConstraint(fields=["review", "reviewed_unit"], name="lawadmin_reviewed_once"),
            models.CheckConstraint(
                name="lawadmin_no_self_review", condition=~models.Q(reviewed_unit=models.F("reviewer_unit"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer_unit} → {self.reviewed_unit}"
