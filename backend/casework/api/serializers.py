"""The casework API's shapes. Field limits come from ``casework.rules`` and the models."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

import geofence as gf
from backend.casework import rules
from backend.casework.models import (
    MAX_DESTINATION,
    MAX_NOTE,
    MAX_REASON,
    CurfewCheck,
    LeaveRequest,
    PositioningOrder,
)
from backend.core.api import ModelSerializer
from backend.core.times import parse_client_time
from backend.monitoring.models import SamplingRegime
from backend.supervision.models import Subject


class FiniteFloatField(serializers.FloatField):
    """A JSON number (not a string, not a boolean), finite, within its bounds."""

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        if isinstance(data, float) and not math.isfinite(data):
            self.fail("invalid")
        if isinstance(data, int) and abs(data) > 10**15:
            self.fail("invalid")
        return float(super().to_internal_value(data))


class AwareTimeField(serializers.DateTimeField):
    """An ISO 8601 time with its UTC offset (a phone's local time is ambiguous), in the client
    time window, kept in UTC."""

    def to_internal_value(self, value: Any) -> dt.datetime:
        parsed, problem = parse_client_time(value)
        if parsed is None:
            raise serializers.ValidationError(problem, code="invalid")
        return parsed


class PointSerializer(serializers.Serializer[Any]):
    """A point as the phone or map has it; stored in WGS-84."""

    lat = FiniteFloatField(min_value=-90, max_value=90)
    lon = FiniteFloatField(min_value=-180, max_value=180)
    crs = serializers.ChoiceField(choices=[crs.value for crs in gf.Crs], default=gf.Crs.WGS84.value)

    def to_internal_value(self, data: Any) -> tuple[float, float]:
        values = super().to_internal_value(data)
        lat, lon = gf.to_wgs84(values["lat"], values["lon"], gf.Crs(values["crs"]))
        if not (math.isfinite(lat) and math.isfinite(lon)):
            raise serializers.ValidationError({"lat": [_("This point cannot be converted.")]})
        return round(lat, 7), round(lon, 7)


def _radius() -> FiniteFloatField:
    return FiniteFloatField(
        min_value=rules.MIN_RADIUS_M,
        max_value=rules.MAX_RADIUS_M,
        required=False,
        help_text=f"Metres around the destination point; default {rules.DEFAULT_RADIUS_M:.0f}.",
    )


# ---------------------------------------------------------------------------------------------
# Leave
# ---------------------------------------------------------------------------------------------


class LeaveRequestInputSerializer(serializers.Serializer[Any]):
    """What the phone sends to ask for leave."""

    destination = serializers.CharField(max_length=MAX_DESTINATION)
    destination_point = PointSerializer(required=False, help_text="The destination, if the phone knows it.")
    radius_m = _radius()
    reason = serializers.CharField(max_length=MAX_REASON)
    starts_at = AwareTimeField()
    ends_at = AwareTimeField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        now = timezone.now()
        starts_at, ends_at = attrs["starts_at"], attrs["ends_at"]
        if ends_at <= starts_at:
            raise serializers.ValidationError({"ends_at": [_("The leave must end after it starts.")]})
        if starts_at < now - rules.LEAVE_START_BACK:
            raise serializers.ValidationError({"starts_at": [_("A leave cannot start in the past.")]})
        if starts_at > now + rules.LEAVE_START_AHEAD:
            raise serializers.ValidationError(
                {"starts_at": [_("A leave may be asked for at most a year ahead.")]}
            )
        if ends_at - starts_at > rules.LEAVE_MAX_LENGTH:
            raise serializers.ValidationError(
                {
                    "ends_at": [
                        _("A leave lasts at most %(days)d days.") % {"days": rules.LEAVE_MAX_LENGTH.days}
                    ]
                }
            )
        return attrs


class LeaveRequestSerializer(ModelSerializer[LeaveRequest]):
    """A leave request with its routing and decision."""

    subject_name = serializers.CharField(source="subject.name", read_only=True)
    office = serializers.IntegerField(source="subject.office_id", read_only=True)
    destination_point = serializers.SerializerMethodField()
    approver_label = serializers.CharField(source="get_approver_display", read_only=True)
    days = serializers.SerializerMethodField()
    decided_by_name = serializers.SerializerMethodField()

    class Meta:
        model = LeaveRequest
        fields = [
            "id",
            "subject",
            "subject_name",
            "office",
            "destination",
            "destination_point",
            "point_source",
            "radius_m",
            "destination_geometry",
            "destination_zone",
            "reason",
            "starts_at",
            "ends_at",
            "days",
            "status",
            "approver",
            "approver_label",
            "flagged",
            "decided_by",
            "decided_by_name",
            "decided_at",
            "decision_note",
            "reported_back_at",
            "seen_back_at",
            "overdue_alerted_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_destination_point(self, leave: LeaveRequest) -> dict[str, float] | None:
        if leave.destination_lat is None or leave.destination_lon is None:
            return None
        return {"lat": leave.destination_lat, "lon": leave.destination_lon}

    def get_days(self, leave: LeaveRequest) -> float:
        return round(rules.days(leave.ends_at - leave.starts_at), 2)

    def get_decided_by_name(self, leave: LeaveRequest) -> str:
        user = leave.decided_by
        return "" if user is None else (user.get_full_name() or user.username)


class MobileLeaveRequestSerializer(ModelSerializer[LeaveRequest]):
    """A leave request as the phone sees it (no staff names)."""

    destination_point = serializers.SerializerMethodField()

    class Meta:
        model = LeaveRequest
        fields = [
            "id",
            "destination",
            "destination_point",
            "radius_m",
            "reason",
            "starts_at",
            "ends_at",
            "status",
            "approver",
            "flagged",
            "decided_at",
            "decision_note",
            "reported_back_at",
            "created_at",
        ]
        read_only_fields = fields

    def get_destination_point(self, leave: LeaveRequest) -> dict[str, float] | None:
        if leave.destination_lat is None or leave.destination_lon is None:
            return None
        return {"lat": leave.destination_lat, "lon": leave.destination_lon}


class ApproveLeaveSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=MAX_NOTE, required=False, allow_blank=True, default="")
    destination_point = PointSerializer(required=False, help_text="The destination as staff confirm it.")
    radius_m = _radius()
    destination_zone = serializers.JSONField(
        required=False, help_text="A drawn destination zone: GeoJSON Polygon or MultiPolygon, WGS-84."
    )

    def validate_destination_zone(self, value: Any) -> Any:
        if not isinstance(value, dict) or value.get("type") not in ("Polygon", "MultiPolygon"):
            raise serializers.ValidationError(_("A GeoJSON Polygon or MultiPolygon is required."))
        return value


class RejectLeaveSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=MAX_NOTE)


# ---------------------------------------------------------------------------------------------
# Positioning orders
# ---------------------------------------------------------------------------------------------


class PositioningOrderSerializer(ModelSerializer[PositioningOrder]):
    subject = serializers.PrimaryKeyRelatedField(queryset=Subject.objects.none())
    subject_name = serializers.CharField(source="subject.name", read_only=True)
    office = serializers.IntegerField(source="subject.office_id", read_only=True)
    changes = serializers.SerializerMethodField()

    class Meta:
        model = PositioningOrder
        fields = [
            "id",
            "subject",
            "subject_name",
            "office",
            "ground",
            "reason",
            "ends_on",
            "status",
            "requested_by",
            "approved_by",
            "starts_at",
            "ends_at",
            "ended_by",
            "end_reason",
            "created_at",
            "changes",
        ]
        read_only_fields = [
            "status",
            "requested_by",
            "approved_by",
            "starts_at",
            "ends_at",
            "ended_by",
            "end_reason",
            "created_at",
        ]
        extra_kwargs = {"reason": {"max_length": MAX_REASON}}

    def get_changes(self, order: PositioningOrder) -> list[dict[str, Any]]:
        return [
            {
                "kind": c.kind,
                "reason": c.reason,
                "previous_ends_on": c.previous_ends_on,
                "ends_on": c.ends_on,
                "by": c.by_id,
                "at": c.at,
            }
            for c in order.changes.all()
        ]

    def validate_ends_on(self, value: dt.date) -> dt.date:
        today = rules.local_date(timezone.now())
        if value < today:
            raise serializers.ValidationError(_("The last day cannot be in the past."))
        if value > rules.order_limit(today):
            raise serializers.ValidationError(
                _("An order runs at most 3 months: the last day may be %(day)s at the latest.")
                % {"day": rules.order_limit(today).isoformat()}
            )
        return value


class ExtendOrderSerializer(serializers.Serializer[Any]):
    ends_on = serializers.DateField()
    reason = serializers.CharField(max_length=MAX_REASON)


class EndOrderSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=MAX_REASON)


class RegimePeriodSerializer(serializers.Serializer[Any]):
    """A span of time and the sampling regime the person's phone was under."""

    start = serializers.DateTimeField(source="from")
    end = serializers.DateTimeField(source="to")
    regime = serializers.ChoiceField(choices=SamplingRegime.choices)
    order = serializers.IntegerField(allow_null=True)


class RegimesSerializer(serializers.Serializer[Any]):
    regime_now = serializers.ChoiceField(choices=SamplingRegime.choices)
    periods = RegimePeriodSerializer(many=True)


# ---------------------------------------------------------------------------------------------
# Curfew, home zones, geocoder
# ---------------------------------------------------------------------------------------------


class CurfewCheckSerializer(ModelSerializer[CurfewCheck]):
    subject_name = serializers.CharField(source="subject.name", read_only=True)

    class Meta:
        model = CurfewCheck
        fields = [
            "id",
            "subject",
            "subject_name",
            "zone",
            "window_start",
            "checked_at",
            "status",
            "reason",
            "answer_due",
            "settled_at",
            "evidence",
        ]
        read_only_fields = fields


class HomeZonesInputSerializer(serializers.Serializer[Any]):
    home_point = PointSerializer(
        required=False, help_text="The home as staff confirm it (else the stored one)."
    )


class HomeZonesSerializer(serializers.Serializer[Any]):
    home_zone = serializers.IntegerField(allow_null=True)
    curfew_zone = serializers.IntegerField(allow_null=True)
    curfew_active = serializers.BooleanField()


class GeocodeQuerySerializer(serializers.Serializer[Any]):
    address = serializers.CharField(max_length=MAX_DESTINATION)


class GeocodeAnswerSerializer(serializers.Serializer[Any]):
    lat = serializers.FloatField(help_text="WGS-84")
    lon = serializers.FloatField(help_text="WGS-84")
    address = serializers.CharField()
