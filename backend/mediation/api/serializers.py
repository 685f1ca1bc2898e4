from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from django.utils.translation import gettext as _
from rest_framework import serializers

from backend.bureau.api.mixins import UnitScopedSerializer
from backend.bureau.models import MAX_YEAR, MIN_YEAR
from backend.bureau.scoping import visible_unit_ids
from backend.core.api import ModelSerializer, record_date
from backend.mediation.models import (
    CreditRule,
    Dispute,
    DisputeKind,
    DisputeSession,
    ExpertRequest,
    MediationBody,
    MediationCentre,
    Mediator,
)

S = TypeVar("S", bound="Mediator | MediationBody | Dispute | None")
MAX_PARTIES = 20
MAX_AGREEMENT_BYTES = 10 * 1024 * 1024
AGREEMENT_TYPES = {"application/pdf", "image/jpeg", "image/png"}


def past_or_today(value: dt.date | None) -> dt.date | None:
    return record_date(value)


def same_scope(serializer: serializers.Serializer[Any], obj: S, field: str) -> S:
    """A mediator or body named in a record must be one the caller may see (else "does not exist")."""
    if obj is None:
        return obj
    visible = visible_unit_ids(serializer.context["request"].user, offices=True)
    if visible is not None and obj.unit_id not in visible:
        raise serializers.ValidationError(_('Invalid pk "%(pk)s" - object does not exist.') % {"pk": obj.pk})
    return obj


class CentreSerializer(UnitScopedSerializer):
    offices = True

    class Meta:
        model = MediationCentre
        fields = [
            "id",
            "unit",
            "unit_name",
            "level",
            "name",
            "opened_on",
            "meets_standard",
            "resident_bodies",
        ]

    def validate_opened_on(self, value: dt.date | None) -> dt.date | None:
        return past_or_today(value)


class MediatorSerializer(UnitScopedSerializer):
    offices = True

    class Meta:
        model = Mediator
        fields = [
            "id",
            "unit",
            "unit_name",
            "name",
            "phone",
            "full_time",
            "background",
            "is_expert",
            "expert_field",
            "brand_room",
            "is_active",
        ]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        is_expert = attrs.get("is_expert", getattr(self.instance, "is_expert", False))
        field = attrs.get("expert_field", getattr(self.instance, "expert_field", ""))
        if is_expert and not field:
            raise serializers.ValidationError({"expert_field": [_("An expert needs a field.")]})
        return attrs


class BodySerializer(UnitScopedSerializer):
    offices = True

    class Meta:
        model = MediationBody
        fields = ["id", "unit", "unit_name", "name", "kind", "field", "lead", "is_model"]

    def validate_lead(self, value: Mediator | None) -> Mediator | None:
        return same_scope(self, value, "lead")


class PartySerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=50)
    role = serializers.ChoiceField(choices=["applicant", "respondent", "other"])


class SessionSerializer(ModelSerializer[DisputeSession]):
    class Meta:
        model = DisputeSession
        fields = ["id", "held_on", "mediator", "notes"]

    def validate_held_on(self, value: dt.date) -> dt.date:
        return past_or_today(value)  # type: ignore[return-value]

    def validate_mediator(self, value: Mediator | None) -> Mediator | None:
        return same_scope(self, value, "mediator")


