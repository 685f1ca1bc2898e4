"""Litigation, legality review, contract catalogues and notices, rule-of-law inspections."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import SearchFilter
from rest_framework.request import Request
from rest_framework.response import Response

from backend.accounts.permissions import staff_user
from backend.bureau.api.mixins import LedgerMixin, UnitReturnViewSetMixin, UnitScopedViewSetMixin
from backend.bureau.api.serializers import RectificationItemSerializer, UnitSerializer
from backend.core.ledger import Column
from backend.lawadmin import services
from backend.lawadmin.api.officers import YEAR, year_of
from backend.lawadmin.api.serializers import (
    ComplianceNoticeSerializer,
    ContractCatalogueSerializer,
    FindingSerializer,
    InspectionRubricSerializer,
    InspectionScoresSerializer,
    InspectionSerializer,
    LateReporterSerializer,
    LegalityReviewSerializer,
    LitigationCaseSerializer,
    QuarterSerializer,
    UnitStatisticsSerializer,
)
from backend.lawadmin.models import (
    ComplianceNotice,
    ContractCatalogue,
    InspectionRubric,
    LegalityReview,
    LitigationCase,
    RuleOfLawInspection,
)

_REPORTER_WRITES = frozenset({"create", "update", "partial_update"})


class LitigationCaseViewSet(
    UnitScopedViewSetMixin,
    LedgerMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet[LitigationCase],
):
    """Administrative litigation cases reported by the units sued (within 5 days of being served)."""

    audit_resource = "litigation_case"
    serializer_class = LitigationCaseSerializer
    reporter_actions = _REPORTER_WRITES
    filterset_fields = ["unit", "stage", "outcome", "is_key"]
    search_fields = ["case_number", "cause", "plaintiff"]
    filter_backends = [*viewsets.ReadOnlyModelViewSet.filter_backends, SearchFilter]  # type: ignore[misc]
    ledger_title = _("Administrative litigation ledger")
    ledger_filename = "litigation-ledger.xlsx"
    ledger_columns = (
        Column(_("defendant unit"), width=24),
        Column(_("case number"), width=24),
        Column(_("court"), width=20),
        Column(_("cause of action"), width=24),
        Column(_("complaint served on"), "date"),
        Column(_("reported on"), "date"),
        Column(_("reported late"), "bool", 8),
        Column(_("stage")),
        Column(_("outcome")),
        Column(_("key case"), "bool", 8),
    )

    def get_queryset(self) -> QuerySet[LitigationCase]:
        return self.scope(LitigationCase.objects.select_related("unit"))

    def ledger_row(self, case: LitigationCase) -> list[Any]:
        return [
            case.unit.name,
            case.case_number,
            case.court,
            case.cause,
            case.served_on,
            case.reported_on,
            case.reported_late,
            case.get_stage_display(),
            case.get_outcome_display(),
            case.is_key,
        ]

    def _of_year(self, request: Request) -> QuerySet[LitigationCase]:
        return self.filter_queryset(self.get_queryset()).filter(served_on__year=year_of(request))

    @extend_schema(parameters=[YEAR], responses=UnitStatisticsSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None)
    def statistics(self, request: Request) -> Response:
        """Per unit: cases served in the year, decided, won, lost, late; win and loss rates of decided cases."""
        rows = services.litigation_statistics(self._of_year(request))
        data = [{**row.__dict__, "win_rate": row.win_rate, "loss_rate": row.loss_rate} for row in rows]
        return Response(UnitStatisticsSerializer(data, many=True).data)

    @extend_schema(parameters=[YEAR], responses=LateReporterSerializer(many=True))
    @action(detail=False, methods=["get"], url_path="late-reporters", pagination_class=None)
    def late_reporters(self, request: Request) -> Response:
        """Units that reported a case after the 5-day deadline, most late cases first."""
        return Response(
            LateReporterSerializer(services.late_reporters(self._of_year(request)), many=True).data
        )


class LegalityReviewViewSet(
    UnitScopedViewSetMixin,
    LedgerMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet[LegalityReview],
):
    """Legality review of normative documents, major decisions and contracts (the bureau's record)."""

    audit_resource = "legality_review"
    serializer_class = LegalityReviewSerializer
    filterset_fields = ["unit", "kind", "opinion"]
    ledger_title = _("Legality review ledger")
    ledger_filename = "legality-review-ledger.xlsx"
    ledger_columns = (
        Column(_("unit"), width=24),
        Column(_("kind")),
        Column(_("title"), width=40),
        Column(_("received on"), "date"),
        Column(_("reviewed on"), "date"),
        Column(_("opinion")),
    )

    def get_queryset(self) -> QuerySet[LegalityReview]:
        return self.scope(LegalityReview.objects.select_related("unit"))

    def perform_create(self, serializer: Any) -> None:
        serializer.save(reviewer=staff_user(self.request))

    def ledger_row(self, review: LegalityReview) -> list[Any]:
        return [
            review.unit.name,
            review.get_kind_display(),
            review.title,
            review.received_on,
            review.reviewed_on,
            review.get_opinion_display(),
        ]


class ContractCatalogueViewSet(
    UnitReturnViewSetMixin,
    LedgerMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet[ContractCatalogue],
):
    """Each unit's quarterly contract catalogue (a unit's return); notices for those who miss one."""

    audit_resource = "contract_catalogue"
    serializer_class = ContractCatalogueSerializer
    bureau_actions = frozenset({"review", "missing", "notices"})
    filterset_fields = ["unit", "year", "quarter", "status"]
    ledger_title = _("Contract catalogue filings")
    ledger_filename = "contract-catalogues.xlsx"
    ledger_columns = (
        Column(_("unit"), width=24),
        Column(_("year"), "int", 8),
        Column(_("quarter"), "int", 8),
        Column(_("contracts signed"), "int"),
        Column(_("contracts reviewed for legality"), "int"),
        Column(_("return status")),
        Column(_("submitted at"), "datetime", 18),
    )
    documented_errors = {"notices": {"201": "The notices issued."}}

    def get_queryset(self) -> QuerySet[ContractCatalogue]:
        return self.scope(ContractCatalogue.objects.select_related("unit"))

    def ledger_row(self, row: ContractCatalogue) -> list[Any]:
        return [
            row.unit.name,
            row.year,
            row.quarter,
            row.contracts,
            row.reviewed,
            row.get_status_display(),
            row.submitted_at,
        ]

    @extend_schema(parameters=[QuarterSerializer], responses=UnitSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None)
    def missing(self, request: Request) -> Response:
        """Departments and towns that have not filed the quarter's catalogue."""
        form = QuarterSerializer(data=request.query_params)
        form.is_valid(raise_exception=True)
        return Response(UnitSerializer(services.missing_catalogues(**form.validated_data), many=True).data)

    @extend_schema(request=QuarterSerializer, responses={201: ComplianceNoticeSerializer(many=True)})
    @action(detail=False, methods=["post"], pagination_class=None)
    def notices(self, request: Request) -> Response:
        """Issue a compliance notice (提示单) to every unit that missed the quarter (once per unit)."""
        form = QuarterSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        notices = services.issue_compliance_notices(**form.validated_data, by=staff_user(request))
        return Response(ComplianceNoticeSerializer(notices, many=True).data, status=status.HTTP_201_CREATED)


class ComplianceNoticeViewSet(UnitScopedViewSetMixin, viewsets.ReadOnlyModelViewSet[ComplianceNotice]):
    """Compliance notices (依法行政工作提示单): the unit reads and acknowledges its own."""

    audit_resource = "compliance_notice"
    serializer_class = ComplianceNoticeSerializer
    reporter_actions = frozenset({"acknowledge"})
    filterset_fields = ["unit", "year", "quarter"]

    def get_queryset(self) -> QuerySet[ComplianceNotice]:
        return self.scope(ComplianceNotice.objects.select_related("unit"))

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        """The unit confirms it received the notice."""
        return Response(self.get_serializer(services.acknowledge_notice(self.get_object())).data)

    @extend_schema(
        responses={(200, "text/html"): OpenApiResponse(OpenApiTypes.BINARY, description="The notice")}
    )
    @action(detail=True, methods=["get"])
    def document(self, request: Request, pk: str | None = None) -> FileResponse:
        """The notice as issued (an HTML document to print)."""
        notice = self.get_object()
        return FileResponse(notice.document.open("rb"), content_type="text/html; charset=utf-8")


class InspectionRubricViewSet(
    UnitScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet[InspectionRubric],
):
    """The weighted scoring rubric of each half-year's inspections (weights add up to 100)."""

    audit_resource = "inspection_rubric"
    serializer_class = InspectionRubricSerializer
    reporters_allowed = True
    filterset_fields = ["year", "half"]

    def get_queryset(self) -> QuerySet[InspectionRubric]:
        return InspectionRubric.objects.prefetch_related("items")


class RuleOfLawInspectionViewSet(
    UnitScopedViewSetMixin,
    LedgerMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet[RuleOfLawInspection],
):
    """Rule-of-law inspections (法治督察): scored on the rubric; findings become rectification items."""

    audit_resource = "rule_of_law_inspection"
    serializer_class = InspectionSerializer
    filterset_fields = ["unit", "rubric", "status"]
    ledger_title = _("Rule-of-law inspection scores")
    ledger_filename = "rule-of-law-inspections.xlsx"
    ledger_columns = (
        Column(_("unit"), width=24),
        Column(_("rubric"), width=24),
        Column(_("inspected on"), "date"),
        Column(_("weighted total"), "number"),
        Column(_("status")),
    )

    def get_queryset(self) -> QuerySet[RuleOfLawInspection]:
        return self.scope(RuleOfLawInspection.objects.select_related("unit", "rubric"))

    def perform_create(self, serializer: Any) -> None:
        serializer.save(created_by=staff_user(self.request))

    def ledger_row(self, row: RuleOfLawInspection) -> list[Any]:
        return [row.unit.name, row.rubric.title, row.inspected_on, row.total, row.get_status_display()]

    @extend_schema(request=InspectionScoresSerializer)
    @action(detail=True, methods=["post"])
    def score(self, request: Request, pk: str | None = None) -> Response:
        """Score every criterion of the rubric; the weighted total is computed."""
        inspection = self.get_object()
        form = InspectionScoresSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        rows = form.validated_data["scores"]
        inspection = services.score_inspection(
            inspection,
            {row["item"]: row["score"] for row in rows},
            {row["item"]: row["note"] for row in rows},
        )
        return Response(self.get_serializer(inspection).data)

    @extend_schema(request=FindingSerializer, responses={201: RectificationItemSerializer})
    @action(detail=True, methods=["post"])
    def findings(self, request: Request, pk: str | None = None) -> Response:
        """A problem found: it becomes the unit's rectification item, linked to the inspection."""
        inspection = self.get_object()
        form = FindingSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        item = services.add_finding(inspection, **form.validated_data, by=staff_user(request))
        return Response(
            RectificationItemSerializer(item, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )
