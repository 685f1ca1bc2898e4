"""Dispute mediation (矛盾纠纷化解): the one-stop centres, mediators and mediation bodies, the dispute
ledger with its sessions and agreements, the expert pool ordered on demand (点单式), and the rule
table from which mediators' credit points, towns' assessment deductions and mediation subsidies
are computed.

Parties are kept to what mediation needs (a name and a role; no identity numbers); every read of
the dispute ledger is audited.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from backend.bureau.models import Unit

FULL_TIME_TARGET_PERCENT = 50


class DisputeKind(models.TextChoices):
    NEIGHBOUR = "neighbour", _("Neighbours")
    FAMILY = "family", _("Marriage and family")
    PROPERTY = "property", _("Housing and property management")
    LABOUR = "labour", _("Labour and wages")
    TRAFFIC = "traffic", _("Traffic accident")
    MEDICAL = "medical", _("Medical dispute")
    FISHERY = "fishery", _("Fishery and sea")
    CONTRACT = "contract", _("Contracts and debts")
    LAND = "land", _("Land and forest")
    OTHER = "other", _("Other")


class MediationCentre(models.Model):
    """A one-stop mediation centre (一站式矛盾纠纷调解中心) of the city or of a town."""

    class Level(models.TextChoices):
        CITY = "city", _("City")
        TOWN = "town", _("Town or street")

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    level = models.CharField(_("level"), max_length=6, choices=Level.choices)
    name = models.CharField(_("name"), max_length=100)
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    meets_standard = models.BooleanField(
        _("meets the building standard"), default=False, help_text=_("场地、功能、入驻部门和人员达标")
    )
    resident_bodies = models.CharField(_("bodies stationed in the centre"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("mediation centre")
        verbose_name_plural = _("mediation centres")
        ordering = ["level", "unit_id", "pk"]

    def __str__(self) -> str:
        return self.name


class Mediator(models.Model):
    """A people's mediator (人民调解员), full- or part-time; experts form the city's pool."""

    class Background(models.TextChoices):
        POLICE = "police", _("Police or court officer")
        LAWYER = "lawyer", _("Lawyer")
        LEGAL_WORKER = "legal_worker", _("Grassroots legal service worker")
        DOCTOR = "doctor", _("Doctor")
        TEACHER = "teacher", _("Teacher")
        RETIRED = "retired", _("Retired official of a department")
        DEPUTY = "deputy", _("Deputy or committee member (两代表一委员)")
        ELDER = "elder", _("Respected elder (五老)")
        OTHER = "other", _("Other")

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("full name"), max_length=50)
    phone = models.CharField(_("phone number"), max_length=30, blank=True)
    full_time = models.BooleanField(_("full-time"), default=False)
    background = models.CharField(_("background"), max_length=14, choices=Background.choices)
    is_expert = models.BooleanField(_("in the expert pool"), default=False)
    expert_field = models.CharField(_("expert field"), max_length=10, choices=DisputeKind.choices, blank=True)
    brand_room = models.CharField(
        _("personal brand mediation room"), max_length=100, blank=True, help_text=_("个人品牌调解室")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("mediator")
        verbose_name_plural = _("mediators")
        ordering = ["unit_id", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                name="mediation_expert_has_field",
                condition=models.Q(is_expert=False) | ~models.Q(expert_field=""),
            )
        ]

    def __str__(self) -> str:
        return self.name


class MediationBody(models.Model):
    """A mediation committee, an industry mediation body (行业性专业性调解组织), or a brand room."""

    class Kind(models.TextChoices):
        COMMITTEE = "committee", _("People's mediation committee")
        INDUSTRY = "industry", _("Industry mediation body")
        BRAND_ROOM = "brand_room", _("Personal brand mediation room")

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    field = models.CharField(_("field"), max_length=10, choices=DisputeKind.choices, blank=True)
    lead = models.ForeignKey(
        Mediator, verbose_name=_("lead mediator"), null=True, blank=True, on_delete=models.SET_NULL
    )
    is_model = models.BooleanField(_("selected as a model"), default=False, help_text=_("选树优秀典型"))

    class Meta:
        verbose_name = _("mediation body")
        verbose_name_plural = _("mediation bodies")
        ordering = ["kind", "unit_id", "pk"]

    def __str__(self) -> str:
        return self.name


class Dispute(models.Model):
    """One dispute in the ledger (矛盾纠纷台账): who, what, the sessions, the outcome, the agreement."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        MEDIATING = "mediating", _("Being mediated")
        RESOLVED = "resolved", _("Resolved")
        FAILED = "failed", _("Mediation failed")
        ESCALATED = "escalated", _("Escalated beyond the town")

    CLOSED = frozenset({Status.RESOLVED, Status.FAILED, Status.ESCALATED})

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    received_on = models.DateField(_("received on"), db_index=True)
    kind = models.CharField(_("kind"), max_length=10, choices=DisputeKind.choices)
    summary = models.TextField(_("summary"), max_length=4000)
    # [{"name": "…", "role": "applicant" | "respondent" | "other"}]: what mediation needs, no more.
    parties = models.JSONField(_("parties"), default=list)
    mediator = models.ForeignKey(
        Mediator,
        verbose_name=_("mediator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    body = models.ForeignKey(
        MediationBody,
        verbose_name=_("mediation body"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED)
    outcome = models.TextField(_("outcome"), max_length=4000, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True, db_index=True)
    agreement = models.FileField(_("mediation agreement"), upload_to="mediation/agreements/%Y/%m", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        ordering = ["-received_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.received_on} {self.get_kind_display()}"


class DisputeSession(models.Model):
    """One mediation session of a dispute."""

    dispute = models.ForeignKey(
        Dispute, verbose_name=_("dispute"), on_delete=models.CASCADE, related_name="sessions"
    )
    held_on = models.DateField(_("date"))
    mediator = models.ForeignKey(
        Mediator,
        verbose_name=_("mediator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    notes = models.TextField(_("notes"), max_length=4000, blank=True)

    class Meta:
        verbose_name = _("mediation session")
        verbose_name_plural = _("mediation sessions")
        ordering = ["held_on", "pk"]

    def __str__(self) -> str:
        return f"{self.held_on} · {self.dispute}"


class ExpertRequest(models.Model):
    """A town's order for an expert from the city's pool (点单式调解) for one dispute."""

    class Status(models.TextChoices):
        ASSIGNED = "assigned", _("Expert assigned")
        DONE = "done", _("Done")
        UNAVAILABLE = "unavailable", _("No expert available")

    dispute = models.ForeignKey(
        Dispute, verbose_name=_("dispute"), on_delete=models.PROTECT, related_name="expert_requests"
    )
    field = models.CharField(_("expert field"), max_length=10, choices=DisputeKind.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    expert = models.ForeignKey(
        Mediator,
        verbose_name=_("expert"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    outcome = models.TextField(_("outcome"), max_length=4000, blank=True)
    resolved = models.BooleanField(_("dispute resolved"), null=True, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("expert request")
        verbose_name_plural = _("expert requests")
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_field_display()} · {self.dispute}"


class CreditRule(models.Model):
    """One row of the rule table (信用积分 / 考核扣分 / 调解补贴): for a kind of dispute (or any) and an
    outcome, the mediator's points, the subsidy, and the town's assessment deduction."""

    class Outcome(models.TextChoices):
        RESOLVED = "resolved", _("Resolved")
        FAILED = "failed", _("Mediation failed")
        ESCALATED = "escalated", _("Escalated beyond the town")

    kind = models.CharField(
        _("kind of dispute"),
        max_length=10,
        choices=DisputeKind.choices,
        blank=True,
        help_text=_("empty: any kind"),
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    points = models.DecimalField(
        _("credit points"),
        max_digits=6,
        decimal_places=1,
        validators=[MinValueValidator(-100), MaxValueValidator(100)],
    )
    subsidy = models.DecimalField(
        _("subsidy (yuan)"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(10000)],
    )
    deduction = models.DecimalField(
        _("assessment deduction"),
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    class Meta:
        verbose_name = _("credit rule")
        verbose_name_plural = _("credit rules")
        ordering = ["kind", "outcome"]
        constraints = [models.UniqueConstraint(fields=["kind", "outcome"], name="mediation_credit_rule_once")]

    def __str__(self) -> str:
        return f"{self.get_kind_display() or '*'} · {self.get_outcome_display()}"
