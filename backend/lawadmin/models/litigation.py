"""Administrative litigation (行政诉讼) reported by the departments and towns that are sued."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _

from backend.bureau.models import Unit

# A unit reports a case within this many days of being served the complaint (报备时限).
REPORT_DEADLINE_DAYS = 5


class LitigationCase(models.Model):
    """A case in which a unit is the defendant: court, stage, outcome; key cases flagged."""

    class Stage(models.TextChoices):
        FIRST = "first", _("First instance")
        SECOND = "second", _("Second instance")
        RETRIAL = "retrial", _("Retrial")
        CLOSED = "closed", _("Closed")

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Pending")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")
        WITHDRAWN = "withdrawn", _("Withdrawn by the plaintiff")
        SETTLED = "settled", _("Settled by mediation")

    DECIDED = frozenset({Outcome.WON, Outcome.LOST})

    unit = models.ForeignKey(
        Unit, verbose_name=_("defendant unit"), on_delete=models.PROTECT, related_name="+"
    )
    case_number = models.CharField(_("case number"), max_length=60, unique=True)
    court = models.CharField(_("court"), max_length=100)
    cause = models.CharField(_("cause of action"), max_length=200)
    plaintiff = models.CharField(_("plaintiff"), max_length=100)
    served_on = models.DateField(_("complaint served on"))
    reported_on = models.DateField(_("reported on"), db_index=True)
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices, default=Stage.FIRST)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    is_key = models.BooleanField(_("key case"), default=False)
    key_reason = models.CharField(_("why it is a key case"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), max_length=4000, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("administrative litigation case")
        verbose_name_plural = _("administrative litigation cases")
        ordering = ["-served_on", "pk"]

    def __str__(self) -> str:
        return self.case_number

    @property
    def report_due(self) -> dt.date:
        return self.served_on + dt.timedelta(days=REPORT_DEADLINE_DAYS)

    @property
    def reported_late(self) -> bool:
        return self.reported_on > self.report_due
