"""Zones, check-ins, the per-person evaluation state, alerts and the console event log.

Storage is shaped for volume: check-ins are append-only rows indexed by (subject, recorded_at)
and by received time, inserted in multi-row statements; the README describes how to partition
them by month on PostgreSQL. Alerts and console events are few and live forever.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import Office
from backend.core.vocabulary import AlertCategory, AlertKind, AlertResolution, AlertSeverity, AlertStatus
from backend.monitoring.checkin_input import MAX_PROVIDER_LENGTH
from backend.supervision.models import Device, Subject


class SamplingRegime(models.TextChoices):
    """How the phone takes fixes: one per due time (信息化核查, 社区矫正法第26条), or continuously,
    which only an active electronic positioning order (电子定位, 第29条) allows."""

    VERIFICATION = "verification", _("information-based verification (one fix per due time)")
    CONTINUOUS = "continuous", _("continuous positioning (under a positioning order)")


class Zone(models.Model):
    """An electronic fence (电子围栏): inclusion (must stay inside) or exclusion (must stay out).

    A zone applies to one subject, or (with no subject) to every subject of its office, or of the
    whole county when the office is the bureau. Geometry is GeoJSON in WGS-84; a circle is a Point
    with ``radius_m``. ``schedule`` is the ``geofence.Schedule`` JSON (weekly windows, exceptions).
    """

    class Kind(models.TextChoices):
        INCLUSION = "inclusion", _("inclusion (must stay inside)")
        EXCLUSION = "exclusion", _("exclusion (must stay out)")

    class Purpose(models.TextChoices):
        COUNTY = "county", _("county boundary")
        HOME = "home", _("home area")
        CURFEW = "curfew", _("curfew at home")
        EXCLUSION = "exclusion", _("forbidden place")
        OTHER = "other", _("other")

    office = models.ForeignKey(
        Office, verbose_name=_("office"), on_delete=models.PROTECT, related_name="zones"
    )
    subject = models.ForeignKey(
        Subject,
        verbose_name=_("subject"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="zones",
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices, default=Purpose.OTHER)
    geometry = models.JSONField(_("geometry (GeoJSON, WGS-84)"))
    radius_m = models.FloatField(_("radius (m)"), null=True, blank=True)
    schedule = models.JSONField(_("schedule"), null=True, blank=True)
    approach_buffer_m = models.FloatField(_("approach warning distance (m)"), default=0)
    confirm_fixes = models.PositiveSmallIntegerField(_("fixes to confirm a breach"), default=3)
    confirm_seconds = models.PositiveIntegerField(_("seconds to confirm a breach"), default=120)
    clear_fixes = models.PositiveSmallIntegerField(_("fixes to close a breach"), default=2)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("zone")
        verbose_name_plural = _("zones")
        ordering = ["office_id", "subject_id", "id"]
        indexes = [
            models.Index(fields=["subject", "is_active"], name="zone_subject_active"),
            models.Index(fields=["office", "is_active"], name="zone_office_active"),
        ]

    def __str__(self) -> str:
        return self.name


class CheckIn(models.Model):
    """One location fix sent by a phone (定位签到). Append-only; ``client_id`` makes uploads idempotent."""

    # The table of volume: no foreign-key triggers per inserted row and no single-column indexes
    # that the composite ones below already cover. The ids come from the authenticated phone's
    # row, and subjects and phones are never deleted (PROTECT, and supervision records are kept).
    subject = models.ForeignKey(
        Subject,
        verbose_name=_("subject"),
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    device = models.ForeignKey(
        Device,
        verbose_name=_("phone"),
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    client_id = models.UUIDField(_("phone's fix id"))
    body_hash = models.CharField(_("body hash"), max_length=32)
    recorded_at = models.DateTimeField(_("recorded at (phone clock)"))
    received_at = models.DateTimeField(_("received at (server clock)"))
    clock_skew_s = models.FloatField(_("clock skew (s)"), default=0)
    lat = models.FloatField(_("latitude (WGS-84)"))
    lon = models.FloatField(_("longitude (WGS-84)"))
    raw_lat = models.FloatField(_("latitude as sent"))
    raw_lon = models.FloatField(_("longitude as sent"))
    crs = models.CharField(_("coordinate system"), max_length=6)
    accuracy_m = models.FloatField(_("accuracy (m)"))
    altitude_m = models.FloatField(_("altitude (m)"), null=True, blank=True)
    speed_mps = models.FloatField(_("speed (m/s)"), null=True, blank=True)
    battery = models.FloatField(_("battery"), null=True, blank=True)
    charging = models.BooleanField(_("charging"), null=True, blank=True)
    mock_location = models.BooleanField(_("mock location"), default=False)
    provider = models.CharField(_("provider"), max_length=MAX_PROVIDER_LENGTH, blank=True)
    quality = models.CharField(_("fix quality"), max_length=16)
    # Set when the engine failed on this fix: it is kept and shown, but set aside so that the
    # person's later fixes are evaluated (``services.evaluate_pending``).
    evaluation_error = models.TextField(
        _("set aside: evaluation failed"), blank=True, default="", db_default=""
    )

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        constraints = [models.UniqueConstraint(fields=["device", "client_id"], name="checkin_once_per_phone")]
        indexes = [
            models.Index(fields=["subject", "recorded_at"], name="checkin_subject_time"),
            # The evaluator reads a person's rows past its cursor (ids of one person are
            # inserted under the person's state lock, so they grow in commit order).
            models.Index(fields=["subject", "id"], name="checkin_subject_id"),
            models.Index(fields=["received_at"], name="checkin_received"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_id} @ {self.recorded_at:%Y-%m-%d %H:%M:%S}"


class MonitorState(models.Model):
    """Where the engine stands for one subject: its serialised state and the latest good position.

    Every upload of the person takes this row's lock first (an UPDATE), then inserts its fixes and
    marks the row ``pending_since``; the evaluator locks the row, evaluates the person's rows past
    ``evaluated_through_id`` and clears the mark. So uploads of one person are stored one after
    the other, ids of one person grow in commit order, and no fix is evaluated twice or skipped.
    """

    subject = models.OneToOneField(
        Subject,
        verbose_name=_("subject"),
        on_delete=models.CASCADE,
        related_name="monitor_state",
        primary_key=True,
    )
    engine_state = models.JSONField(_("engine state"), default=dict)
    last_lat = models.FloatField(_("last latitude"), null=True, blank=True)
    last_lon = models.FloatField(_("last longitude"), null=True, blank=True)
    last_accuracy_m = models.FloatField(_("last accuracy (m)"), null=True, blank=True)
    last_fix_at = models.DateTimeField(_("last fix at"), null=True, blank=True, db_index=True)
    last_checkin_received_at = models.DateTimeField(_("last upload at"), null=True, blank=True)
    next_checkin_due = models.DateTimeField(_("next check-in due"), null=True, blank=True, db_index=True)
    last_status = models.JSONField(_("last phone status"), default=dict, blank=True)
    last_status_at = models.DateTimeField(_("last status at"), null=True, blank=True)
    offline_alerted_at = models.DateTimeField(_("offline alert raised at"), null=True, blank=True)
    # What is expected of the person now: their level's policy, unless an order says otherwise
    # (``services.expectations``, recomputed when the policy, the level or an order changes).
    # The upload reads the interval from here, so it stays one statement.
    checkin_interval = models.DurationField(_("check-in interval"), default=dt.timedelta(hours=4))
    overdue_grace = models.DurationField(_("grace before check-in overdue"), default=dt.timedelta(minutes=30))
    lost_contact_after = models.DurationField(
        _("suspected loss of contact after"), default=dt.timedelta(hours=3)
    )
    sampling_regime = models.CharField(
        _("sampling regime"),
        max_length=12,
        choices=SamplingRegime.choices,
        default=SamplingRegime.VERIFICATION,
    )
    sampling_interval = models.DurationField(_("sampling interval"), null=True, blank=True)
    expectation_sources = models.JSONField(_("expectations set by"), default=list, blank=True)
    # Stage 2 of 防脱管 for the same due time; and when an upload ended a silence that had raised
    # a warning (the warning's evidence is completed from it, ``services.contact``).
    lost_contact_alerted_at = models.DateTimeField(
        _("loss of contact alert raised at"), null=True, blank=True
    )
    contact_resumed_at = models.DateTimeField(_("contact resumed at"), null=True, blank=True)
    pending_since = models.DateTimeField(_("fixes waiting for evaluation since"), null=True, blank=True)
    evaluated_through_id = models.BigIntegerField(_("evaluated through check-in"), default=0)

    class Meta:
        verbose_name = _("monitoring state")
        verbose_name_plural = _("monitoring states")
        indexes = [
            models.Index(
                fields=["pending_since"],
                name="monitorstate_pending",
                condition=models.Q(pending_since__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return str(self.subject)


class Alert(models.Model):
    """Something staff must see and handle (预警): a position alert or a risk warning."""

    # The vocabulary is declared in ``backend.core.vocabulary`` (the push texts read it too).
    Category = AlertCategory
    Kind = AlertKind
    Severity = AlertSeverity
    Status = AlertStatus
    Resolution = AlertResolution

    seq = models.BigIntegerField(_("sequence number"), unique=True)
    dedupe_key = models.CharField(_("dedupe key"), max_length=120, unique=True)
    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, db_index=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    subject = models.ForeignKey(
        Subject, verbose_name=_("subject"), on_delete=models.PROTECT, related_name="alerts"
    )
    office = models.ForeignKey(Office, verbose_name=_("office"), on_delete=models.PROTECT, related_name="+")
    zone = models.ForeignKey(
        Zone, verbose_name=_("zone"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    raised_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    late = models.BooleanField(_("found from late data"), default=False)
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.CharField(_("resolution"), max_length=20, choices=Resolution.choices, blank=True)
    resolution_note = models.TextField(_("resolution note"), blank=True)
    # Escalation of an alert nobody acknowledged in time: 0 none, 1 the office head, 2 the bureau
    # on duty. ``escalations`` keeps every step: ``{"level", "at", "to": [{"id", "name"}], "reason"}``.
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    escalations = models.JSONField(_("escalation steps"), default=list, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["office", "status", "-seq"], name="alert_office_status"),
            models.Index(fields=["subject", "-occurred_at"], name="alert_subject_time"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.get_kind_display()} · {self.subject}"


class ConsoleEvent(models.Model):
    """The record of every live console event, numbered in commit order; consoles replay from it.

    ``seq`` comes from a counter row locked inside the writing transaction, so a higher number is
    always committed after a lower one and a console that resumes after N misses nothing.
    """

    seq = models.BigIntegerField(_("sequence number"), primary_key=True)
    office = models.ForeignKey(Office, verbose_name=_("office"), on_delete=models.PROTECT, related_name="+")
    type = models.CharField(_("type"), max_length=30)
    payload = models.JSONField(_("payload"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("console event")
        verbose_name_plural = _("console events")
        ordering = ["seq"]
        indexes = [models.Index(fields=["office", "seq"], name="console_event_office_seq")]

    def __str__(self) -> str:
        return f"{self.seq} {self.type}"


class Counter(models.Model):
    """Named monotonically increasing counters (the console event sequence)."""

    name = models.CharField(max_length=40, primary_key=True)
    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("counter")
        verbose_name_plural = _("counters")

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class CommandKind(models.TextChoices):
    """What the server may ask of a phone (the ``commands`` of check-in and status answers)."""

    SAMPLING = "sampling", _("sampling regime and interval")
    FIX_NOW = "fix_now", _("send a fix now")
    LEAVE_DECISION = "leave_decision", _("leave decision")


class PhoneCommand(models.Model):
    """An order to a person's phone, carried in every check-in and status answer until the phone
    acknowledges it (``POST /api/v1/mobile/commands/{id}/ack``), it expires, or a newer one of the
    same kind withdraws it (``services.commands``)."""

    Kind = CommandKind

    subject = models.ForeignKey(
        Subject, verbose_name=_("subject"), on_delete=models.CASCADE, related_name="phone_commands"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=CommandKind.choices)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    dedupe_key = models.CharField(_("dedupe key"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("first delivered at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_device = models.ForeignKey(
        Device,
        verbose_name=_("acknowledged by phone"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("command to a phone")
        verbose_name_plural = _("commands to phones")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="phonecommand_once_per_key",
            )
        ]
        indexes = [
            # The check-in answer's probe: a person's commands still waiting for the phone.
            models.Index(
                fields=["subject", "created_at"],
                name="phonecommand_pending",
                condition=models.Q(acknowledged_at__isnull=True, withdrawn_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.subject_id} @ {self.created_at:%Y-%m-%d %H:%M}"
