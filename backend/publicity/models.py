"""Legal publicity (普法): the units' monthly activity returns, volunteers, the villagers trained as
"legal-aware" (法律明白人) and rule-of-law leaders (法治带头人), and the demonstration-village
applications (民主法治示范村).

Activities are a unit's return (``bureau.UnitReturn``): the unit's reporter enters them, the bureau
accepts them; only accepted activities count towards the year's target and the quarterly ranking.
"""

from __future__ import annotations

from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from backend.bureau.models import Unit, UnitReturn

# The plan's numbers (work plan 2023, part 2): 5,000 events a year, 20 % more than last year.
EVENTS_TARGET = 5000
GROWTH_TARGET_PERCENT = 20
# A crowd at a market-day campaign is large; a number beyond this is a typing error.
MAX_AUDIENCE = 1_000_000


class Activity(UnitReturn):
    """One publicity event a unit held (普法活动), reported in its monthly return."""

    class Kind(models.TextChoices):
        LECTURE = "lecture", _("Lecture or class")
        CAMPAIGN = "campaign", _("Street or market campaign")
        BROADCAST = "broadcast", _("Village loudspeaker broadcast")
        MEDIA = "media", _("Television, video or social media")
        CASE_TALK = "case_talk", _("A lawyer explains a case")
        CULTURE = "culture", _("Rule-of-law culture event")
        OTHER = "other", _("Other")

    held_on = models.DateField(_("date"), db_index=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    topic = models.CharField(_("topic"), max_length=200)
    audience = models.PositiveIntegerField(
        _("audience size"), validators=[MinValueValidator(0), MaxValueValidator(MAX_AUDIENCE)]
    )
    place = models.CharField(_("place"), max_length=200)
    volunteers: models.ManyToManyField[Volunteer, Any] = models.ManyToManyField(
        "Volunteer", verbose_name=_("volunteers who took part"), blank=True, related_name="activities"
    )

    class Meta:
        verbose_name = _("publicity activity")
        verbose_name_plural = _("publicity activities")
        ordering = ["-held_on", "-pk"]
        indexes = [models.Index(fields=["status", "held_on"], name="publicity_act_status_day")]

    def __str__(self) -> str:
        return f"{self.held_on} {self.topic}"


class Volunteer(models.Model):
    """A publicity volunteer (普法志愿者): officials of departments, police, legal workers…"""

    class Background(models.TextChoices):
        DEPARTMENT = "department", _("Official of a department")
        POLICE = "police", _("Police or court officer")
        LEGAL = "legal", _("Lawyer or legal service worker")
        TEACHER = "teacher", _("Teacher")
        OTHER = "other", _("Other")

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("full name"), max_length=50)
    phone = models.CharField(_("phone number"), max_length=30, blank=True)
    background = models.CharField(_("background"), max_length=12, choices=Background.choices)
    joined_on = models.DateField(_("joined on"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("publicity volunteer")
        verbose_name_plural = _("publicity volunteers")
        ordering = ["unit_id", "name", "pk"]

    def __str__(self) -> str:
        return self.name


class TrainedVillager(models.Model):
    """A villager trained as "legal-aware" (法律明白人) or as a rule-of-law leader (法治带头人)."""

    class Kind(models.TextChoices):
        LEGAL_AWARE = "legal_aware", _("Legal-aware villager (法律明白人)")
        LEADER = "leader", _("Rule-of-law leader (法治带头人)")

    unit = models.ForeignKey(
        Unit, verbose_name=_("village or town"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("full name"), max_length=50)
    phone = models.CharField(_("phone number"), max_length=30, blank=True)
    trained_on = models.DateField(_("trained on"))
    hours = models.DecimalField(
        _("training hours"),
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(500)],
    )

    class Meta:
        verbose_name = _("trained villager")
        verbose_name_plural = _("trained villagers")
        ordering = ["unit_id", "kind", "name", "pk"]

    def __str__(self) -> str:
        return self.name


class DemonstrationVillage(models.Model):
    """An application of a village for the title 民主法治示范村（社区） and where it stands."""

    class Level(models.TextChoices):
        NATIONAL = "national", _("National")
        PROVINCIAL = "provincial", _("Provincial")
        CITY = "city", _("City")

    class Status(models.TextChoices):
        PREPARING = "preparing", _("Preparing")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Title awarded")
        REJECTED = "rejected", _("Not selected")

    unit = models.ForeignKey(Unit, verbose_name=_("village"), on_delete=models.PROTECT, related_name="+")
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    batch = models.CharField(_("batch"), max_length=40, blank=True, help_text=_("e.g. 第十批"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PREPARING)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("demonstration village application")
        verbose_name_plural = _("demonstration village applications")
        ordering = ["-year", "level", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "level", "year"], name="publicity_demo_village_once")
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.get_level_display()} {self.year}"
