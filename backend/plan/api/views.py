"""The plan's indicators for the dashboard: every registered target with its progress to date, by
unit (the caller's units only) and by month, as JSON and as an XLSX ledger."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.models import User
from backend.audit.services import Action, record_access
from backend.bureau.api.serializers import IndicatorDetailSerializer
from backend.bureau.indicators import ensure_indicators, is_met, progress_of, ratio
from backend.bureau.models import MAX_YEAR, MIN_YEAR, Indicator
from backend.core.ledger import XLSX_CONTENT_TYPE, Column, ledger_response


class IsActiveStaff(BasePermission):
    message = _("Sign in as staff to see the plan.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return isinstance(user, User) and user.is_authenticated and user.is_active


class YearSerializer(serializers.Serializer[Any]):
    year = serializers.IntegerField(min_value=MIN_YEAR, max_value=MAX_YEAR, required=False)


def _year(request: Request) -> int:
    form = YearSerializer(data=request.query_params)
    form.is_valid(raise_exception=True)
    return int(form.validated_data.get("year") or timezone.localdate().year)


def _indicators(year: int) -> tuple[list[Indicator], dict[int, Any]]:
    indicators = sorted(ensure_indicators(year), key=lambda i: (i.module, i.code))
    return indicators, {indicator.pk: progress_of(indicator) for indicator in indicators}


YEAR_PARAMETER = OpenApiParameter("year", int, description="2000–2100; this year by default")


class PlanIndicatorsView(APIView):
    """Every numeric target of the plan with its progress: to date, by month and by unit."""

    permission_classes = [IsActiveStaff]

    @extend_schema(parameters=[YEAR_PARAMETER], responses=IndicatorDetailSerializer(many=True))
    def get(self, request: Request) -> Response:
        indicators, progress = _indicators(_year(request))
        context = {"request": request, "progress": progress}
        return Response(IndicatorDetailSerializer(indicators, many=True, context=context).data)


class PlanExportView(APIView):
    """The plan's indicators as an XLSX ledger: one row per target, its months in columns."""

    permission_classes = [IsActiveStaff]

    @extend_schema(
        parameters=[YEAR_PARAMETER],
        responses={(200, XLSX_CONTENT_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="XLSX ledger")},
    )
    def get(self, request: Request) -> FileResponse:
        year = _year(request)
        indicators, progress = _indicators(year)
        columns = [
            Column(_("module"), width=12),
            Column(_("indicator"), width=36),
            Column(_("target"), "number", 10),
            Column(_("unit of measure"), width=8),
            Column(_("to date"), "number", 10),
            Column(_("share of the target"), "number", 10),
            Column(_("met"), "bool", 6),
            *(Column(f"{month}月", "number", 8) for month in range(1, 13)),
        ]

        def rows() -> Any:
            for indicator in indicators:
                done = progress[indicator.pk]
                value = None if done is None else done.value
                share = None if value is None else ratio(indicator, value)
                met = None if value is None else is_met(indicator, value)
                months = [None if done is None else done.by_month.get(month) for month in range(1, 13)]
                yield [
                    indicator.module,
                    indicator.name,
                    indicator.target,
                    indicator.measure,
                    value,
                    share,
                    met,
                    *months,
                ]

        record_access(
            request, action=Action.EXPORT, resource="plan_indicators", object_id=year, detail={"year": year}
        )
        return ledger_response(
            f"plan-{year}.xlsx",
            title=_("The plan's targets, %(year)s") % {"year": year},
            columns=columns,
            rows=rows(),
        )
