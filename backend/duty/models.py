"""The duty roster (值班表) of each office and of the bureau, and the escalation policy of alerts."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import Office
from backend.core.vocabulary import AlertSeverity

# A week: past that an escalation is no longer one.
MAX_MINUTES = 7 * 24 * 60
# The longest single shift the roster takes.
MAX_SHIFT_DAYS = 31


class DutyShift(models.Model):
    """One staff member on duty for an office (or for the bureau) from ``starts_at`` to ``ends_at``.

    A critical alert of the office wakes the people on duty at that moment instead of every
    officer; the bureau's shifts (``office`` is the bureau) receive the second escalation step.
    """

    office = models.ForeignKey(
        Office, verbose_name=_("office or bureau"), on_delete=models.PROTECT, related_name="duty_shifts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member on duty"),
        on_delete=models.CASCADE,
        related_name="duty_shifts",
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty roster")
        ordering = ["office", "starts_at", "pk"]
        indexes = [models.Index(fields=["office", "ends_at", "starts_at"], name="duty_shift_office_time")]
        constraints = [
            models.CheckConstraint(
                name="duty_shift_ends_after_start", condition=models.Q(ends_at__gt=models.F("starts_at"))
            )
        ]

    def __str__(self) -> str:
        return f"{self.office} · {self.user} · {self.starts_at:%Y-%m-%d %H:%M}"


class EscalationPolicy(models.Model):
    """How long an alert of one severity may stay unacknowledged before each escalation step.

    Step 1 goes to the head of the alert's office, step 2 to the bureau's staff on duty; both
    are counted from when the alert was raised. No row (or inactive) for a severity: no escalation.
    """

    severity = models.CharField(_("severity"), max_length=10, choices=AlertSeverity.choices, unique=True)
    office_head_after_minutes = models.PositiveIntegerField(
        _("to the office head after (minutes)"),
        help_text=_("Minutes after the alert was raised without acknowledgement."),
        validators=[MinValueValidator(1), MaxValueValidator(MAX_MINUTES)],
    )
    bureau_after_minutes = models.PositiveIntegerField(
        _("to the bureau on duty after (minutes)"),
        null=True,
        blank=True,
        help_text=_("Empty: never escalated to the bureau."),
        validators=[MinValueValidator(1), MaxValueValidator(MAX_MINUTES)],
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("escalation policy")
        verbose_name_plural = _("escalation policies")
        ordering = ["severity"]
        constraints = [
            models.CheckConstraint(
                name="escalation_bureau_after_office_head",
                condition=models.Q(bureau_after_minutes__isnull=True)
                | models.Q(bureau_after_minutes__gt=models.F("office_head_after_minutes")),
            )
        ]

    def __str__(self) -> str:
        return str(self.get_severity_display())
