"""Casework (社区矫正执法): leave (外出请假, 社区矫正法第27条), electronic positioning orders (电子定位,
第29条) and the curfew checks of a quiet phone.

Every record hangs off a subject and is scoped by the subject's office. Decisions keep who took
them and when; an order keeps each extension and its early end as history rows.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from backend.monitoring.models import Zone
from backend.supervision.models import Device, Subject

# The longest destination text, reason and note the forms take (one source for the API and admin).
MAX_DESTINATION = 200
MAX_REASON = 500
MAX_NOTE = 500


class LeaveRequest(models.Model):
    """A request to leave the county for a time (外出请假), made on the phone, decided by staff.

    While an approved leave runs, the county boundary does not apply to the person and the
    destination zone does (``destination_zone``: a circle of ``radius_m`` around the confirmed
    point, or a zone staff drew); ``services.leave`` makes both switch at the leave's start and end.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for a decision")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        REPORTED_BACK = "reported_back", _("reported back (销假)")

    class Approver(models.TextChoices):
        OFFICE_HEAD = "office_head", _("the office head (or the bureau)")
        BUREAU = "bureau", _("bureau staff or the bureau head")
        BUREAU_HEAD = "bureau_head", _("the bureau head")

    class PointSource(models.TextChoices):
        PHONE = "phone", _("sent by the phone")
        GEOCODER = "geocoder", _("looked up from the address")
        STAFF = "staff", _("set by staff")

    subject = models.ForeignKey(
        Subject, verbose_name=_("subject"), on_delete=models.PROTECT, related_name="leave_requests"
    )
    device = models.ForeignKey(
        Device,
        verbose_name=_("requested from phone"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    destination = models.CharField(_("destination"), max_length=MAX_DESTINATION)
    # WGS-84, converted on the way in from the coordinate system the phone or map used.
    destination_lat = models.FloatField(_("destination latitude"), null=True, blank=True)
    destination_lon = models.FloatField(_("destination longitude"), null=True, blank=True)
    point_source = models.CharField(
        _("destination point from"), max_length=10, choices=PointSource.choices, blank=True
    )
    radius_m = models.FloatField(_("destination radius (m)"), default=5000)
    # A zone staff drew instead of the circle (GeoJSON Polygon/MultiPolygon, WGS-84).
    destination_geometry = models.JSONField(_("drawn destination zone"), null=True, blank=True)
    reason = models.TextField(_("reason"), max_length=MAX_REASON)
    starts_at = models.DateTimeField(_("leaves at"))
    ends_at = models.DateTimeField(_("back by"))
    status = models.CharField(
        _("status"), max_length=14, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    approver = models.CharField(_("who must decide"), max_length=12, choices=Approver.choices)
    # Over 30 days, or more than 30 days of leave in 60: only the bureau head, and marked for review.
    flagged = models.BooleanField(_("flagged (long leave)"), default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True, max_length=MAX_NOTE)
    destination_zone = models.ForeignKey(
        Zone,
        verbose_name=_("destination zone"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reported_back_at = models.DateTimeField(_("reported back at"), null=True, blank=True)
    reported_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("report-back taken by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Set by the return check: seen in the county after the leave's end, or alerted as overdue.
    seen_back_at = models.DateTimeField(_("seen back in the county at"), null=True, blank=True)
    overdue_alerted_at = models.DateTimeField(_("overdue alert raised at"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)

    class Meta:
        verbose_name = _("leave request")
        verbose_name_plural = _("leave requests")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["subject", "status", "starts_at"], name="leave_subject_status"),
            models.Index(fields=["status", "ends_at"], name="leave_status_end"),
        ]
        constraints = [
            models.CheckConstraint(
                name="leave_period_is_ordered", condition=models.Q(ends_at__gt=models.F("starts_at"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {self.destination} ({self.starts_at:%Y-%m-%d})"

    @property
    def effective_end(self) -> dt.datetime:
        """When the leave stops applying: its end, or the report-back if that came first."""
        if self.reported_back_at is not None and self.reported_back_at < self.ends_at:
            return self.reported_back_at
        return self.ends_at


class PositioningOrder(models.Model):
    """A lawful, time-limited electronic positioning order (电子定位, 社区矫正法第29条).

    Only on one of the law's grounds, for at most three months at a time, approved by the bureau
    head; extended (again at most three months, with a new reason) or ended early. Under an
    active order the phone may be asked for continuous positioning; without one, only for the
    one fix per due time of information-based verification (信息化核查, 第26条).
    """

    class Ground(models.TextChoices):
        PROHIBITION_BREACH = "prohibition_breach", _("breached a prohibition order")
        LEFT_COUNTY = "left_county_without_approval", _("left the county without approval")
        REFUSED_REPORT = "refused_report_after_warning", _("refused to report after a warning")
        POLICE_PENALTY = "police_penalty", _("received a public-security penalty")
        REVOCATION_PENDING = "revocation_pending", _("revocation of the sentence proposed")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for the bureau head")
        ACTIVE = "active", _("in force")
        ENDED = "ended", _("ended early")
        EXPIRED = "expired", _("expired")

    subject = models.ForeignKey(
        Subject, verbose_name=_("subject"), on_delete=models.PROTECT, related_name="positioning_orders"
    )
    ground = models.CharField(_("ground"), max_length=30, choices=Ground.choices)
    reason = models.TextField(_("reason"), max_length=MAX_REASON)
    ends_on = models.DateField(_("ends on (last day)"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # In force from ``starts_at`` (the approval) to ``ends_at`` (the end of ``ends_on``, local
    # time, or the early end): the range that says which fixes were taken under it.
    starts_at = models.DateTimeField(_("in force from"), null=True, blank=True)
    ends_at = models.DateTimeField(_("in force until"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ended by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    end_reason = models.TextField(_("reason for the early end"), blank=True, max_length=MAX_REASON)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)

    class Meta:
        verbose_name = _("positioning order")
        verbose_name_plural = _("positioning orders")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["subject", "status", "starts_at"], name="order_subject_status")]

    def __str__(self) -> str:
        return f"{self.subject} · {self.get_ground_display()} → {self.ends_on}"


class PositioningOrderChange(models.Model):
    """One step in an order's life after its request: approval, extension, early end, expiry."""

    class Kind(models.TextChoices):
        APPROVED = "approved", _("approved")
        EXTENDED = "extended", _("extended")
        ENDED = "ended", _("ended early")
        EXPIRED = "expired", _("expired")

    order = models.ForeignKey(
        PositioningOrder, verbose_name=_("order"), on_delete=models.CASCADE, related_name="changes"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    reason = models.TextField(_("reason"), blank=True, max_length=MAX_REASON)
    previous_ends_on = models.DateField(_("previous last day"), null=True, blank=True)
    ends_on = models.DateField(_("last day"), null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("positioning order change")
        verbose_name_plural = _("positioning order changes")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} @ {self.at:%Y-%m-%d %H:%M}"


class CurfewCheck(models.Model):
    """The check made at one curfew window's start plus grace (one per person and window)."""

    class Status(models.TextChoices):
        COMPLIANT = "compliant", _("at home")
        NON_COMPLIANT = "non_compliant", _("away from home")
        ASKED = "asked", _("phone asked for a fix")
        NO_ANSWER = "no_answer", _("no answer")

    subject = models.ForeignKey(
        Subject, verbose_name=_("subject"), on_delete=models.CASCADE, related_name="curfew_checks"
    )
    zone = models.ForeignKey(Zone, verbose_name=_("curfew zone"), on_delete=models.CASCADE, related_name="+")
    window_start = models.DateTimeField(_("window opened at"))
    checked_at = models.DateTimeField(_("checked at"))
    status = models.CharField(_("status"), max_length=14, choices=Status.choices)
    reason = models.CharField(_("why"), max_length=40, blank=True)
    answer_due = models.DateTimeField(_("answer due by"), null=True, blank=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)

    class Meta:
        verbose_name = _("curfew check")
        verbose_name_plural = _("curfew checks")
        ordering = ["-window_start", "subject_id"]
        constraints = [
            models.UniqueConstraint(fields=["subject", "window_start"], name="curfew_check_once_per_window")
        ]
        indexes = [models.Index(fields=["status", "answer_due"], name="curfew_check_waiting")]

    def __str__(self) -> str:
        return f"{self.subject} @ {self.window_start:%Y-%m-%d %H:%M} {self.status}"
