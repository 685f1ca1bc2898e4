from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from backend.accounts.models import User
from backend.accounts.scoping import visible_office_ids
from backend.core.api import ClientDateTimeField, ModelSerializer
from backend.resettlement.models import (
    AssistanceTeam,
    HandoverStep,
    ResettlementAlert,
    SafetyScreening,
    TeamMember,
    Visit,
)
from backend.supervision.models import ReleasedPerson


def scoped_people(request: Any) -> Any:
    people = ReleasedPerson.objects.all()
    if request is None or not isinstance(request.user, User):
        return people.none()
    office_ids = visible_office_ids(request.user)
    return people if office_ids is None else people.filter(office_id__in=office_ids)


class _PersonScoped(ModelSerializer[Any]):
    """The ``released_person`` field takes only people of the caller's offices (others: 400)."""

    released_person_name = serializers.CharField(source="released_person.name", read_only=True)

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        if "released_person" in fields and not fields["released_person"].read_only:
            fields["released_person"].queryset = scoped_people(self.context.get("request"))  # type: ignore[attr-defined]
        return fields


class HandoverStepSerializer(_PersonScoped):
    step_label = serializers.CharField(source="get_step_display", read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = HandoverStep
        fields = [
            "id",
            "released_person",
            "released_person_name",
            "step",
            "step_label",
            "deadline",
            "done_at",
            "place",
            "people",
            "notes",
            "recorded_by",
            "recorded_at",
            "overdue",
        ]
        read_only_fields = fields

    def get_overdue(self, obj: HandoverStep) -> bool:
        from django.utils import timezone

        return obj.done_at is None and obj.deadline < timezone.now()


class OpenHandoverSerializer(serializers.Serializer[Any]):
    released_person = serializers.PrimaryKeyRelatedField(queryset=ReleasedPerson.objects.none())

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["released_person"].queryset = scoped_people(self.context.get("request"))  # type: ignore[attr-defined]
        return fields


class RecordStepSerializer(serializers.Serializer[Any]):
    done_at = ClientDateTimeField()
    place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    people = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ResettlementAlertSerializer(ModelSerializer[ResettlementAlert]):
    released_person_name = serializers.CharField(source="released_person.name", read_only=True)
    office_name = serializers.CharField(source="office.name", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    step_label = serializers.CharField(source="get_step_display", read_only=True)

    class Meta:
        model = ResettlementAlert
        fields = [
            "id",
            "kind",
            "kind_label",
            "released_person",
            "released_person_name",
            "office",
            "office_name",
            "step",
            "step_label",
            "deadline",
            "raised_at",
            "console_seq",
            "status",
            "resolved_by",
            "resolved_at",
            "resolution_note",
        ]
        read_only_fields = fields


class ResolveAlertSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=2000)


class TeamMemberSerializer(ModelSerializer[TeamMember]):
    class Meta:
        model = TeamMember
        fields = ["id", "team", "name", "role", "phone", "organisation", "joined_on", "left_on"]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        people = scoped_people(self.context.get("request"))
        fields["team"].queryset = AssistanceTeam.objects.filter(released_person__in=people)  # type: ignore[attr-defined]
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        joined = attrs.get("joined_on", getattr(self.instance, "joined_on", None))
        left = attrs.get("left_on", getattr(self.instance, "left_on", None))
        if joined and left and left < joined:
            raise serializers.ValidationError({"left_on": [_("A member cannot leave before joining.")]})
        return attrs


class AssistanceTeamSerializer(_PersonScoped):
    members = TeamMemberSerializer(many=True, read_only=True)

    class Meta:
        model = AssistanceTeam
        fields = [
            "id",
            "released_person",
            "released_person_name",
            "period_start",
            "period_end",
            "members",
            "created_at",
        ]
        read_only_fields = ["period_end", "created_at"]
        extra_kwargs = {"period_start": {"required": False}}


class VisitSerializer(_PersonScoped):
    class Meta:
        model = Visit
        fields = [
            "id",
            "released_person",
            "released_person_name",
            "visited_on",
            "place",
            "visitors",
            "notes",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = ["recorded_by", "created_at"]


class SafetyScreeningSerializer(_PersonScoped):
    class Meta:
        model = SafetyScreening
        fields = [
            "id",
            "released_person",
            "released_person_name",
            "year",
            "quarter",
            "hazard",
            "incidents",
            "findings",
            "screened_on",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = ["recorded_by", "created_at"]
        # The service answers a second screening of a quarter with a field-level 400.
        validators: list[Any] = []


class OfficeRatesSerializer(serializers.Serializer[Any]):
    office = serializers.IntegerField(source="office_id")
    office_name = serializers.CharField()
    released = serializers.IntegerField()
    received = serializers.IntegerField()
    key_persons = serializers.IntegerField()
    met_at_gate = serializers.IntegerField()
    handover_rate = serializers.FloatField(allow_null=True)
    pickup_rate = serializers.FloatField(allow_null=True)


class RatesQuerySerializer(serializers.Serializer[Any]):
    start = serializers.DateField(
        required=False, help_text="First release date counted (default: 1 January)."
    )
    end = serializers.DateField(required=False, help_text="Last release date counted (default: today).")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        from django.utils import timezone

        today = timezone.localdate()
        attrs.setdefault("end", today)
        attrs.setdefault("start", attrs["end"].replace(month=1, day=1))
        for name in ("start", "end"):
            if not 2000 <= attrs[name].year <= 2099:
                raise serializers.ValidationError({name: [_("A date between 2000 and 2099.")]})
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": [_("The end cannot be before the start.")]})
        return attrs
