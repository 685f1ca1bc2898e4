"""Risk conferences, the contract special review (self-checks and risky contracts), mock-trial scripts."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from backend.accounts.permissions import staff_user
from backend.bureau.api.mixins import (
    RETURN_FIELDS,
    RETURN_READ_ONLY,
    UnitReturnSerializer,
    UnitReturnViewSetMixin,
    UnitScopedSerializer,
    UnitScopedViewSetMixin,
)
from backend.bureau.models import Unit
from backend.core.api import ModelSerializer
from backend.lawadmin import services
from backend.lawadmin.api.serializers import check_date
from backend.lawadmin.models import ContractSelfCheck, MockTrialScript, RiskConference, RiskyContract


class RiskConferenceSerializer(ModelSerializer[RiskConference]):
    units = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), many=True, allow_empty=False)

    class Meta:
        model = RiskConference
        fields = ["id", "held_on", "topic", "units", "participants", "opinion"]

    def validate_held_on(self, value: Any) -> Any:
        return check_date(value)


class SelfCheckSerializer(UnitReturnSerializer):
    risky = serializers.IntegerField(source="risky.count", read_only=True)

    class Meta:
        model = ContractSelfCheck
        fields = [*RETURN_FIELDS, "year", "contracts_checked", "summary", "risky"]
        read_only_fields = RETURN_READ_ONLY
        validators: list[Any] = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        key = {k: attrs.get(k, getattr(self.instance, k, None)) for k in ("unit", "year")}
        clash = ContractSelfCheck.objects.filter(**key)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError({"year": [_("This unit has already filed this year.")]})
        return attrs


class RiskyContractSerializer(ModelSerializer[RiskyContract]):
    deadline = serializers.DateField(write_only=True)

    class Meta:
        model = RiskyContract
        fields = ["id", "title", "counterparty", "amount", "risk", "plan", "deadline"]

    def validate_deadline(self, value: Any) -> Any:
        return check_date(value)


class MockTrialScriptSerializer(UnitScopedSerializer):
    class Meta:
        model = MockTrialScript
        fields = ["id", "unit", "unit_name", "year", "title", "submitted_on", "score", "award"]

    def validate_submitted_on(self, value: Any) -> Any:
        return check_date(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if not staff_user(self.context["request"]).is_bureau_wide:
            for name in ("score", "award"):
                if attrs.get(name) not in (None, ""):
                    raise serializers.ValidationError({name: [_("The bureau's jury scores the scripts.")]})
        return attrs


class RiskConferenceViewSet(
    UnitScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet[RiskConference],
):
    """Inter-department risk conferences; a department's reporter sees those it took part in."""

    audit_resource = "risk_conference"
    serializer_class = RiskConferenceSerializer
    unit_field = "units"
    filterset_fields = ["held_on"]

    def get_queryset(self) -> QuerySet[RiskConference]:
        return self.scope(RiskConference.objects.prefetch_related("units")).distinct()


class ContractSelfCheckViewSet(
    UnitReturnViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet[ContractSelfCheck],
):
    """Units' self-checks of investment and project contracts, each risky contract with its plan."""

    audit_resource = "contract_self_check"
    serializer_class = SelfCheckSerializer
    reporter_actions = frozenset({"create", "update", "partial_update", "submit", "risky"})
    filterset_fields = ["unit", "year", "status"]

    def get_queryset(self) -> QuerySet[ContractSelfCheck]:
        return self.scope(ContractSelfCheck.objects.select_related("unit"))

    @extend_schema(methods=["get"], responses=RiskyContractSerializer(many=True))
    @extend_schema(
        methods=["post"], request=RiskyContractSerializer, responses={201: RiskyContractSerializer}
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def risky(self, request: Request, pk: str | None = None) -> Response:
        """The risky contracts of the self-check; adding one opens its rectification item."""
        self_check = self.get_object()
        if request.method == "GET":
            return Response(RiskyContractSerializer(self_check.risky.all(), many=True).data)
        form = RiskyContractSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        contract = services.flag_risky_contract(self_check, **form.validated_data, by=staff_user(request))
        return Response(RiskyContractSerializer(contract).data, status=status.HTTP_201_CREATED)


class MockTrialScriptViewSet(
    UnitScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet[MockTrialScript],
):
    """Mock administrative trial scripts (庭审剧本): departments submit, the bureau's jury scores."""

    audit_resource = "mock_trial_script"
    serializer_class = MockTrialScriptSerializer
    reporter_actions = frozenset({"create", "update", "partial_update"})
    filterset_fields = ["unit", "year", "award"]

    def get_queryset(self) -> QuerySet[MockTrialScript]:
        return self.scope(MockTrialScript.objects.select_related("unit"))
