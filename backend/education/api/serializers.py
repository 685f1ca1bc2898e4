from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from backend.accounts.models import Office, User
from backend.accounts.scoping import visible_office_ids
from backend.core.api import ModelSerializer
from backend.education.models import AttendanceRule, EducationSession, Enrollment
from backend.supervision.models import Subject


def _scoped_offices(request: Any) -> Any:
    offices = Office.objects.filter(kind=Office.Kind.OFFICE)
    if request is None or not isinstance(request.user, User):
        return offices.none()
    office_ids = visible_office_ids(request.user)
    return offices if office_ids is None else offices.filter(pk__in=office_ids)


class EducationSessionSerializer(ModelSerializer[EducationSession]):
    office_name = serializers.CharField(source="office.name", read_only=True)
    enrolled = serializers.IntegerField(read_only=True, source="enrolled_count", default=None)
    hours = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        min_value=Decimal("0.5"),
        max_value=Decimal(12),
        required=False,
        help_text="Hours credited for attending; the session's length (to the half hour) by default.",
    )

    class Meta:
        model = EducationSession
        fields = [
            "id",
            "office",
            "office_name",
            "kind",
            "topic",
            "place_name",
            "place_lat",
            "place_lon",
            "place_radius_m",
            "starts_at",
            "ends_at",
            "capacity",
            "hours",
            "notes",
            "enrolled",
            "attendance_computed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["attendance_computed_at", "created_at", "updated_at"]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["office"].queryset = _scoped_offices(self.context.get("request"))  # type: ignore[attr-defined]
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None and "office" in attrs and attrs["office"] != self.instance.office:
            raise serializers.ValidationError({"office": [_("A session cannot move to another office.")]})
        return attrs


class EnrollmentSerializer(ModelSerializer[Enrollment]):
    subject_name = serializers.CharField(source="subject.name", read_only=True)
    confirmed_by_name = serializers.SerializerMethodField()

    class Meta:
        model = Enrollment
        fields = [
            "id",
            "session",
            "subject",
            "subject_name",
            "outcome",
            "source",
            "minutes_inside",
            "certain_fixes",
            "hours_credited",
            "reason",
            "confirmed_by",
            "confirmed_by_name",
            "decided_at",
            "enrolled_at",
        ]
        read_only_fields = [
            "outcome",
            "source",
            "minutes_inside",
            "certain_fixes",
            "hours_credited",
            "reason",
            "confirmed_by",
            "decided_at",
            "enrolled_at",
        ]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        request = self.context.get("request")
        offices = _scoped_offices(request)
        fields["session"].queryset = EducationSession.objects.filter(office__in=offices)  # type: ignore[attr-defined]
        fields["subject"].queryset = Subject.objects.filter(office__in=offices)  # type: ignore[attr-defined]
        return fields

    def get_confirmed_by_name(self, obj: Enrollment) -> str | None:
        user = obj.confirmed_by
        return (user.get_full_name() or user.username) if user else None


class ConfirmAttendanceSerializer(serializers.Serializer[Any]):
    attended = serializers.BooleanField()
    reason = serializers.CharField(max_length=300, help_text="Why staff decide instead of the check-ins.")


class AttendanceRuleSerializer(ModelSerializer[AttendanceRule]):
    class Meta:
        model = AttendanceRule
        fields = ["id", "kind", "min_minutes_inside", "max_gap_minutes", "max_accuracy_m", "updated_at"]
        read_only_fields = fields


class HoursBehindSerializer(serializers.Serializer[Any]):
    subject = serializers.IntegerField(source="subject.pk")
    subject_name = serializers.CharField(source="subject.name")
    office = serializers.IntegerField(source="subject.office_id")
    office_name = serializers.CharField(source="subject.office.name")
    supervision_level = serializers.CharField(source="subject.supervision_level")
    month = serializers.CharField()
    required = serializers.DecimalField(max_digits=5, decimal_places=1)  # type: ignore[assignment]
    completed = serializers.DecimalField(max_digits=5, decimal_places=1)
    missing = serializers.DecimalField(max_digits=5, decimal_places=1)


class HoursBehindPageSerializer(serializers.Serializer[Any]):
    month = serializers.CharField()
    count = serializers.IntegerField()
    results = HoursBehindSerializer(many=True)


# ---------------------------------------------------------------------------------------------
# Mobile API
# ---------------------------------------------------------------------------------------------


class MobileSessionSerializer(serializers.Serializer[Any]):
    """A session the subject is enrolled in, as the phone shows it."""

    session_id = serializers.IntegerField(source="session.pk")
    kind = serializers.CharField(source="session.kind")
    kind_label = serializers.CharField(source="session.get_kind_display")
    topic = serializers.CharField(source="session.topic")
    place_name = serializers.CharField(source="session.place_name")
    place_lat = serializers.FloatField(source="session.place_lat")
    place_lon = serializers.FloatField(source="session.place_lon")
    place_radius_m = serializers.FloatField(source="session.place_radius_m")
    starts_at = serializers.DateTimeField(source="session.starts_at")
    ends_at = serializers.DateTimeField(source="session.ends_at")
    hours = serializers.FloatField(source="session.hours")
    outcome = serializers.CharField()


class MobileHoursSerializer(serializers.Serializer[Any]):
    month = serializers.CharField(help_text="YYYY-MM, county time.")
    required = serializers.FloatField()  # type: ignore[assignment]
    completed = serializers.FloatField()
    missing = serializers.FloatField()


class MobileEducationSerializer(serializers.Serializer[Any]):
    upcoming = MobileSessionSerializer(
        many=True, help_text="Sessions not yet over, soonest first (at most 20)."
    )
    hours = MobileHoursSerializer()
