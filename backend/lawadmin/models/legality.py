"""Legality review (合法性审查), the units' quarterly contract catalogues and the compliance
notices (依法行政工作提示单) sent to a unit that missed one."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from backend.bureau.models import MAX_YEAR, MIN_YEAR, Unit, UnitReturn

# Days after a quarter's end a unit has to file its catalogue before a notice is due.
CATALOGUE_GRACE_DAYS = 15


class LegalityReview(models.Model):
    """One document reviewed for legality before it is issued, decided or signed."""

    class Kind(models.TextChoices):
        NORMATIVE = "normative", _("Normative document")
        DECISION = "decision", _("Major administrative decision")
        CONTRACT = "contract", _("Contract")

    class Opinion(models.TextChoices):
        PENDING = "pending", _("Under review")
        LEGAL = "legal", _("Legal")
        AMEND = "amend", _("Legal after amendment")
        ILLEGAL = "illegal", _("Not legal")

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    received_on = models.DateField(_("received on"))
    reviewed_on = models.DateField(_("reviewed on"), null=True, blank=True)
    opinion = models.CharField(_("opinion"), max_length=10, choices=Opinion.choices, default=Opinion.PENDING)
    notes = models.TextField(_("notes"), max_length=4000, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("legality review")
        verbose_name_plural = _("legality reviews")
        ordering = ["-received_on", "pk"]

    def __str__(self) -> str:
        return self.title


class ContractCatalogue(UnitReturn):
    """A unit's quarterly catalogue of the contracts it signed, with the legality review of each."""

    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)]
    )
    quarter = models.PositiveSmallIntegerField(
        _("quarter"), validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    contracts = models.PositiveIntegerField(_("contracts signed"), validators=[MaxValueValidator(100_000)])
    reviewed = models.PositiveIntegerField(
        _("contracts reviewed for legality"), validators=[MaxValueValidator(100_000)]
    )
    notes = models.TextField(_("notes"), max_length=4000, blank=True)

    class Meta:
        verbose_name = _("quarterly contract catalogue")
        verbose_name_plural = _("quarterly contract catalogues")
        ordering = ["-year", "-quarter", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year", "quarter"], name="lawadmin_catalogue_once"),
            models.CheckConstraint(
                name="lawadmin_reviewed_le_contracts", condition=models.Q(reviewed__lte=models.F("contracts"))
            ),
        ]


class ComplianceNotice(models.Model):
    """A compliance notice (依法行政工作提示单) to a unit that missed a quarter's catalogue: the
    generated document is stored; sending it is recorded, and the unit acknowledges it."""

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    number = models.CharField(_("notice number"), max_length=40, unique=True)
    reason = models.TextField(_("reason"), max_length=2000)
    document = models.FileField(_("notice document"), upload_to="lawadmin/notices/%Y")
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_to = models.CharField(_("sent to"), max_length=300, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    class Meta:
        verbose_name = _("compliance notice")
        verbose_name_plural = _("compliance notices")
        ordering = ["-issued_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year", "quarter"], name="lawadmin_notice_once")
        ]

    def __str__(self) -> str:
        return self.number
