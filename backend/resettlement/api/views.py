from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.models import Office
from backend.accounts.permissions import staff_user
from backend.accounts.scoping import scope_to_offices
from backend.audit.api.mixins import AuditedViewSetMixin
from backend.audit.models import AccessLog
from backend.audit.services import record_access
from backend.core.api import IdFilter
from backend.resettlement import services
from backend.resettlement.api.serializers import (
    AssistanceTeamSerializer,
    HandoverStepSerializer,
    OfficeRatesSerializer,
    OpenHandoverSerializer,
    RatesQuerySerializer,
    RecordStepSerializer,
    ResettlementAlertSerializer,
    ResolveAlertSerializer,
    SafetyScreeningSerializer,
    TeamMemberSerializer,
    VisitSerializer,
)
from backend.resettlement.ledgers import key_person_ledger
from backend.resettlement.models import (
    AssistanceTeam,
    HandoverStep,
    ResettlementAlert,
    SafetyScreening,
    Step,
    TeamMember,
    Visit,
)
from backend.supervision.api.serializers import REVEAL_ERRORS, REVEAL_PARAMETERS, checked_reveal
from backend.supervision.models import ReleasedPerson

PERSON_OFFICE = "released_person__office"


class HandoverStepFilter(filters.FilterSet):
    released_person = IdFilter(field_name="released_person_id")
    step = filters.ChoiceFilter(choices=Step.choices)
    done = filters.BooleanFilter(field_name="done_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = HandoverStep
        fields = ["released_person", "step", "done"]


class HandoverStepViewSet(AuditedViewSetMixin, viewsets.ReadOnlyModelViewSet[HandoverStep]):
    """Must receive, must deliver (必接必送): the steps of key persons released from prison."""

    audit_resource = "handover_step"
    serializer_class = HandoverStepSerializer
    filterset_class = HandoverStepFilter
    ordering_fields = ["deadline"]

    def get_queryset(self) -> QuerySet[HandoverStep]:
        queryset = HandoverStep.objects.select_related("released_person")
        return scope_to_offices(queryset, self.request.user, PERSON_OFFICE)

    @extend_schema(
        request=OpenHandoverSerializer,
        responses={201: HandoverStepSerializer(many=True)},
        tags=["resettlement"],
    )
    @action(detail=False, methods=["post"], pagination_class=None)
    def open(self, request: Request) -> Response:
        """Open the four steps of a key person released from prison (idempotent)."""
        form = OpenHandoverSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        steps = services.open_handover(form.validated_data["released_person"], staff_user(request))
        return Response(self.get_serializer(steps, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=RecordStepSerializer, responses={200: HandoverStepSerializer}, tags=["resettlement"]
    )
    @action(detail=True, methods=["post"])
    def record(self, request: Request, pk: str | None = None) -> Response:
        """Record the step as done (in order; being met at the gate needs the place and who)."""
        step = self.get_object()
        form = RecordStepSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        step = services.record_step(step, by=staff_user(request), **form.validated_data)
        return Response(self.get_serializer(step).data)


class AlertFilter(filters.FilterSet):
    released_person = IdFilter(field_name="released_person_id")
    office = IdFilter(field_name="office_id")
    status = filters.ChoiceFilter(choices=ResettlementAlert.Status.choices)

    class Meta:
        model = ResettlementAlert
        fields = ["released_person", "office", "status"]


class ResettlementAlertViewSet(AuditedViewSetMixin, viewsets.ReadOnlyModelViewSet[ResettlementAlert]):
    """Resettlement alerts (a handover step past its deadline) of the caller's offices."""

    audit_resource = "resettlement_alert"
    serializer_class = ResettlementAlertSerializer
    filterset_class = AlertFilter

    def get_queryset(self) -> QuerySet[ResettlementAlert]:
        queryset = ResettlementAlert.objects.select_related("released_person", "office")
        return scope_to_offices(queryset, self.request.user)

    @extend_schema(
        request=ResolveAlertSerializer, responses={200: ResettlementAlertSerializer}, tags=["resettlement"]
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        alert = self.get_object()
        form = ResolveAlertSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        alert = services.resolve_alert(alert, by=staff_user(request), note=form.validated_data["note"])
        return Response(self.get_serializer(alert).data)


class PersonFilter(filters.FilterSet):
    released_person = IdFilter(field_name="released_person_id")


class AssistanceTeamViewSet(
    AuditedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet[AssistanceTeam]
):
    """Assistance teams (帮教小组), one per released person, for five years."""

    audit_resource = "assistance_team"
    serializer_class = AssistanceTeamSerializer
    filterset_class = type(
        "TeamFilter",
        (PersonFilter,),
        {"Meta": type("Meta", (), {"model": AssistanceTeam, "fields": ["released_person"]})},
    )

    def get_queryset(self) -> QuerySet[AssistanceTeam]:
        queryset = AssistanceTeam.objects.select_related("released_person").prefetch_related("members")
        return scope_to_offices(queryset, self.request.user, PERSON_OFFICE)

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.create_team(data["released_person"], data.get("period_start"))


class TeamMemberViewSet(
    AuditedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet[TeamMember],
):
    """Members of assistance teams (village cadre, family, police, volunteer)."""

    audit_resource = "assistance_team_member"
    serializer_class = TeamMemberSerializer
    filterset_fields = ["role"]

    def get_queryset(self) -> QuerySet[TeamMember]:
        return scope_to_offices(TeamMember.objects.all(), self.request.user, "team__" + PERSON_OFFICE)

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = services.add_member(data.pop("team"), **data)


class VisitViewSet(AuditedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet[Visit]):
    """Visits (走访帮教) to released persons."""

    audit_resource = "resettlement_visit"
    serializer_class = VisitSerializer
    filterset_class = type(
        "VisitFilter",
        (PersonFilter,),
        {"Meta": type("Meta", (), {"model": Visit, "fields": ["released_person"]})},
    )
    ordering_fields = ["visited_on"]

    def get_queryset(self) -> QuerySet[Visit]:
        return scope_to_offices(
            Visit.objects.select_related("released_person"), self.request.user, PERSON_OFFICE
        )

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = services.record_visit(
            data.pop("released_person"), staff_user(self.request), **data
        )


class SafetyScreeningViewSet(
    AuditedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet[SafetyScreening]
):
    """Quarterly safety-hazard screenings (安全隐患排查) of released persons."""

    audit_resource = "safety_screening"
    serializer_class = SafetyScreeningSerializer
    filterset_class = type(
        "ScreeningFilter",
        (PersonFilter,),
        {"Meta": type("Meta", (), {"model": SafetyScreening, "fields": ["released_person"]})},
    )

    def get_queryset(self) -> QuerySet[SafetyScreening]:
        queryset = SafetyScreening.objects.select_related("released_person")
        return scope_to_offices(queryset, self.request.user, PERSON_OFFICE)

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = services.record_screening(
            data.pop("released_person"), staff_user(self.request), **data
        )


class RatesView(APIView):
    """Hand-over rate and pickup rate per office of the caller, over persons released in a period."""

    @extend_schema(
        parameters=[RatesQuerySerializer], responses=OfficeRatesSerializer(many=True), tags=["resettlement"]
    )
    def get(self, request: Request) -> Response:
        form = RatesQuerySerializer(data=request.query_params)
        form.is_valid(raise_exception=True)
        offices = scope_to_offices(Office.objects.filter(kind=Office.Kind.OFFICE), request.user, "pk")
        rows = services.office_rates(offices, form.validated_data["start"], form.validated_data["end"])
        return Response(OfficeRatesSerializer(rows, many=True).data)


class KeyPersonLedgerView(APIView):
    """The key-person ledger (重点人员台账): one row per key person the caller may see, as XLSX.

    Identity numbers are masked; ``?reveal=id_number&reason=…`` gives them in full to those who may
    see them (office heads, the bureau head, administrators), the reveal logged with its reason."""

    documented_errors = {"get": REVEAL_ERRORS}

    @extend_schema(
        parameters=REVEAL_PARAMETERS,
        responses={
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiResponse(
                OpenApiTypes.BINARY, description="XLSX ledger"
            )
        },
        tags=["resettlement"],
    )
    def get(self, request: Request) -> FileResponse:
        people = scope_to_offices(ReleasedPerson.objects.all(), request.user)
        full = request.query_params.get("reveal") == "id_number"
        reason = checked_reveal(request, "key_person_ledger") if full else ""
        response = key_person_ledger(people, show_id_numbers=full)
        record_access(
            request,
            action=AccessLog.Action.EXPORT,
            resource="key_person_ledger",
            detail={
                "rows": response.ledger_rows,  # type: ignore[attr-defined]
                "date": timezone.localdate().isoformat(),
                "id_numbers": "full" if full else "masked",
            },
            reason=reason,
        )
        return response
