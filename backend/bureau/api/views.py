from __future__ import annotations

import builtins
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.filters import SearchFilter
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from backend.accounts.permissions import staff_user
from backend.bureau import services
from backend.bureau.api.mixins import LedgerMixin, UnitScopedViewSetMixin
from backend.bureau.api.serializers import (
    IndicatorDetailSerializer,
    IndicatorSerializer,
    RectificationCancelSerializer,
    RectificationItemSerializer,
    RectificationSubmitSerializer,
    RectificationVerifySerializer,
    UnitSerializer,
)
from backend.bureau.indicators import ensure_indicators, progress_of
from backend.bureau.models import MAX_YEAR, MIN_YEAR, Indicator, RectificationItem, Unit
from backend.core.ledger import Column
from backend.core.parsers import StrictJSONParser


class UnitViewSet(
    UnitScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet[Unit],
):
    """Units (departments, towns, villages, law firms, enterprises): the bureau sees all, a reporter
    their own, an office its town and the town's villages."""

    audit_resource = "unit"
    serializer_class = UnitSerializer
    unit_field = "pk"
    office_roles_allowed = True
    filterset_fields = ["kind", "parent", "office", "is_active"]
    search_fields = ["name", "code"]
    filter_backends = [*viewsets.ReadOnlyModelViewSet.filter_backends, SearchFilter]  # type: ignore[misc]

    def get_queryset(self) -> QuerySet[Unit]:
        return self.scope(Unit.objects.all())


class RectificationFilter(filters.FilterSet):
    deadline_before = filters.DateFilter(field_name="deadline", lookup_expr="lte")
    deadline_after = filters.DateFilter(field_name="deadline", lookup_expr="gte")

    class Meta:
        model = RectificationItem
        fields = ["unit", "status"]


class RectificationItemViewSet(
    UnitScopedViewSetMixin,
    LedgerMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet[RectificationItem],
):
    """Rectification items (整改事项): the bureau opens and verifies them, the unit submits evidence."""

    audit_resource = "rectification_item"
    serializer_class = RectificationItemSerializer
    filterset_class = RectificationFilter
    office_roles_allowed = True
    reporter_actions = office_actions = frozenset({"submit"})
    bureau_actions = frozenset({"create", "update", "partial_update", "verify", "cancel"})
    parser_classes = [StrictJSONParser, MultiPartParser]
    ledger_title = _("Rectification ledger")
    ledger_filename = "rectification-ledger.xlsx"
    ledger_columns = (
        Column(_("unit"), width=24),
        Column(_("finding"), width=50),
        Column(_("what must be done"), width=40),
        Column(_("deadline"), "date"),
        Column(_("status")),
        Column(_("overdue"), "bool", 8),
        Column(_("what was done"), width=40),
        Column(_("closed at"), "datetime", 18),
    )

    def get_queryset(self) -> QuerySet[RectificationItem]:
        return self.scope(RectificationItem.objects.select_related("unit", "source_type"))

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.open_rectification(
            unit=data["unit"],
            finding=data["finding"],
            requirement=data.get("requirement", ""),
            deadline=data["deadline"],
            created_by=staff_user(self.request),
        )

    def ledger_row(self, item: RectificationItem) -> list[Any]:
        return [
            item.unit.name,
            item.finding,
            item.requirement,
            item.deadline,
            item.get_status_display(),
            item.is_overdue(),
            item.evidence_note,
            item.closed_at,
        ]

    @extend_schema(responses=RectificationItemSerializer(many=True))
    @action(detail=False, methods=["get"])
    def overdue(self, request: Request) -> Response:
        """Items still open after their deadline, oldest deadline first."""
        queryset = self.scope(services.overdue_rectifications().select_related("unit", "source_type"))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request={
            "multipart/form-data": RectificationSubmitSerializer,
            "application/json": RectificationSubmitSerializer,
        }
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        """The unit says what it did and may attach the evidence document (multipart)."""
        item = self.get_object()
        form = RectificationSubmitSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        item = services.submit_rectification(
            item,
            note=form.validated_data["note"],
            evidence=form.validated_data.get("evidence"),
            by=staff_user(request),
        )
        return Response(self.get_serializer(item).data)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)})
    @action(detail=True, methods=["get"], url_path="evidence")
    def evidence(self, request: Request, pk: str | None = None) -> FileResponse:
        """The evidence document the unit attached (files are read only through here, audited)."""
        item = self.get_object()
        if not item.evidence:
            raise NotFound
        # As the spec documents it: a download, whatever the name the unit gave it says (a type
        # guessed from a name such as ``x.html`` is not one to hand a browser).
        return FileResponse(
            item.evidence.open("rb"),
            as_attachment=True,
            filename=item.evidence.name.rsplit("/", 1)[-1],
            content_type="application/octet-stream",
        )

    @extend_schema(request=RectificationVerifySerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        """The bureau accepts the evidence (closed) or sends the item back (open again)."""
        item = self.get_object()
        form = RectificationVerifySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        item = services.verify_rectification(item, by=staff_user(request), **form.validated_data)
        return Response(self.get_serializer(item).data)

    @extend_schema(request=RectificationCancelSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """The bureau withdraws an item (found not to apply), saying why."""
        item = self.get_object()
        form = RectificationCancelSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return Response(
            self.get_serializer(
                services.cancel_rectification(item, by=staff_user(request), **form.validated_data)
            ).data
        )


class YearSerializer(serializers.Serializer[Any]):
    year = serializers.IntegerField(min_value=MIN_YEAR, max_value=MAX_YEAR, required=False)


@extend_schema(
    parameters=[OpenApiParameter("year", int, description="The plan's year (default: this year).")]
)
class IndicatorViewSet(UnitScopedViewSetMixin, viewsets.ReadOnlyModelViewSet[Indicator]):
    """The plan's target indicators of a year with their progress to date (by month; by unit in one)."""

    audit_resource = "indicator"
    office_roles_allowed = True
    pagination_class = None
    filter_backends: list[Any] = []

    def get_serializer_class(self) -> Any:
        return IndicatorDetailSerializer if self.action == "retrieve" else IndicatorSerializer

    def _year(self) -> int:
        form = YearSerializer(data=self.request.query_params)
        form.is_valid(raise_exception=True)
        return int(form.validated_data.get("year") or timezone.localdate().year)

    def get_queryset(self) -> QuerySet[Indicator]:
        return Indicator.objects.all()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        indicators = ensure_indicators(self._year())
        return Response(self._serialize(indicators, many=True))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self._serialize([self.get_object()], many=False))

    def _serialize(self, indicators: builtins.list[Indicator], *, many: bool) -> Any:
        progress = {indicator.pk: progress_of(indicator) for indicator in indicators}
        context = {**self.get_serializer_context(), "progress": progress}
        serializer = self.get_serializer_class()(
            indicators if many else indicators[0], many=many, context=context
        )
        return serializer.data
