from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from backend.bureau.api.mixins import UnitScopedSerializer
from backend.bureau.models import Unit
from backend.bureau.scoping import scope_to_units
from backend.business import services
from backend.business.models import (
    AdviserHiring,
    AnnualAssessment,
    CertificateRequirement,
    EnterpriseVisit,
    Expert,
    FirmInspection,
    LawFirm,
    Lawyer,
    Sanction,
)
from backend.core.api import ModelSerializer, record_date


def check_date(value: Any) -> Any:
    return record_date(value, days_ahead=366 * 5)


class FirmField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """A law firm the caller may see (a firm's reporter: their own)."""

    def get_queryset(self) -> Any:
        return scope_to_units(LawFirm.objects.all(), self.context["request"].user, "unit", offices=False)


class LawFirmSerializer(UnitScopedSerializer):
    # Declared, so DRF adds no unique check of its own: one record per firm, a 400 not a database error.
    unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.filter(kind=Unit.Kind.LAW_FIRM),
        validators=[UniqueValidator(queryset=LawFirm.objects.all())],
    )
    lawyers = serializers.IntegerField(source="lawyers.count", read_only=True)
    vetoed = serializers.SerializerMethodField()

    class Meta:
        model = LawFirm
        fields = [
            "id",
            "unit",
            "unit_name",
            "license_no",
            "director",
            "rating",
            "founded_on",
            "recruited",
            "lawyers",
            "vetoed",
        ]

    def get_vetoed(self, firm: LawFirm) -> bool:
        today = timezone.localdate()
        return any(s.vetoes_on(today) and s.lawyer_id is None for s in firm.sanctions.all())

    def validate_founded_on(self, value: Any) -> Any:
        return check_date(value)


class LawyerSerializer(ModelSerializer[Lawyer]):
    firm = FirmField()
    firm_name = serializers.CharField(source="firm.unit.name", read_only=True)

    class Meta:
        model = Lawyer
        fields = [
            "id",
            "firm",
            "firm_name",
            "name",
            "license_no",
            "phone",
            "specialties",
            "rating",
            "is_active",
        ]
        read_only_fields = ["rating"]


class SanctionSerializer(ModelSerializer[Sanction]):
    firm_name = serializers.CharField(source="firm.unit.name", read_only=True)
    veto = serializers.BooleanField(required=False, allow_null=True, default=None)

    class Meta:
        model = Sanction
        fields = ["id", "firm", "firm_name", "lawyer", "kind", "decided_on", "reason", "veto", "veto_until"]
        read_only_fields = ["veto_until"]

    def validate_decided_on(self, value: Any) -> Any:
        check_date(value)
        if value > timezone.localdate():
            raise serializers.ValidationError(_("A measure is recorded once decided."))
        return value


class AdviserHiringSerializer(UnitScopedSerializer):
    lawyer_name = serializers.CharField(source="lawyer.name", read_only=True)

    class Meta:
        model = AdviserHiring
        fields = ["id", "unit", "unit_name", "lawyer", "lawyer_name", "kind", "starts_on", "ends_on"]

    def validate_starts_on(self, value: Any) -> Any:
        return check_date(value)

    def validate_ends_on(self, value: Any) -> Any:
        return check_date(value)

    def create(self, validated_data: dict[str, Any]) -> AdviserHiring:
        return services.hire_adviser(by=self.context["request"].user, **validated_data)


class FirmInspectionSerializer(ModelSerializer[FirmInspection]):
    firm_name = serializers.CharField(source="firm.unit.name", read_only=True)

    class Meta:
        model = FirmInspection
        fields = ["id", "firm", "firm_name", "inspected_on", "result", "findings"]

    def validate_inspected_on(self, value: Any) -> Any:
        return check_date(value)


class AnnualAssessmentSerializer(ModelSerializer[AnnualAssessment]):
    firm_name = serializers.CharField(source="firm.unit.name", read_only=True)

    class Meta:
        model = AnnualAssessment
        fields = ["id", "firm", "firm_name", "year", "result", "notes"]


class ExpertSerializer(ModelSerializer[Expert]):
    class Meta:
        model = Expert
        fields = ["id", "pool", "name", "organisation", "field", "phone", "is_active"]


class EnterpriseVisitSerializer(ModelSerializer[EnterpriseVisit]):
    firm = FirmField()
    enterprise = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.filter(kind=Unit.Kind.ENTERPRISE))
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)

    class Meta:
        model = EnterpriseVisit
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "firm",
            "visited_on",
            "service",
            "issues",
            "outcome",
            "online",
        ]

    def validate_visited_on(self, value: Any) -> Any:
        check_date(value)
        if value > timezone.localdate():
            raise serializers.ValidationError(_("A visit is recorded once made."))
        return value


class CertificateRequirementSerializer(UnitScopedSerializer):
    class Meta:
        model = CertificateRequirement
        fields = [
            "id",
            "unit",
            "unit_name",
            "service_item",
            "certificate",
            "decision",
            "legal_basis",
            "progress",
            "decided_on",
            "notes",
        ]

    def validate_decided_on(self, value: Any) -> Any:
        return check_date(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        current = {
            k: attrs.get(k, getattr(self.instance, k, None)) for k in ("decision", "legal_basis", "progress")
        }
        defaults = {"decision": "pending", "legal_basis": "", "progress": "reviewing"}
        services.check_certificate_decision(
            **{k: v if v is not None else defaults[k] for k, v in current.items()}
        )
        if current["decision"] not in (None, "pending") and not attrs.get(
            "decided_on", getattr(self.instance, "decided_on", None)
        ):
            attrs["decided_on"] = timezone.localdate()
        return attrs


class OutcomeCountSerializer(serializers.Serializer[Any]):
    outcome = serializers.CharField()
    visits = serializers.IntegerField()


class CertificateSummarySerializer(serializers.Serializer[Any]):
    total = serializers.IntegerField()
    by_decision = serializers.DictField(child=serializers.IntegerField())
    by_progress = serializers.DictField(child=serializers.IntegerField())
    decided_share = serializers.FloatField(allow_null=True)
