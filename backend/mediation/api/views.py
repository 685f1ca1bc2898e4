"""Mediation's API: centres, mediators, bodies, the dispute ledger (sessions, closing, agreements),
experts ordered on demand, the rule table and the credits computed from it."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.filters import SearchFilter
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from backend.accounts.permissions import staff_user
from backend.bureau.api.mixins import LedgerMixin, UnitScopedViewSetMixin
from backend.bureau.scoping import visible_unit_ids
from backend.core.ledger import Column
from backend.core.parsers import StrictJSONParser
from backend.mediation import services
from backend.mediation.api.serializers import (
    AgreementSerializer,
    BodySerializer,
    CentreSerializer,
    CloseSerializer,
    CompleteSerializer,
    CreditRuleSerializer,
    CreditsSerializer,
    DisputeSerializer,
    ExpertOrderSerializer,
    MediatorSerializer,
    SessionSerializer,
    YearSerializer,
)
from backend.mediation.models import (
    CreditRule,
    Dispute,
    ExpertRequest,
    MediationBody,
    MediationCentre,
    Mediator,
)

_WRITES = frozenset({"create", "update", "partial_update"})


class _TownRecords(UnitScopedViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin):
    """Towns (their justice office and reporter) keep their own records; the bureau sees all."""

    office_roles_allowed = True
    reporter_actions = office_actions = _WRITES


class CentreViewSet(_TownRecords, viewsets.ReadOnlyModelViewSet[MediationCentre]):
    """One-stop mediation centres of the city and the towns."""

    audit_resource = "mediation_centre"
    serializer_class = CentreSerializer
    filterset_fields = ["unit", "level", "meets_standard"]

    def get_queryset(self) -> QuerySet[MediationCentre]:
        return self.scope(MediationCentre.objects.select_related("unit"))


class MediatorViewSet(_TownRecords, viewsets.ReadOnlyModelViewSet[Mediator]):
    """Mediators, full- or part-time; the expert pool is those with ``is_expert``."""

    audit_resource = "mediator"
    serializer_class = MediatorSerializer
    filterset_fields = ["unit", "full_time", "background", "is_expert", "expert_field", "is_active"]
    search_fields = ["name", "brand_room"]
    filter_backends = [*viewsets.ReadOnlyModelViewSet.filter_backends, SearchFilter]  # type: ignore[misc]

    def get_queryset(self) -> QuerySet[Mediator]:
        return self.scope(Mediator.objects.select_related("unit"))


class BodyViewSet(_TownRecords, viewsets.ReadOnlyModelViewSet[MediationBody]):
    """Mediation committees, industry mediation bodies and personal brand rooms."""

    audit_resource = "mediation_body"
    serializer_class = BodySerializer
    filterset_fields = ["unit", "kind", "field", "is_model"]

    def get_queryset(self) -> QuerySet[MediationBody]:
        return self.scope(MediationBody.objects.select_related("unit"))


class DisputeViewSet(_TownRecords, LedgerMixin, viewsets.ReadOnlyModelViewSet[Dispute]):
    """The dispute ledger (矛盾纠纷台账); every read is audited (parties are personal data)."""

    audit_resource = "dispute"
    serializer_class = DisputeSerializer
    reporter_actions = office_actions = _WRITES | {"sessions", "close", "agreement"}
    filterset_fields = ["unit", "kind", "status", "mediator", "received_on"]
    search_fields = ["summary"]
    filter_backends = [*viewsets.ReadOnlyModelViewSet.filter_backends, SearchFilter]  # type: ignore[misc]
    ledger_title = _("Dispute ledger")
    ledger_filename = "disputes.xlsx"
    ledger_columns = (
        Column(_("unit"), width=20),
        Column(_("received on"), "date"),
        Column(_("kind")),
        Column(_("summary"), width=40),
        Column(_("mediator")),
        Column(_("sessions"), "int"),
        Column(_("status")),
        Column(_("closed on"), "date"),
        Column(_("outcome"), width=30),
    )

    def get_queryset(self) -> QuerySet[Dispute]:
        return self.scope(Dispute.objects.select_related("unit", "mediator").prefetch_related("sessions"))

    def perform_create(self, serializer: Any) -> None:
        serializer.save(created_by=staff_user(self.request))

    def ledger_row(self, dispute: Dispute) -> list[Any]:
        return [
            dispute.unit.name,
            dispute.received_on,
            dispute.get_kind_display(),
            dispute.summary,
            dispute.mediator.name if dispute.mediator else "",
            len(dispute.sessions.all()),
            dispute.get_status_display(),
            dispute.closed_on,
            dispute.outcome,
        ]

    @extend_schema(request=SessionSerializer, responses={201: SessionSerializer})
    @action(detail=True, methods=["post"])
    def sessions(self, request: Request, pk: str | None = None) -> Response:
        """Record a mediation session of the dispute."""
        dispute = self.get_object()
        if dispute.status in Dispute.CLOSED:
            raise ValidationError({"status": [_("The dispute is already closed.")]})
        form = SessionSerializer(data=request.data, context=self.get_serializer_context())
        form.is_valid(raise_exception=True)
        form.save(dispute=dispute)
        if dispute.status == Dispute.Status.RECEIVED:
            dispute.status = Dispute.Status.MEDIATING
            dispute.save(update_fields=["status"])
        return Response(form.data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CloseSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        """Close the dispute: resolved, failed, or escalated beyond the town (外溢, a deduction)."""
        dispute = self.get_object()  # another town's dispute is a 404 before its body is judged
        form = CloseSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        dispute = services.close_dispute(dispute, **form.validated_data)
        return Response(self.get_serializer(dispute).data)

    @extend_schema(
        methods=["GET"],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="the agreement"
            )
        },
    )
    @extend_schema(
        methods=["POST"], request={"multipart/form-data": AgreementSerializer}, responses=DisputeSerializer
    )
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser, StrictJSONParser])
    def agreement(self, request: Request, pk: str | None = None) -> Any:
        """GET: the signed mediation agreement (an audited read). POST: attach it (PDF or image,
        judged by its content)."""
        dispute = self.get_object()
        if request.method == "GET":
            if not dispute.agreement:
                raise NotFound(_("No agreement is attached."))
            # As the spec documents it: a download, whatever the stored file's type.
            return FileResponse(
                dispute.agreement.open("rb"), content_type="application/octet-stream", as_attachment=True
            )
        form = AgreementSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        dispute.agreement.save(form.validated_data["file"].name[-80:], form.validated_data["file"], save=True)
        return Response(self.get_serializer(dispute).data)

    @extend_schema(parameters=[OpenApiParameter("year", int)], responses=CreditsSerializer)
    @action(detail=False, methods=["get"])
    def credits(self, request: Request) -> Response:
        """Mediators' credit points and subsidies, towns' deductions, from the rule table (a year)."""
        form = YearSerializer(data=request.query_params)
        form.is_valid(raise_exception=True)
        year = form.validated_data.get("year") or timezone.localdate().year
        visible = visible_unit_ids(request.user, offices=True)
        mediators, deductions = services.credits(year, unit_ids=visible)
        full, total = services.full_time_share(visible)
        data = {
            "year": year,
            "full_time": full,
            "mediators_total": total,
            "mediators": mediators,
            "deductions": deductions,
        }
        return Response(CreditsSerializer(data).data)


class ExpertRequestViewSet(
    UnitScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet[ExpertRequest]
):
    """Experts ordered on demand (点单式): a town orders, the rule assigns, the outcome comes back."""

    audit_resource = "expert_request"
    serializer_class = ExpertOrderSerializer
    unit_field = "dispute__unit"
    office_roles_allowed = True
    reporter_actions = office_actions = frozenset({"create", "complete"})
    filterset_fields = ["status", "field", "expert"]

    def get_queryset(self) -> QuerySet[ExpertRequest]:
        return self.scope(ExpertRequest.objects.select_related("dispute", "expert"))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = self.get_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        created = services.order_expert(
            form.validated_data["dispute"], field=form.validated_data.get("field"), by=staff_user(request)
        )
        return Response(self.get_serializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CompleteSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        """The expert's outcome, back to the town."""
        request_ = self.get_object()
        form = CompleteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        done = services.complete_expert_request(request_, **form.validated_data)
        return Response(self.get_serializer(done).data)


class CreditRuleViewSet(
    UnitScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.ReadOnlyModelViewSet[CreditRule],
):
    """The rule table of credit points, subsidies and deductions: everyone reads, the bureau writes."""

    audit_resource = "credit_rule"
    serializer_class = CreditRuleSerializer
    office_roles_allowed = True
    pagination_class = None
    queryset = CreditRule.objects.all()
