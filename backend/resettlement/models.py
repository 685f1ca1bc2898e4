"""Resettlement of released persons (刑满释放人员衔接安置): the person is supervision's
``ReleasedPerson``; this module adds what happens around them.

- ``HandoverStep``: must receive, must deliver (必接必送) for key persons, four steps in order
  (notice, pickup planned, met at the gate, delivered home), each with a deadline.
- ``ResettlementAlert``: a step past its deadline, for the console (this module's own alerts:
  monitoring's alerts name a subject under supervision, never a released person).
- ``AssistanceTeam`` / ``TeamMember`` / ``Visit``: the assistance team (帮教小组), its five-year
  period and the visits it makes.
- ``SafetyScreening``: the quarterly safety-hazard screening (安全隐患排查) of one person.

Nothing here tracks a released person's location: they carry no enrolled phone unless they
consent, and none of these records asks for one.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import Office
from backend.supervision.models import ReleasedPerson

ASSISTANCE_YEARS = 5


class Step(models.TextChoices):
    NOTICE = "notice", _("release notice received (释放通知)")
    PICKUP_PLANNED = "planned", _("pickup planned (接送计划)")
    MET_AT_GATE = "met", _("met at the prison gate (狱门接回)")
    DELIVERED_HOME = "delivered", _("delivered home (送达安置地)")


STEP_ORDER = [Step.NOTICE, Step.PICKUP_PLANNED, Step.MET_AT_GATE, Step.DELIVERED_HOME]


class HandoverStep(models.Model):
    """One step of a key person's must-receive-must-deliver handover, with its deadline."""

    released_person = models.ForeignKey(
        ReleasedPerson,
        verbose_name=_("released person"),
        on_delete=models.CASCADE,
        related_name="handover_steps",
    )
    step = models.CharField(_("step"), max_length=10, choices=Step.choices)
    deadline = models.DateTimeField(_("deadline"), db_index=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    people = models.CharField(_("who (staff, family, police)"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("handover step")
        verbose_name_plural = _("handover steps")
        ordering = ["released_person_id", "deadline", "id"]
        constraints = [models.UniqueConstraint(fields=["released_person", "step"], name="handover_step_once")]

    def __str__(self) -> str:
        return f"{self.released_person} · {self.get_step_display()}"


class ResettlementAlert(models.Model):
    """A resettlement alert (安置帮教预警) staff must see: a handover step missed its deadline."""

    class Kind(models.TextChoices):
        STEP_MISSED = "step_missed", _("handover step missed its deadline")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        RESOLVED = "resolved", _("resolved")

    dedupe_key = models.CharField(_("dedupe key"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    released_person = models.ForeignKey(
        ReleasedPerson, verbose_name=_("released person"), on_delete=models.PROTECT, related_name="+"
    )
    office = models.ForeignKey(Office, verbose_name=_("office"), on_delete=models.PROTECT, related_name="+")
    step = models.CharField(_("step"), max_length=10, choices=Step.choices, blank=True)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    raised_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    console_seq = models.BigIntegerField(_("console event number"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution_note = models.TextField(_("resolution note"), blank=True)

    class Meta:
        verbose_name = _("resettlement alert")
        verbose_name_plural = _("resettlement alerts")
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["office", "status"], name="resettle_alert_office")]

    def __str__(self) -> str:
        return f"{self.released_person} · {self.get_kind_display()}"


class AssistanceTeam(models.Model):
    """The assistance team (帮教小组) of one released person, for its five-year period."""

    released_person = models.OneToOneField(
        ReleasedPerson,
        verbose_name=_("released person"),
        on_delete=models.CASCADE,
        related_name="assistance_team",
    )
    period_start = models.DateField(_("assistance starts"))
    period_end = models.DateField(_("assistance ends"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("assistance team")
        verbose_name_plural = _("assistance teams")
        ordering = ["-period_start", "id"]
        constraints = [
            models.CheckConstraint(
                name="assistance_period_is_ordered",
                condition=models.Q(period_end__gt=models.F("period_start")),
            ),
        ]

    def __str__(self) -> str:
        return str(self.released_person)


class TeamMember(models.Model):
    """One named member of an assistance team, in one role."""

    class Role(models.TextChoices):
        VILLAGE_CADRE = "cadre", _("village or community cadre (村居干部)")
        FAMILY = "family", _("family member (家庭成员)")
        POLICE = "police", _("community police (社区民警)")
        VOLUNTEER = "volunteer", _("volunteer (社会志愿者)")
        OFFICER = "officer", _("justice office staff (司法所工作人员)")

    team = models.ForeignKey(
        AssistanceTeam, verbose_name=_("assistance team"), on_delete=models.CASCADE, related_name="members"
    )
    name = models.CharField(_("full name"), max_length=50)
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    phone = models.CharField(_("phone number"), max_length=30, blank=True)
    organisation = models.CharField(_("organisation"), max_length=100, blank=True)
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["team_id", "role", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"


class Visit(models.Model):
    """A visit (走访帮教) to a released person: when, where, by whom, what was found."""

    released_person = models.ForeignKey(
        ReleasedPerson, verbose_name=_("released person"), on_delete=models.PROTECT, related_name="visits"
    )
    visited_on = models.DateField(_("visited on"), db_index=True)
    place = models.CharField(_("place"), max_length=200)
    visitors = models.CharField(_("visitors"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_on", "-id"]

    def __str__(self) -> str:
        return f"{self.released_person} @ {self.visited_on}"


class SafetyScreening(models.Model):
    """The quarterly safety-hazard screening (安全隐患排查) of one released person."""

    class Hazard(models.TextChoices):
        NONE = "none", _("no hazard found")
        LOW = "low", _("low")
        MEDIUM = "medium", _("medium")
        HIGH = "high", _("high")

    released_person = models.ForeignKey(
        ReleasedPerson, verbose_name=_("released person"), on_delete=models.PROTECT, related_name="screenings"
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2099)]
    )
    quarter = models.PositiveSmallIntegerField(
        _("quarter"), validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    hazard = models.CharField(_("hazard level"), max_length=10, choices=Hazard.choices)
    incidents = models.PositiveSmallIntegerField(
        _("incidents this quarter (disputes, offences)"), default=0, validators=[MaxValueValidator(999)]
    )
    findings = models.TextField(_("findings"), blank=True)
    screened_on = models.DateField(_("screened on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("safety screening")
        verbose_name_plural = _("safety screenings")
        ordering = ["-year", "-quarter", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["released_person", "year", "quarter"], name="screening_once_a_quarter"
            )
        ]

    def __str__(self) -> str:
        return f"{self.released_person} {self.year}Q{self.quarter}"
