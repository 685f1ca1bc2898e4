from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from backend.accounts.models import User
from backend.core.api import ModelSerializer, record_date
from backend.learning.models import LectureReview, StaffLecture, StudyTrip, TrainingClass

# Bureau and office staff take part in learning; reporters are other units' people.
LEARNERS = User.objects.filter(is_active=True).exclude(role="reporter")


def sane_date(value: dt.date) -> dt.date:
    return record_date(value, days_ahead=366)


class TrainingClassSerializer(ModelSerializer[TrainingClass]):
    attendance = serializers.SerializerMethodField()

    class Meta:
        model = TrainingClass
        fields = ["id", "topic", "held_on", "lecturer", "lecturer_kind", "hours", "place", "attendance"]

    def validate_held_on(self, value: dt.date) -> dt.date:
        return sane_date(value)

    def get_attendance(self, obj: TrainingClass) -> dict[str, int]:
        rows = list(obj.attendance_set.all())
        return {
            "present": sum(1 for row in rows if row.present),
            "absent": sum(1 for row in rows if not row.present),
        }


class AttendanceEntrySerializer(serializers.Serializer[Any]):
    staff = serializers.PrimaryKeyRelatedField(queryset=LEARNERS)
    present = serializers.BooleanField()


class AttendanceListSerializer(serializers.Serializer[Any]):
    entries = serializers.ListField(child=AttendanceEntrySerializer(), min_length=1, max_length=500)


class LectureReviewSerializer(ModelSerializer[LectureReview]):
    reviewer_name = serializers.CharField(source="reviewer.get_full_name", read_only=True)

    class Meta:
        model = LectureReview
        fields = ["id", "reviewer", "reviewer_name", "score", "comment", "created_at"]
        read_only_fields = ["reviewer", "created_at"]


class StaffLectureSerializer(ModelSerializer[StaffLecture]):
    speaker = serializers.PrimaryKeyRelatedField(queryset=LEARNERS)
    reviews = LectureReviewSerializer(many=True, read_only=True)

    class Meta:
        model = StaffLecture
        fields = ["id", "held_on", "speaker", "topic", "summary", "reviews"]

    def validate_held_on(self, value: dt.date) -> dt.date:
        return sane_date(value)


class StudyTripSerializer(ModelSerializer[StudyTrip]):
    participants = serializers.PrimaryKeyRelatedField(queryset=LEARNERS, many=True, required=False)

    class Meta:
        model = StudyTrip
        fields = ["id", "destination", "starts_on", "ends_on", "topics", "participants", "report"]

    def validate_starts_on(self, value: dt.date) -> dt.date:
        return sane_date(value)

    def validate_ends_on(self, value: dt.date) -> dt.date:
        return sane_date(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        starts = attrs.get("starts_on", getattr(self.instance, "starts_on", None))
        ends = attrs.get("ends_on", getattr(self.instance, "ends_on", None))
        if starts and ends and ends < starts:
            raise serializers.ValidationError(
                {"ends_on": [_("The trip ends on or after the day it starts.")]}
            )
        if len(attrs.get("participants") or []) > 200:
            raise serializers.ValidationError({"participants": [_("At most 200 participants.")]})
        return attrs
