from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers

from backend.bureau.api.mixins import (
    RETURN_FIELDS,
    RETURN_READ_ONLY,
    UnitReturnSerializer,
    UnitScopedSerializer,
)
from backend.bureau.models import MAX_YEAR, MIN_YEAR
from backend.bureau.scoping import scope_to_units
from backend.core.api import ModelSerializer, record_date
from backend.lawadmin.models import (
    AbilityTest,
    AbilityTestEntry,
    ComplianceNotice,
    ContractCatalogue,
    EnforcementOfficer,
    HearingAttendance,
    InspectionRubric,
    LegalityReview,
    LitigationCase,
    RubricItem,
    RuleOfLawInspection,
    StudyRecord,
)


def check_date(value: Any) -> Any:
    return record_date(value, days_ahead=366)


class OfficerSerializer(UnitScopedSerializer):
    class Meta:
        model = EnforcementOfficer
        fields = ["id", "unit", "unit_name", "name", "certificate_no", "field", "is_active", "created_at"]
        read_only_fields = ["created_at"]


class StudyRecordSerializer(ModelSerializer[StudyRecord]):
    officer_name = serializers.CharField(source="officer.name", read_only=True)

    class Meta:
        model = StudyRecord
        fields = ["id", "officer", "officer_name", "date", "hours", "topic", "created_at"]
        read_only_fields = ["created_at"]

    def validate_date(self, value: Any) -> Any:
        return check_date(value)

    def validate_officer(self, officer: EnforcementOfficer) -> EnforcementOfficer:
        visible = scope_to_units(
            EnforcementOfficer.objects.all(), self.context["request"].user, offices=False
        )
        if not visible.filter(pk=officer.pk).exists():
            raise serializers.ValidationError(_("You may enter records for your own unit only."))
        return officer


class BehindSerializer(serializers.Serializer[Any]):
    officer = serializers.IntegerField(source="officer.pk")
    name = serializers.CharField(source="officer.name")
    unit_name = serializers.CharField(source="officer.unit.name")
    field = serializers.CharField(source="officer.field")
    hours = serializers.FloatField()
    missing = serializers.FloatField()


class AbilityTestSerializer(ModelSerializer[AbilityTest]):
    drawn = serializers.IntegerField(source="entries.count", read_only=True)

    class Meta:
        model = AbilityTest
        fields = [
            "id",
            "year",
            "title",
            "held_on",
            "sample_ratio",
            "seed",
            "population",
            "drawn",
            "status",
            "drawn_at",
            "published_at",
        ]
        read_only_fields = ["seed", "population", "status", "drawn_at", "published_at"]

    def validate_held_on(self, value: Any) -> Any:
        return check_date(value)


class DrawSerializer(serializers.Serializer[Any]):
    seed = serializers.IntegerField(min_value=0, max_value=2**62, required=False)


class ScoreItemSerializer(serializers.Serializer[Any]):
    entry = serializers.IntegerField(min_value=1, max_value=2**62)
    score = serializers.DecimalField(max_digits=5, decimal_places=1, min_value=0, max_value=100)


class ScoresSerializer(serializers.Serializer[Any]):
    scores = ScoreItemSerializer(many=True, allow_empty=False, max_length=5000)  # type: ignore[call-arg]  # DRF lists take max_length; the stubs lag


class EntrySerializer(ModelSerializer[AbilityTestEntry]):
    name = serializers.CharField(source="officer.name", read_only=True)
    unit_name = serializers.CharField(source="officer.unit.name", read_only=True)

    class Meta:
        model = AbilityTestEntry
        fields = ["id", "officer", "name", "unit_name", "field", "score", "rank"]


class HearingAttendanceSerializer(UnitScopedSerializer):
    class Meta:
        model = HearingAttendance
        fields = [
            "id",
            "unit",
            "unit_name",
            "held_on",
            "court",
            "case_number",
            "attendees",
            "leader_attended",
            "notes",
        ]

    def validate_held_on(self, value: Any) -> Any:
        return check_date(value)


