"""A reviewer's conclusion on one screened person: free text, and optionally another band with its
reason (an override, as ORAS allows: the score stays as computed, the final band is the reviewer's)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.screening.models import ScreeningResult
from backend.screening.rules import Band

MAX_TEXT = 2000


def review_result(
    result: ScreeningResult, user: User, conclusion: str, override_band: str = "", override_reason: str = ""
) -> ScreeningResult:
    conclusion, override_reason = conclusion.strip(), override_reason.strip()
    errors: dict[str, list[str]] = {}
    if not conclusion:
        errors["conclusion"] = [_("Write the reviewer's conclusion.")]
    if override_band and override_band not in (Band.LOW, Band.MEDIUM, Band.HIGH):
        errors["override_band"] = [_("Choose low, medium or high.")]
    if override_band and override_band != result.band and not override_reason:
        errors["override_reason"] = [_("Give the reason for setting another band.")]
    if errors:
        raise ValidationError(errors)
    result.conclusion = conclusion
    result.override_band = "" if override_band == result.band else override_band
    result.override_reason = override_reason if result.override_band else ""
    result.reviewed_by = user
    result.reviewed_at = timezone.now()
    result.save(
        update_fields=["conclusion", "override_band", "override_reason", "reviewed_by", "reviewed_at"]
    )
    return result
