"""Screenings: start one, follow it, read and review its results, export its ledger, read the rules.

Runs: bureau roles see and start county-wide or any office's runs; office staff see their office's
runs and the county-wide ones, whose results are cut to their office; office heads start runs
of their own office. Results are personal data: every read and the export are in the access log.
"""

from __future__ import annotations

import tempfile
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.api.errors import flatten_errors
from backend.accounts.models import BUREAU_WIDE_ROLES, Office, Role
from backend.accounts.permissions import staff_user
from backend.accounts.scoping import scope_to_offices, visible_office_ids
from backend.audit.api.mixins import AuditedViewSetMixin
from backend.audit.models import AccessLog
from backend.audit.services import record_access
from backend.core.api import MAX_PAGE_SIZE, IdFilter
from backend.core.ledger import XLSX_CONTENT_TYPE
from backend.screening.api.serializers import (
    ReviewSerializer,
    RuleTableSerializer,
    ScreeningResultSerializer,
    ScreeningSerializer,
    StartScreeningSerializer,
)
from backend.screening.factors import KNOWN_ABSENT, factor_for, registered_factors
from backend.screening.models import Screening, ScreeningResult
from backend.screening.rules import Band, PersonKind
from backend.screening.services import (
    ScreeningError,
    active_rule_table,
    review_result,
    start_screening,
    write_screening_ledger,
)

# Who may start a county-wide run (read-only auditors may not).
BUREAU_STARTERS = frozenset(BUREAU_WIDE_ROLES - {Role.AUDITOR})


class XlsxRenderer(BaseRenderer):
    """Lets a client ask for the ledger by its type; the view answers the file itself."""

    media_type = XLSX_CONTENT_TYPE
    format = "xlsx"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        return b""


