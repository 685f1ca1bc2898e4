"""The alert vocabulary (预警): categories, kinds, severities, statuses and resolutions, declared once.

Each member has one label, an English source string translated to Chinese in ``backend/locale``.
Everything that shows an alert reads these classes: the ``Alert`` model's fields (and so the
API's choices, the published spec's enums and the admin's filters), the console's label tables
and the pushes that wake staff. They live here, in the bottom layer, because ``reminders`` (which
pushes) sits below ``monitoring`` (which stores alerts) and may not import it.

Adding a member: add it here with its label, then ``make messages`` (and translate it),
``makemigrations monitoring`` and ``make spec``. ``tests/backend/test_alert_vocabulary.py`` fails
until the new member reads right everywhere it is shown, in both languages.

A push is not a request: its text is rendered in Chinese whatever language is active
(``label_in``).
"""

from __future__ import annotations

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

# The language of texts that go to phones (pushes), whatever the staff interface speaks.
PUSH_LANGUAGE = "zh-hans"


class AlertCategory(models.TextChoices):
    POSITION = "position", _("position alert")
    RISK = "risk", _("risk warning")


class AlertKind(models.TextChoices):
    LEFT_ZONE = "left_zone", _("left an inclusion zone")
    ENTERED_ZONE = "entered_zone", _("entered a forbidden zone")
    CROSSED_ZONE = "crossed_zone", _("passed through a forbidden zone")
    APPROACHING = "approaching", _("approaching a forbidden zone")
    CURFEW = "curfew", _("away from home during curfew")
    MOCK_LOCATION = "mock_location", _("mock location")
    TELEPORT = "teleport", _("implausible jump in position")
    PERMISSION_OFF = "permission_off", _("location permission or GPS off")
    LOW_BATTERY = "low_battery", _("low battery")
    # Stage 1 of 防脱管: the phone missed its due check-in (plus the level's grace).
    OFFLINE = "offline", _("check-in overdue")
    # Stage 2: still silent past the level's threshold for the same due time (疑似脱管).
    LOST_CONTACT = "lost_contact", _("suspected loss of contact")
    # 漏管: in supervision with no active phone some days after supervision began.
    UNSUPERVISED = "unsupervised", _("not under supervision (no active phone)")
    # The supervision term has ended and nobody ended the supervision.
    TERM_ENDED = "term_ended", _("supervision term ended without termination")
    # Silence plus a push token the push service no longer knows.
    APP_REMOVED = "app_removed", _("app uninstalled (suspected)")
    # The curfew check asked the phone for a fix and none came within the grace.
    CURFEW_NO_ANSWER = "curfew_no_answer", _("no answer to the curfew check")
    # An approved leave has ended and the person neither reported back nor was seen in the county.
    LEAVE_OVERDUE = "leave_overdue", _("not back from leave")
    UNREACHABLE = "unreachable", _("push messages do not reach the phone")
    EVALUATION_FAILED = "evaluation_failed", _("fixes could not be evaluated")


class AlertSeverity(models.TextChoices):
    INFO = "info", _("info")
    WARNING = "warning", _("warning")
    CRITICAL = "critical", _("critical")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("new")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    RESOLVED = "resolved", _("resolved")


# In the order staff choose from them.
class AlertResolution(models.TextChoices):
    FALSE_ALARM = "false_alarm", _("false alarm")
    VERBAL_WARNING = "verbal_warning", _("verbal warning")
    REPRIMAND_PROPOSAL = "reprimand_proposal", _("reprimand (训诫) proposed")
    WARNING_PROPOSAL = "warning_proposal", _("warning (警告) proposed")
    ESCALATED = "escalated", _("escalated")
    OTHER = "other", _("other")


# Every alert vocabulary by the name the console's script reads it under.
ALERT_VOCABULARIES: dict[str, type[models.TextChoices]] = {
    "category": AlertCategory,
    "kind": AlertKind,
    "severity": AlertSeverity,
    "status": AlertStatus,
    "resolution": AlertResolution,
}


def labels(vocabulary: type[models.TextChoices]) -> dict[str, str]:
    """``{value: label}`` in the active language, in declaration order."""
    return {member.value: str(member.label) for member in vocabulary}


def label_in(language: str, member: models.TextChoices) -> str:
    """A member's label in ``language`` whatever language is active (pushes use ``PUSH_LANGUAGE``)."""
    with translation.override(language):
        return str(member.label)
