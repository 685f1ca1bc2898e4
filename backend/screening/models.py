"""Quarterly risk screening (季度风险排查): the rule tables, the runs, their chunks and results.

A ``Screening`` is one run over one quarter for one office or the whole county. Its people are
split into ``ScreeningChunk``s (id ranges of one kind of person) when it starts; workers take
chunks with ``SELECT … FOR UPDATE SKIP LOCKED`` and score a chunk in one transaction that also
marks it done, so a worker killed in the middle leaves its chunk pending (its transaction rolls
back) and every person is scored exactly once (``ScreeningResult`` is unique per run and person).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import Office
from backend.screening.rules import Band, PersonKind, rule_problems


class RuleTable(models.Model):
    """A version of the scoring rules (factors, weights, cut points, bands). Never edited once used:
    a change is a new version, and every result records the version that scored it."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    rules = models.JSONField(_("rules"))
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(
        _("in use"), default=True, help_text=_("new screenings use the highest active version")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("risk rule table")
        verbose_name_plural = _("risk rule tables")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version} {self.name}"

    def clean(self) -> None:
        problems = rule_problems(self.rules)
        if problems:
            raise ValidationError({"rules": problems})


class Screening(models.Model):
    """One screening run over a quarter, for one office or (``office`` empty) every office."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        FINISHED = "finished", _("finished")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("quarterly schedule")
        STAFF = "staff", _("started by staff")

    quarter = models.CharField(_("quarter"), max_length=6, help_text=_("e.g. 2026Q4"))
    window_start = models.DateTimeField(_("screened from"))
    window_end = models.DateTimeField(_("screened until"))
    office = models.ForeignKey(
        Office,
        verbose_name=_("office"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("empty: every office"),
    )
    rule_table = models.ForeignKey(
        RuleTable, verbose_name=_("rule table"), on_delete=models.PROTECT, related_name="screenings"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    trigger = models.CharField(_("started by"), max_length=10, choices=Trigger.choices)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    total = models.PositiveIntegerField(_("people to screen"), default=0)
    done = models.PositiveIntegerField(_("people screened"), default=0)
    chunks_total = models.PositiveIntegerField(_("chunks"), default=0)
    chunks_done = models.PositiveIntegerField(_("chunks done"), default=0)
    summary = models.JSONField(_("summary"), default=dict, blank=True)

    class Meta:
        verbose_name = _("risk screening")
        verbose_name_plural = _("risk screenings")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.quarter} #{self.pk}"

    @property
    def progress(self) -> float:
        return 1.0 if self.status == self.Status.FINISHED else (self.done / self.total if self.total else 0.0)


class ScreeningChunk(models.Model):
    """Ids ``first_id``..``last_id`` of one kind of person of a run, scored in one transaction."""

    screening = models.ForeignKey(
        Screening, verbose_name=_("risk screening"), on_delete=models.CASCADE, related_name="chunks"
    )
    person_kind = models.CharField(_("kind of person"), max_length=10, choices=PersonKind.choices)
    first_id = models.BigIntegerField(_("first id"))
    last_id = models.BigIntegerField(_("last id"))
    size = models.PositiveIntegerField(_("people"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("screening chunk")
        verbose_name_plural = _("screening chunks")
        ordering = ["screening_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["screening", "person_kind", "first_id"], name="chunk_once"),
        ]
        indexes = [
            models.Index(
                fields=["screening", "id"],
                name="chunk_pending",
                condition=models.Q(done_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.screening_id}:{self.person_kind}:{self.first_id}-{self.last_id}"


class ScreeningResult(models.Model):
    """One person's score in one run, with the factors behind it and the reviewer's conclusion."""

    Band = Band

    screening = models.ForeignKey(
        Screening, verbose_name=_("risk screening"), on_delete=models.CASCADE, related_name="results"
    )
    person_kind = models.CharField(_("kind of person"), max_length=10, choices=PersonKind.choices)
    person_id = models.BigIntegerField(_("person id"))
    office = models.ForeignKey(Office, verbose_name=_("office"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("full name"), max_length=50)
    rule_version = models.PositiveIntegerField(_("rule table version"))
    score = models.FloatField(_("score"))
    band = models.CharField(_("band"), max_length=10, choices=Band.choices)
    missing = models.PositiveSmallIntegerField(_("factors without data"))
    factors = models.JSONField(_("factors"))
    # The factors that count or lack data, in a line (``code=value:points:weight``, ``code=-``):
    # what the ledger prints, without reading and decoding every factor of 100,000 people.
    factor_summary = models.TextField(_("factors in short"), blank=True, default="")
    previous_score = models.FloatField(_("score last quarter"), null=True, blank=True)
    previous_band = models.CharField(_("band last quarter"), max_length=10, choices=Band.choices, blank=True)
    needs_review = models.BooleanField(_("to review"), default=False)
    review_reasons = models.JSONField(_("why to review"), default=list, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    conclusion = models.TextField(_("reviewer's conclusion"), blank=True)
    override_band = models.CharField(
        _("band set by the reviewer"),
        max_length=10,
        blank=True,
        choices=[(b.value, b.label) for b in (Band.LOW, Band.MEDIUM, Band.HIGH)],
    )
    override_reason = models.TextField(_("reason for the override"), blank=True)

    class Meta:
        verbose_name = _("screening result")
        verbose_name_plural = _("screening results")
        ordering = ["screening_id", "-score", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["screening", "person_kind", "person_id"], name="screened_once_per_run"
            ),
        ]
        indexes = [
            models.Index(fields=["screening", "office", "id"], name="result_run_office"),
            models.Index(fields=["person_kind", "person_id", "screening"], name="result_person"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.score:g} ({self.band})"

    @property
    def change(self) -> float | None:
        return None if self.previous_score is None else self.score - self.previous_score

    @property
    def final_band(self) -> str:
        return self.override_band or self.band
