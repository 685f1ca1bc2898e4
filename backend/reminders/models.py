"""Reminders for subjects' phones, staff push tokens, and the log of every push attempt.

A ``Reminder`` travels two ways: as a push (FCM or another transport) and, because pushes do not
reach every phone in mainland China, in the answer to every check-in upload until the phone
acknowledges it (the fallback channel). ``DeliveryAttempt`` records each push attempt to a
subject's phone or to a staff member's phone, with only a prefix of the push token.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from backend.supervision.models import Device, Subject

# How much of a push token the log keeps: enough to tell tokens apart, too little to push with.
TOKEN_PREFIX_LENGTH = 8


def token_prefix(token: str) -> str:
    return token[:TOKEN_PREFIX_LENGTH]


class Reminder(models.Model):
    """A message for one subject's phone, scheduled by rule or by another module.

    ``dedupe_key`` names the subject, kind and period (``monthly_report:12:2026-11``), so a job
    that runs twice creates the reminder once. ``due_at`` is when it should reach the phone;
    ``send_at`` is the same moved past the quiet hours for a non-urgent reminder. It is pending
    (pushed, and returned in check-in answers) from ``send_at`` until acknowledged or expired.
    The ``push_*`` fields track the push, which is claimed with a conditional UPDATE so that
    two workers never send the same reminder.
    """

    class Kind(models.TextChoices):
        CHECKIN = "checkin", _("check-in prompt")
        MONTHLY_REPORT = "monthly_report", _("monthly report due")
        EDUCATION = "education", _("education session")
        LEAVE_RETURN = "leave_return", _("return from leave due")
        OTHER = "other", _("other")

    class PushStatus(models.TextChoices):
        PENDING = "pending", _("waiting to be sent")
        SENDING = "sending", _("being sent")
        RETRYING = "retrying", _("waiting to be retried")
        SENT = "sent", _("delivered to the push service")
        FAILED = "failed", _("push failed")
        NO_TOKEN = "no_token", _("no push token (check-in answers only)")
        SKIPPED = "skipped", _("not sent (acknowledged, expired or superseded)")

    subject = models.ForeignKey(
        Subject, verbose_name=_("subject"), on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, db_index=True)
    dedupe_key = models.CharField(_("dedupe key"), max_length=120)
    title = models.CharField(_("title"), max_length=100)
    body = models.CharField(_("text"), max_length=500)
    data = models.JSONField(_("data for the app"), default=dict, blank=True)
    urgent = models.BooleanField(_("urgent (ignores quiet hours)"), default=False)
    due_at = models.DateTimeField(_("due at"))
    send_at = models.DateTimeField(_("send at"), db_index=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_device = models.ForeignKey(
        Device,
        verbose_name=_("acknowledged on phone"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    push_status = models.CharField(
        _("push status"), max_length=10, choices=PushStatus.choices, default=PushStatus.PENDING
    )
    push_attempts = models.PositiveSmallIntegerField(_("push attempts"), default=0)
    push_next_at = models.DateTimeField(
        _("next push action at"),
        null=True,
        blank=True,
        help_text=_("when a retry is due, or when a claim by a worker lapses"),
    )
    push_finished_at = models.DateTimeField(_("push finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-send_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["subject", "dedupe_key"], name="reminder_once_per_key"),
        ]
        indexes = [
            models.Index(fields=["subject", "acknowledged_at", "send_at"], name="reminder_subject_pending"),
            models.Index(fields=["push_status", "send_at"], name="reminder_push_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.subject} · {self.title}"


class StaffPushToken(models.Model):
    """A push token of a staff member's phone or browser, used to wake them for critical alerts.

    A token belongs to one installation; when another staff member logs in on the same duty phone
    the token moves to them. ``forgotten_at`` is set when the push service says the token is dead.
    """

    # The phones' platforms, so the API has one platform enum for subjects' and staff phones.
    Platform = Device.Platform

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="push_tokens",
    )
    token = models.CharField(_("push token"), max_length=400, unique=True)
    platform = models.CharField(_("platform"), max_length=10, choices=Platform.choices)
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    forgotten_at = models.DateTimeField(_("forgotten at"), null=True, blank=True)
    forgotten_reason = models.CharField(_("why forgotten"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("staff push token")
        verbose_name_plural = _("staff push tokens")
        ordering = ["user_id", "-updated_at"]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_platform_display()} ({self.token_prefix}…)"

    @property
    def token_prefix(self) -> str:
        return token_prefix(self.token)


class DeliveryAttempt(models.Model):
    """One push attempt: a reminder to a subject's phone, or a critical alert to a staff member.

    ``subject`` is the person concerned in both cases, so a person's page shows the pushes to
    their phone and the pushes that woke staff about them. Only ``token_prefix`` is kept: the
    full token would let anyone with our push credentials message that phone.
    """

    class Recipient(models.TextChoices):
        SUBJECT = "subject", _("subject's phone")
        STAFF = "staff", _("staff member")

    class Result(models.TextChoices):
        OK = "ok", _("delivered")
        TEMPORARY = "temporary", _("temporary failure")
        PERMANENT = "permanent", _("permanent failure")

    reminder = models.ForeignKey(
        Reminder,
        verbose_name=_("reminder"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attempts",
    )
    alert = models.ForeignKey(
        "monitoring.Alert",
        verbose_name=_("alert"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    subject = models.ForeignKey(
        Subject, verbose_name=_("subject"), on_delete=models.CASCADE, related_name="+"
    )
    recipient = models.CharField(_("recipient"), max_length=10, choices=Recipient.choices)
    device = models.ForeignKey(
        Device, verbose_name=_("phone"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    staff_token = models.ForeignKey(
        StaffPushToken,
        verbose_name=_("staff push token"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attempts",
    )
    token_prefix = models.CharField(_("token prefix"), max_length=TOKEN_PREFIX_LENGTH)
    transport = models.CharField(_("transport"), max_length=20)
    attempt = models.PositiveSmallIntegerField(_("attempt"))
    at = models.DateTimeField(_("at"), db_index=True)
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    error_code = models.CharField(_("error code"), max_length=60, blank=True)
    error_message = models.CharField(_("error message"), max_length=300, blank=True)
    message_id = models.CharField(_("message id"), max_length=200, blank=True)
    token_forgotten = models.BooleanField(_("token forgotten"), default=False)
    next_retry_at = models.DateTimeField(_("next retry at"), null=True, blank=True)

    class Meta:
        verbose_name = _("push delivery attempt")
        verbose_name_plural = _("push delivery attempts")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["subject", "-at"], name="delivery_subject_at")]
        constraints = [
            models.CheckConstraint(
                name="delivery_is_reminder_or_alert",
                condition=(
                    models.Q(reminder__isnull=False, alert__isnull=True)
                    | models.Q(reminder__isnull=True, alert__isnull=False)
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.transport} #{self.attempt} {self.result} ({self.token_prefix}…)"
