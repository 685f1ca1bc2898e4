from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from backend.bureau.api.mixins import (
    RETURN_FIELDS,
    RETURN_READ_ONLY,
    UnitReturnSerializer,
    UnitScopedSerializer,
)
from backend.bureau.models import MAX_YEAR, MIN_YEAR
from backend.bureau.scoping import visible_unit_ids
from backend.core.api import ModelSerializer, record_date
from backend.publicity.models import Activity, DemonstrationVillage, TrainedVillager, Volunteer


def past_or_today(value: dt.date) -> dt.date:
    """A date that has happened: an event is reported after it was held."""
    return record_date(value)


class ActivitySerializer(UnitReturnSerializer):
    offices = True
    volunteers = serializers.PrimaryKeyRelatedField(
        queryset=Volunteer.objects.all(), many=True, required=False
    )

    class Meta:
        model = Activity
        fields = (*RETURN_FIELDS, "held_on", "kind", "topic", "audience", "place", "volunteers")
        read_only_fields = RETURN_READ_ONLY

    def validate_held_on(self, value: dt.date) -> dt.date:
        return past_or_today(value)

    def validate_volunteers(self, value: list[Volunteer]) -> list[Volunteer]:
        if len(value) > 200:
            raise serializers.ValidationError(_("At most 200 volunteers per activity."))
        visible = visible_unit_ids(self.context["request"].user, offices=True)
        if visible is not None and any(volunteer.unit_id not in visible for volunteer in value):
            raise serializers.ValidationError(_("Volunteers of your own unit only."))
        return value


class VolunteerSerializer(UnitScopedSerializer):
    offices = True

    class Meta:
        model = Volunteer
        fields = ["id", "unit", "unit_name", "name", "phone", "background", "joined_on", "is_active"]

    def validate_joined_on(self, value: dt.date) -> dt.date:
        return past_or_today(value)


class TrainedVillagerSerializer(UnitScopedSerializer):
    offices = True

    class Meta:
        model = TrainedVillager
        fields = ["id", "unit", "unit_name", "kind", "name", "phone", "trained_on", "hours"]

    def validate_trained_on(self, value: dt.date) -> dt.date:
        return past_or_today(value)


class DemonstrationVillageSerializer(UnitScopedSerializer):
    offices = True

    class Meta:
        model = DemonstrationVillage
        fields = ["id", "unit", "unit_name", "level", "year", "batch", "status", "note", "updated_at"]
        read_only_fields = ["updated_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        unit = attrs.get("unit") or getattr(self.instance, "unit", None)
        if unit is not None and unit.kind != unit.Kind.VILLAGE:
            raise serializers.ValidationError({"unit": [_("A demonstration village must be a village.")]})
        return attrs


class QuarterQuerySerializer(serializers.Serializer[Any]):
    year = serializers.IntegerField(min_value=MIN_YEAR, max_value=MAX_YEAR, required=False)
    quarter = serializers.IntegerField(min_value=1, max_value=4, required=False)


class RankingRowSerializer(serializers.Serializer[Any]):
    rank = serializers.IntegerField()
    unit_id = serializers.IntegerField()
    unit_name = serializers.CharField()
    unit_kind = serializers.CharField()
    events = serializers.IntegerField()
    audience = serializers.IntegerField()


class RankingSerializer(serializers.Serializer[Any]):
    year = serializers.IntegerField()
    quarter = serializers.IntegerField()
    rows = RankingRowSerializer(many=True)


class YearSummarySerializer(serializers.Serializer[Any]):
    year = serializers.IntegerField()
    events = serializers.IntegerField()
    target = serializers.IntegerField()
    last_year_same_period = serializers.IntegerField()
    growth_percent = serializers.FloatField(allow_null=True)
    growth_target_percent = serializers.IntegerField()
    audience = serializers.IntegerField()
    volunteers = serializers.IntegerField()
    trained_villagers = serializers.DictField(child=serializers.IntegerField())
    demonstration_applications = serializers.IntegerField()


__all__ = [
    "ActivitySerializer",
    "DemonstrationVillageSerializer",
    "ModelSerializer",
    "QuarterQuerySerializer",
    "RankingSerializer",
    "TrainedVillagerSerializer",
    "VolunteerSerializer",
    "YearSummarySerializer",
]