class LitigationCaseSerializer(UnitScopedSerializer):
    reported_late = serializers.BooleanField(read_only=True)
    report_due = serializers.DateField(read_only=True)
    reported_on = serializers.DateField(required=False)

    class Meta:
        model = LitigationCase
        fields = [
            "id",
            "unit",
            "unit_name",
            "case_number",
            "court",
            "cause",
            "plaintiff",
            "served_on",
            "reported_on",
            "report_due",
            "reported_late",
            "stage",
            "outcome",
            "decided_on",
            "is_key",
            "key_reason",
            "notes",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def validate_served_on(self, value: Any) -> Any:
        return check_date(value)

    def validate_decided_on(self, value: Any) -> Any:
        return check_date(value)

    def validate_reported_on(self, value: Any) -> Any:
        check_date(value)
        user = self.context["request"].user
        if not user.is_bureau_wide and value != timezone.localdate():
            raise serializers.ValidationError(
                _("A unit reports its case today; only the bureau may date it.")
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if self.instance is None:
            attrs.setdefault("reported_on", timezone.localdate())
        served = attrs.get("served_on", getattr(self.instance, "served_on", None))
        for name in ("reported_on", "decided_on"):
            value = attrs.get(name)
            if value is not None and served is not None and value < served:
                raise serializers.ValidationError({name: [_("Not before the complaint was served.")]})
        outcome = attrs.get("outcome", getattr(self.instance, "outcome", None))
        if outcome in LitigationCase.DECIDED and not attrs.get(
            "decided_on", getattr(self.instance, "decided_on", None)
        ):
            raise serializers.ValidationError({"decided_on": [_("A decided case needs its date.")]})
        if attrs.get("is_key") and not attrs.get("key_reason", getattr(self.instance, "key_reason", "")):
            raise serializers.ValidationError({"key_reason": [_("Say why the case is a key case.")]})
        return attrs


class YearSerializer(serializers.Serializer[Any]):
    year = serializers.IntegerField(min_value=MIN_YEAR, max_value=MAX_YEAR, required=False)


class QuarterSerializer(serializers.Serializer[Any]):
    year = serializers.IntegerField(min_value=MIN_YEAR, max_value=MAX_YEAR)
    quarter = serializers.IntegerField(min_value=1, max_value=4)


class UnitStatisticsSerializer(serializers.Serializer[Any]):
    unit = serializers.IntegerField()
    unit_name = serializers.CharField()
    cases = serializers.IntegerField()
    decided = serializers.IntegerField()
    won = serializers.IntegerField()
    lost = serializers.IntegerField()
    late = serializers.IntegerField()
    win_rate = serializers.FloatField(allow_null=True)
    loss_rate = serializers.FloatField(allow_null=True)


class LateReporterSerializer(serializers.Serializer[Any]):
    unit = serializers.IntegerField()
    unit_name = serializers.CharField()
    late_cases = serializers.IntegerField()
    case_numbers = serializers.ListField(child=serializers.CharField())
    most_days_late = serializers.IntegerField()


class LegalityReviewSerializer(UnitScopedSerializer):
    class Meta:
        model = LegalityReview
        fields = [
            "id",
            "unit",
            "unit_name",
            "kind",
            "title",
            "received_on",
            "reviewed_on",
            "opinion",
            "notes",
            "reviewer",
        ]
        read_only_fields = ["reviewer"]

    def validate_received_on(self, value: Any) -> Any:
        return check_date(value)

    def validate_reviewed_on(self, value: Any) -> Any:
        return check_date(value)


class ContractCatalogueSerializer(UnitReturnSerializer):
    class Meta:
        model = ContractCatalogue
        fields = [*RETURN_FIELDS, "year", "quarter", "contracts", "reviewed", "notes"]
        read_only_fields = RETURN_READ_ONLY
        # The unit may be left out (a reporter's own): the one-per-quarter rule is checked below.
        validators: list[Any] = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        contracts = attrs.get("contracts", getattr(self.instance, "contracts", 0))
        if attrs.get("reviewed", getattr(self.instance, "reviewed", 0)) > contracts:
            raise serializers.ValidationError({"reviewed": [_("More contracts reviewed than signed.")]})
        key = {k: attrs.get(k, getattr(self.instance, k, None)) for k in ("unit", "year", "quarter")}
        clash = ContractCatalogue.objects.filter(**key)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError({"quarter": [_("This unit has already filed this quarter.")]})
        return attrs


class ComplianceNoticeSerializer(ModelSerializer[ComplianceNotice]):
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = ComplianceNotice
        fields = [
            "id",
            "unit",
            "unit_name",
            "year",
            "quarter",
            "number",
            "reason",
            "issued_at",
            "sent_at",
            "sent_to",
            "acknowledged_at",
        ]


class RubricItemSerializer(ModelSerializer[RubricItem]):
    class Meta:
        model = RubricItem
        fields = ["id", "title", "weight", "max_score"]


class InspectionRubricSerializer(ModelSerializer[InspectionRubric]):
    items = RubricItemSerializer(many=True, max_length=100, allow_empty=False)  # type: ignore[call-arg]  # DRF lists take max_length; the stubs lag

    class Meta:
        model = InspectionRubric
        fields = ["id", "year", "half", "title", "items"]

    def validate_items(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if sum(item["weight"] for item in items) != 100:
            raise serializers.ValidationError(_("The weights of the rubric's criteria must add up to 100."))
        return items

    def create(self, validated_data: dict[str, Any]) -> InspectionRubric:
        items = validated_data.pop("items")
        rubric = InspectionRubric.objects.create(**validated_data)
        RubricItem.objects.bulk_create(RubricItem(rubric=rubric, **item) for item in items)
        return rubric

    def update(self, instance: InspectionRubric, validated_data: dict[str, Any]) -> InspectionRubric:
        if "items" in validated_data:
            raise serializers.ValidationError({"items": [_("The criteria of a rubric are fixed once made.")]})
        return super().update(instance, validated_data)


class InspectionSerializer(UnitScopedSerializer):
    class Meta:
        model = RuleOfLawInspection
        fields = [
            "id",
            "rubric",
            "unit",
            "unit_name",
            "inspected_on",
            "inspectors",
            "status",
            "total",
            "summary",
        ]
        read_only_fields = ["status", "total"]

    def validate_inspected_on(self, value: Any) -> Any:
        return check_date(value)


class InspectionScoreItemSerializer(serializers.Serializer[Any]):
    item = serializers.IntegerField(min_value=1, max_value=2**62)
    score = serializers.DecimalField(max_digits=6, decimal_places=1, min_value=0, max_value=1000)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class InspectionScoresSerializer(serializers.Serializer[Any]):
    scores = InspectionScoreItemSerializer(many=True, allow_empty=False, max_length=100)  # type: ignore[call-arg]  # DRF lists take max_length; the stubs lag


class FindingSerializer(serializers.Serializer[Any]):
    finding = serializers.CharField(max_length=4000)
    requirement = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    deadline = serializers.DateField()

    def validate_deadline(self, value: Any) -> Any:
        return check_date(value)