class DisputeSerializer(UnitScopedSerializer):
    offices = True
    parties = PartySerializer(many=True)
    sessions = SessionSerializer(many=True, read_only=True)
    # The signed agreement is read through GET …/agreement (audited), never a public URL.
    has_agreement = serializers.SerializerMethodField()

    class Meta:
        model = Dispute
        fields = [
            "id",
            "unit",
            "unit_name",
            "received_on",
            "kind",
            "summary",
            "parties",
            "mediator",
            "body",
            "status",
            "outcome",
            "closed_on",
            "has_agreement",
            "sessions",
            "created_at",
        ]
        read_only_fields = ["status", "outcome", "closed_on", "created_at"]

    def get_has_agreement(self, dispute: Dispute) -> bool:
        return bool(dispute.agreement)

    def validate_received_on(self, value: dt.date) -> dt.date:
        return past_or_today(value)  # type: ignore[return-value]

    def validate_parties(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not 1 <= len(value) <= MAX_PARTIES:
            raise serializers.ValidationError(_("Between 1 and %(n)d parties.") % {"n": MAX_PARTIES})
        return value

    def validate_mediator(self, value: Mediator | None) -> Mediator | None:
        return same_scope(self, value, "mediator")

    def validate_body(self, value: MediationBody | None) -> MediationBody | None:
        return same_scope(self, value, "body")

    def update(self, instance: Dispute, validated_data: dict[str, Any]) -> Dispute:
        if instance.status in Dispute.CLOSED:
            raise serializers.ValidationError({"status": [_("A closed dispute cannot be changed.")]})
        updated: Dispute = super().update(instance, validated_data)
        return updated


class CloseSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(
        choices=[Dispute.Status.RESOLVED, Dispute.Status.FAILED, Dispute.Status.ESCALATED]
    )
    outcome = serializers.CharField(max_length=4000)
    closed_on = serializers.DateField(required=False)

    def validate_closed_on(self, value: dt.date) -> dt.date:
        return past_or_today(value)  # type: ignore[return-value]


class AgreementSerializer(serializers.Serializer[Any]):
    file = serializers.FileField()

    def validate_file(self, value: Any) -> Any:
        import filetype

        if value.size > MAX_AGREEMENT_BYTES:
            raise serializers.ValidationError(_("At most 10 MB."))
        head = value.read(261)
        value.seek(0)
        kind = filetype.guess(head)
        if kind is None or kind.mime not in AGREEMENT_TYPES:
            raise serializers.ValidationError(_("A PDF, JPEG or PNG file (judged by its content)."))
        return value


class ExpertOrderSerializer(ModelSerializer[ExpertRequest]):
    expert_name = serializers.CharField(source="expert.name", read_only=True, default="")
    field = serializers.ChoiceField(choices=DisputeKind.choices, required=False)

    class Meta:
        model = ExpertRequest
        fields = [
            "id",
            "dispute",
            "field",
            "requested_at",
            "expert",
            "expert_name",
            "status",
            "resolved",
            "outcome",
            "done_at",
        ]
        read_only_fields = ["requested_at", "expert", "status", "resolved", "outcome", "done_at"]

    def validate_dispute(self, value: Dispute) -> Dispute:
        visible = visible_unit_ids(self.context["request"].user, offices=True)
        if visible is not None and value.unit_id not in visible:
            raise serializers.ValidationError(
                _('Invalid pk "%(pk)s" - object does not exist.') % {"pk": value.pk}
            )
        return value


class CompleteSerializer(serializers.Serializer[Any]):
    resolved = serializers.BooleanField()
    outcome = serializers.CharField(max_length=4000)


class CreditRuleSerializer(ModelSerializer[CreditRule]):
    class Meta:
        model = CreditRule
        fields = ["id", "kind", "outcome", "points", "subsidy", "deduction"]


class YearSerializer(serializers.Serializer[Any]):
    year = serializers.IntegerField(min_value=MIN_YEAR, max_value=MAX_YEAR, required=False)


class MediatorCreditSerializer(serializers.Serializer[Any]):
    mediator_id = serializers.IntegerField()
    name = serializers.CharField()
    unit_id = serializers.IntegerField()
    disputes = serializers.IntegerField()
    points = serializers.DecimalField(max_digits=10, decimal_places=1)
    subsidy = serializers.DecimalField(max_digits=12, decimal_places=2)


class UnitDeductionSerializer(serializers.Serializer[Any]):
    unit_id = serializers.IntegerField()
    escalated = serializers.IntegerField()
    deduction = serializers.DecimalField(max_digits=8, decimal_places=1)


class CreditsSerializer(serializers.Serializer[Any]):
    year = serializers.IntegerField()
    full_time = serializers.IntegerField()
    mediators_total = serializers.IntegerField()
    mediators = MediatorCreditSerializer(many=True)
    deductions = UnitDeductionSerializer(many=True)
