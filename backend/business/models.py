"""营商服务: law firms and lawyers under the bureau's supervision (inspections, annual assessment,
credit ratings, sanctions with a one-vote veto on hiring legal advisers), expert pools and lawyers'
service visits to enterprises, and the review of the certificates government services demand."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from backend.bureau.models import MAX_YEAR, MIN_YEAR, Unit

VETO_DAYS = 365  # a vetoing sanction blocks hiring for a year from its decision


class CreditRating(models.TextChoices):
    A = "A", _("A (excellent)")
    B = "B", _("B (good)")
    C = "C", _("C (warning)")
    D = "D", _("D (poor)")


RATING_ORDER = [CreditRating.A, CreditRating.B, CreditRating.C, CreditRating.D]


class LawFirm(models.Model):
    """A law firm (its unit is of kind law_firm: the firm's reporter keeps its lawyers)."""

    unit = models.OneToOneField(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="law_firm"
    )
    license_no = models.CharField(_("practice licence number"), max_length=40, unique=True)
    director = models.CharField(_("director"), max_length=50)
    rating = models.CharField(
        _("credit rating"), max_length=1, choices=CreditRating.choices, default=CreditRating.B
    )
    founded_on = models.DateField(_("founded on"), null=True, blank=True)
    recruited = models.BooleanField(_("brought in by the bureau's outreach"), default=False)

    class Meta:
        verbose_name = _("law firm")
        verbose_name_plural = _("law firms")
        ordering = ["unit__name"]

    def __str__(self) -> str:
        return self.unit.name


class Lawyer(models.Model):
    """A lawyer of a firm: personal data (name, licence, phone), every read audited."""

    firm = models.ForeignKey(
        LawFirm, verbose_name=_("law firm"), on_delete=models.PROTECT, related_name="lawyers"
    )
    name = models.CharField(_("name"), max_length=50)
    license_no = models.CharField(_("lawyer's licence number"), max_length=40, unique=True)
    phone = models.CharField(_("phone number"), max_length=30, blank=True)
    specialties = models.CharField(_("specialties"), max_length=200, blank=True)
    rating = models.CharField(
        _("credit rating"), max_length=1, choices=CreditRating.choices, default=CreditRating.B
    )
    is_active = models.BooleanField(_("practising"), default=True)

    class Meta:
        verbose_name = _("lawyer")
        verbose_name_plural = _("lawyers")
        ordering = ["firm", "name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.firm})"


class Sanction(models.Model):
    """A measure against a firm or a lawyer. A rating downgrade lowers the rating one step; one
    marked ``veto`` blocks hiring as a government or village legal adviser until ``veto_until``."""

    class Kind(models.TextChoices):
        WARNING_TALK = "warning_talk", _("Warning talk")
        ORDER_TO_CORRECT = "order_to_correct", _("Order to correct")
        DOWNGRADE = "downgrade", _("Credit rating downgrade")
        REFERRAL = "referral", _("Referral to the bar association")

    VETO_BY_DEFAULT = frozenset({Kind.DOWNGRADE, Kind.REFERRAL})

    firm = models.ForeignKey(
        LawFirm, verbose_name=_("law firm"), on_delete=models.PROTECT, related_name="sanctions"
    )
    lawyer = models.ForeignKey(
        Lawyer,
        verbose_name=_("lawyer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sanctions",
    )
    kind = models.CharField(_("measure"), max_length=20, choices=Kind.choices)
    decided_on = models.DateField(_("decided on"))
    reason = models.TextField(_("reason"), max_length=2000)
    veto = models.BooleanField(_("one-vote veto on hiring"), default=False)
    veto_until = models.DateField(_("veto until"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("sanction")
        verbose_name_plural = _("sanctions")
        ordering = ["-decided_on", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.lawyer or self.firm}"

    def vetoes_on(self, day: dt.date) -> bool:
        return self.veto and self.veto_until is not None and self.decided_on <= day <= self.veto_until


class AdviserHiring(models.Model):
    """A lawyer hired as legal adviser (党政一体法律顾问 / 村居法律顾问); refused under a veto."""

    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("Government legal adviser")
        VILLAGE = "village", _("Village legal adviser")

    unit = models.ForeignKey(Unit, verbose_name=_("hiring unit"), on_delete=models.PROTECT, related_name="+")
    lawyer = models.ForeignKey(
        Lawyer, verbose_name=_("lawyer"), on_delete=models.PROTECT, related_name="hirings"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("legal adviser hiring")
        verbose_name_plural = _("legal adviser hirings")
        ordering = ["-starts_on", "pk"]

    def __str__(self) -> str:
        return f"{self.unit}: {self.lawyer}"


class FirmInspection(models.Model):
    """An inspection of a law firm (不定期检查) and what was found."""

    class Result(models.TextChoices):
        COMPLIANT = "compliant", _("Compliant")
        ISSUES = "issues", _("Issues found")

    firm = models.ForeignKey(
        LawFirm, verbose_name=_("law firm"), on_delete=models.PROTECT, related_name="inspections"
    )
    inspected_on = models.DateField(_("inspected on"))
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    findings = models.TextField(_("findings"), max_length=4000, blank=True)

    class Meta:
        verbose_name = _("law-firm inspection")
        verbose_name_plural = _("law-firm inspections")
        ordering = ["-inspected_on", "pk"]

    def __str__(self) -> str:
        return f"{self.firm} {self.inspected_on}"


class AnnualAssessment(models.Model):
    """The annual assessment (年度考核) of a firm."""

    class Result(models.TextChoices):
        PASS = "pass", _("Passed")
        BASIC = "basic", _("Basically passed")
        FAIL = "fail", _("Failed")

    firm = models.ForeignKey(
        LawFirm, verbose_name=_("law firm"), on_delete=models.PROTECT, related_name="assessments"
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(MIN_YEAR), MaxValueValidator(MAX_YEAR)]
    )
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    notes = models.TextField(_("notes"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("annual assessment")
        verbose_name_plural = _("annual assessments")
        ordering = ["-year", "firm"]
        constraints = [models.UniqueConstraint(fields=["firm", "year"], name="business_assessment_once")]

    def __str__(self) -> str:
        return f"{self.firm} {self.year}"


class Expert(models.Model):
    """A member of an expert pool (海事海商专家库, 产业链法律服务团…)."""

    class Pool(models.TextChoices):
        MARITIME = "maritime", _("Maritime and commercial law")
        INDUSTRY = "industry", _("Industry-chain legal service team")
        TASKFORCE = "taskforce", _("City task-force legal service team")

    pool = models.CharField(_("pool"), max_length=12, choices=Pool.choices)
    name = models.CharField(_("name"), max_length=50)
    organisation = models.CharField(_("organisation"), max_length=100)
    field = models.CharField(_("field of expertise"), max_length=100)
    phone = models.CharField(_("phone number"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("expert")
        verbose_name_plural = _("experts")
        ordering = ["pool", "name", "pk"]

    def __str__(self) -> str:
        return self.name


class EnterpriseVisit(models.Model):
    """A lawyers' service visit to a park enterprise (律师进企业) and its outcome."""

    class Service(models.TextChoices):
        PROJECT = "project", _("Project legal support")
        POLICY = "policy", _("Policy briefing")
        REVIEW = "review", _("Legal document review")
        LABOUR = "labour", _("Labour dispute")
        OTHER = "other", _("Other service")

    class Outcome(models.TextChoices):
        RESOLVED = "resolved", _("Resolved on the spot")
        FOLLOW_UP = "follow_up", _("Follow-up needed")
        REFERRED = "referred", _("Referred elsewhere")

    enterprise = models.ForeignKey(
        Unit, verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="+"
    )
    firm = models.ForeignKey(
        LawFirm, verbose_name=_("law firm"), on_delete=models.PROTECT, related_name="visits"
    )
    visited_on = models.DateField(_("visited on"))
    service = models.CharField(_("service"), max_length=10, choices=Service.choices)
    issues = models.TextField(_("issues raised"), max_length=2000)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    online = models.BooleanField(_("online"), default=False)

    class Meta:
        verbose_name = _("enterprise service visit")
        verbose_name_plural = _("enterprise service visits")
        ordering = ["-visited_on", "pk"]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.visited_on}"


class CertificateRequirement(models.Model):
    """A certificate a government service asks for (无证明办事 review): kept, cancelled or replaced
    by notification and commitment (告知承诺), with the legal basis and the progress."""

    class Decision(models.TextChoices):
        PENDING = "pending", _("Under review")
        KEPT = "kept", _("Kept")
        CANCELLED = "cancelled", _("Cancelled")
        COMMITMENT = "commitment", _("Replaced by notification and commitment")

    class Progress(models.TextChoices):
        REVIEWING = "reviewing", _("Reviewing")
        DECIDED = "decided", _("Decided")
        IMPLEMENTED = "implemented", _("Implemented")

    unit = models.ForeignKey(Unit, verbose_name=_("department"), on_delete=models.PROTECT, related_name="+")
    service_item = models.CharField(_("government service item"), max_length=200)
    certificate = models.CharField(_("certificate required"), max_length=200)
    decision = models.CharField(
        _("decision"), max_length=12, choices=Decision.choices, default=Decision.PENDING
    )
    legal_basis = models.TextField(_("legal basis"), max_length=2000, blank=True)
    progress = models.CharField(
        _("progress"), max_length=12, choices=Progress.choices, default=Progress.REVIEWING
    )
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    notes = models.TextField(_("notes"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("certificate requirement")
        verbose_name_plural = _("certificate requirements")
        ordering = ["unit", "service_item", "pk"]

    def __str__(self) -> str:
        return f"{self.service_item}: {self.certificate}"