class ResultFilter(filters.FilterSet):
    office = IdFilter(field_name="office_id")
    person = IdFilter(field_name="person_id")
    band = filters.ChoiceFilter(choices=Band.choices)
    person_kind = filters.ChoiceFilter(choices=PersonKind.choices)
    needs_review = filters.BooleanFilter()
    reviewed = filters.BooleanFilter(field_name="reviewed_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = ScreeningResult
        fields = ["office", "person", "band", "person_kind", "needs_review", "reviewed"]


class ScreeningFilter(filters.FilterSet):
    office = IdFilter(field_name="office_id")
    status = filters.ChoiceFilter(choices=Screening.Status.choices)
    quarter = filters.CharFilter(max_length=6)

    class Meta:
        model = Screening
        fields = ["office", "status", "quarter"]


class ScreeningViewSet(
    AuditedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet[Screening]
):
    """Quarterly risk screenings (季度风险排查)."""

    audit_resource = "screening"
    serializer_class = ScreeningSerializer
    filterset_class = ScreeningFilter
    ordering_fields = ["id", "created_at"]

    def get_queryset(self) -> QuerySet[Screening]:
        queryset = Screening.objects.select_related("office", "rule_table")
        offices = visible_office_ids(self.request.user)
        if offices is None:
            return queryset
        if not offices:
            return queryset.none()
        return queryset.filter(Q(office__in=offices) | Q(office=None))

    def get_serializer_class(self) -> Any:
        if self.action == "results":
            return ScreeningResultSerializer
        if self.action == "review":
            return ReviewSerializer
        return super().get_serializer_class()

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action in ("results", "export", "review"):
            return queryset  # their filters apply to the results (below), not to the runs
        return super().filter_queryset(queryset)

    def _results(self, screening: Screening) -> QuerySet[ScreeningResult]:
        return scope_to_offices(screening.results.all(), self.request.user)

    @extend_schema(
        request=StartScreeningSerializer,
        responses={201: ScreeningSerializer},
        tags=["screening"],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Start a screening; it runs on the workers (follow it here or on the console)."""
        user = staff_user(request)
        form = StartScreeningSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        office_id = form.validated_data.get("office", None)
        bureau = user.is_superuser or user.role in BUREAU_STARTERS
        if not bureau and user.role != Role.OFFICE_HEAD:
            raise PermissionDenied(_("Only office heads and bureau staff start screenings."))
        if not bureau:
            office_id = office_id or user.office_id
            if office_id != user.office_id:
                raise ValidationError({"office": [_("Office heads screen their own office.")]})
        office = None
        if office_id is not None:
            office = Office.objects.filter(pk=office_id, kind=Office.Kind.OFFICE).first()
            if office is None:
                raise ValidationError({"office": [_("No such office.")]})
        try:
            with transaction.atomic():
                screening = start_screening(
                    quarter=form.validated_data.get("quarter"), office=office, user=user
                )
        except ScreeningError as exc:
            raise ValidationError({exc.field: [str(exc)]}) from None
        screening.refresh_from_db()
        return Response(ScreeningSerializer(screening).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses=ScreeningResultSerializer(many=True),
        tags=["screening"],
        filters=False,
        parameters=[
            OpenApiParameter("band", str, enum=Band.values),
            OpenApiParameter("person_kind", str, enum=PersonKind.values),
            OpenApiParameter("needs_review", bool),
            OpenApiParameter("reviewed", bool, description="Reviewed (true) or not yet (false)"),
            OpenApiParameter("office", int),
            OpenApiParameter("person", int, description="The person's id (of their kind)"),
            OpenApiParameter("limit", int, description=f"At most {MAX_PAGE_SIZE}"),
            OpenApiParameter("offset", int),
        ],
    )
    @action(detail=True, methods=["get"])
    def results(self, request: Request, pk: str | None = None) -> Response:
        """The people of a run (of the caller's offices), highest score first; filter to review them."""
        results = self._results(self.get_object()).select_related("office", "reviewed_by")
        chosen = ResultFilter(request.query_params, queryset=results, request=request)
        if not chosen.is_valid():
            raise ValidationError(flatten_errors(chosen.errors))
        queryset = chosen.qs.order_by("-score", "id")
        page = self.paginate_queryset(queryset)
        rows = ScreeningResultSerializer(page, many=True).data
        self.audit_detail = {"ids": [row["person_id"] for row in rows][:500]}
        return self.get_paginated_response(rows)

    @extend_schema(
        request=ReviewSerializer,
        responses=ScreeningResultSerializer,
        tags=["screening"],
        operation_id="screenings_results_review",
    )
    @action(detail=True, methods=["post"], url_path="results/<int:result_id>/review")
    def review(self, request: Request, pk: str | None = None, result_id: int | None = None) -> Response:
        """The reviewer's conclusion on one person; an override band needs its reason."""
        user = staff_user(request)
        body = request.data  # a body too deep, too large or not JSON is refused before any lookup
        result = get_object_or_404(self._results(self.get_object()), pk=result_id)
        form = ReviewSerializer(data=body)
        form.is_valid(raise_exception=True)
        try:
            result = review_result(result, user, **form.validated_data)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict) from None
        self.audit_detail = {"result": result.pk, "person_id": result.person_id, "band": result.final_band}
        return Response(ScreeningResultSerializer(result).data)

    @extend_schema(
        responses={(200, XLSX_CONTENT_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="The ledger")},
        tags=["screening"],
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="export.xlsx",
        renderer_classes=[JSONRenderer, XlsxRenderer],
    )
    def export(self, request: Request, pk: str | None = None) -> FileResponse:
        """The run's ledger (风险排查台账) as XLSX, the caller's offices only; audited as an export."""
        screening = self.get_object()
        spool = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the response closes (and deletes) it
        rows = write_screening_ledger(spool, screening, self._results(screening))
        spool.seek(0)
        self.audit_detail = {"rows": rows, "quarter": screening.quarter}
        return FileResponse(
            spool,
            as_attachment=True,
            filename=f"风险排查台账-{screening.quarter}-{screening.pk}.xlsx",
            content_type=XLSX_CONTENT_TYPE,
        )

    def write_audit(self, request: Request, response: Any) -> None:
        if self.action != "export":
            super().write_audit(request, response)
            return
        record_access(
            request,
            action=AccessLog.Action.EXPORT,
            resource="screening",
            object_id=self.kwargs.get("pk", ""),
            status_code=response.status_code,
            detail=getattr(self, "audit_detail", {}),
        )


class RuleTableView(APIView):
    """The rule table new screenings use: factors, weights, cut points, bands, and which factors
    have a data source today (the others count as "no data")."""

    @extend_schema(responses=RuleTableSerializer, tags=["screening"])
    def get(self, request: Request) -> Response:
        try:
            table = active_rule_table()
        except ScreeningError as exc:
            raise ValidationError({exc.field: [str(exc)]}) from None
        registered = registered_factors()
        sections = []
        for kind in PersonKind.values:
            section = table.rules[kind]
            factors = []
            for factor in section["factors"]:
                code = factor["code"]
                source = factor_for(code, kind)
                absent = KNOWN_ABSENT.get(code)
                known = registered.get(code)
                factors.append(
                    {
                        **factor,
                        "label": str(known.label if known else absent[0] if absent else code),
                        "description": str(known.description) if known else "",
                        "source": known.source if known else absent[1] if absent else "",
                        "has_data": source is not None,
                    }
                )
            sections.append(
                {
                    "person_kind": kind,
                    "factors": factors,
                    "bands": section["bands"],
                    "max_missing": section["max_missing"],
                }
            )
        data = {"version": table.version, "name": table.name, "notes": table.notes, "sections": sections}
        return Response(RuleTableSerializer(data).data)
