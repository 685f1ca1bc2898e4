"""Legal publicity's API: activity returns, volunteers, trained villagers, demonstration villages,
the quarterly ranking and the year's summary against the plan."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.filters import SearchFilter
from rest_framework.request import Request
from rest_framework.response import Response

from backend.bureau.api.mixins import LedgerMixin, UnitReturnViewSetMixin, UnitScopedViewSetMixin
from backend.bureau.scoping import visible_unit_ids
from backend.core.ledger import Column
from backend.publicity import services
from backend.publicity.api.serializers import (
    ActivitySerializer,
    DemonstrationVillageSerializer,
    QuarterQuerySerializer,
    RankingSerializer,
    TrainedVillagerSerializer,
    VolunteerSerializer,
    YearSummarySerializer,
)
from backend.publicity.models import (
    EVENTS_TARGET,
    GROWTH_TARGET_PERCENT,
    Activity,
    DemonstrationVillage,
    TrainedVillager,
    Volunteer,
)

_WRITES = frozenset({"create", "update", "partial_update"})
YEAR_PARAMETERS = [
    OpenApiParameter("year", int, description="2000–2100; this year by default"),
    OpenApiParameter("quarter", int, description="1–4; the current quarter by default"),
]


class ActivityViewSet(
    UnitReturnViewSetMixin,
    LedgerMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet[Activity],
):
    """Publicity activities (普法活动) a unit reports each month; only accepted ones count."""

    audit_resource = "publicity_activity"
    serializer_class = ActivitySerializer
    office_roles_allowed = True
    office_actions = UnitReturnViewSetMixin.reporter_actions
    filterset_fields = ["unit", "status", "kind", "held_on"]
    search_fields = ["topic", "place"]
    filter_backends = [*viewsets.ReadOnlyModelViewSet.filter_backends, SearchFilter]  # type: ignore[misc]
    ledger_title = _("Legal publicity activities ledger")
    ledger_filename = "publicity-activities.xlsx"
    ledger_columns = (
        Column(_("unit"), width=22),
        Column(_("date"), "date"),
        Column(_("kind")),
        Column(_("topic"), width=32),
        Column(_("audience size"), "int"),
        Column(_("place"), width=22),
        Column(_("return status")),
    )

    def get_queryset(self) -> QuerySet[Activity]:
        return self.scope(Activity.objects.select_related("unit").prefetch_related("volunteers"))

    def ledger_row(self, activity: Activity) -> list[Any]:
        return [
            activity.unit.name,
            activity.held_on,
            activity.get_kind_display(),
            activity.topic,
            activity.audience,
            activity.place,
            activity.get_status_display(),
        ]

    @extend_schema(parameters=YEAR_PARAMETERS, responses=RankingSerializer)
    @action(detail=False, methods=["get"])
    def ranking(self, request: Request) -> Response:
        """The quarterly ranking of units by accepted events, then audience (每季度通报)."""
        form = QuarterQuerySerializer(data=request.query_params)
        form.is_valid(raise_exception=True)
        today = timezone.localdate()
        year = form.validated_data.get("year") or today.year
        quarter = form.validated_data.get("quarter") or (today.month - 1) // 3 + 1
        visible = visible_unit_ids(request.user, offices=True)
        rows = services.quarter_ranking(year, quarter, unit_ids=visible)
        return Response(RankingSerializer({"year": year, "quarter": quarter, "rows": rows}).data)

    @extend_schema(parameters=YEAR_PARAMETERS[:1], responses=YearSummarySerializer)
    @action(detail=False, methods=["get"])
    def summary(self, request: Request) -> Response:
        """The year's accepted events against the target (5,000, +20 % on last year), and the rest."""
        form = QuarterQuerySerializer(data=request.query_params)
        form.is_valid(raise_exception=True)
        today = timezone.localdate()
        year = form.validated_data.get("year") or today.year
        through = min(today, dt.date(year, 12, 31))
        visible = visible_unit_ids(request.user, offices=True)
        events = services.counted().filter(held_on__year=year)
        volunteers = Volunteer.objects.filter(is_active=True)
        villagers = TrainedVillager.objects.filter(trained_on__year__lte=year)
        if visible is not None:
            events = events.filter(unit__in=visible)
            volunteers = volunteers.filter(unit__in=visible)
            villagers = villagers.filter(unit__in=visible)
        try:
            last_through = through.replace(year=year - 1)
        except ValueError:
            last_through = dt.date(year - 1, 2, 28)
        data = {
            "year": year,
            "events": events.count(),
            "target": EVENTS_TARGET,
            "last_year_same_period": services.events_between(dt.date(year - 1, 1, 1), last_through),
            "growth_percent": services.growth_percent(year, through),
            "growth_target_percent": GROWTH_TARGET_PERCENT,
            "audience": events.aggregate(total=Sum("audience"))["total"] or 0,
            "volunteers": volunteers.count(),
            "trained_villagers": {
                row["kind"]: row["n"] for row in villagers.values("kind").annotate(n=Count("pk"))
            },
            "demonstration_applications": services.demonstration_applications(year).count(),
        }
        return Response(YearSummarySerializer(data).data)


class _UnitRecordViewSet(
    UnitScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
):
    office_roles_allowed = True
    reporter_actions = office_actions = frozenset({"create", "update", "partial_update", "destroy"})


class VolunteerViewSet(_UnitRecordViewSet, viewsets.ReadOnlyModelViewSet[Volunteer]):
    """Publicity volunteers (普法志愿者) of each unit."""

    audit_resource = "publicity_volunteer"
    serializer_class = VolunteerSerializer
    filterset_fields = ["unit", "background", "is_active"]

    def get_queryset(self) -> QuerySet[Volunteer]:
        return self.scope(Volunteer.objects.select_related("unit"))


class TrainedVillagerViewSet(_UnitRecordViewSet, viewsets.ReadOnlyModelViewSet[TrainedVillager]):
    """Villagers trained as 法律明白人 or 法治带头人."""

    audit_resource = "trained_villager"
    serializer_class = TrainedVillagerSerializer
    filterset_fields = ["unit", "kind"]

    def get_queryset(self) -> QuerySet[TrainedVillager]:
        return self.scope(TrainedVillager.objects.select_related("unit"))


class DemonstrationVillageViewSet(_UnitRecordViewSet, viewsets.ReadOnlyModelViewSet[DemonstrationVillage]):
    """Applications for 民主法治示范村（社区）: towns put their villages forward, the bureau follows them."""

    audit_resource = "demonstration_village"
    serializer_class = DemonstrationVillageSerializer
    reporter_actions = office_actions = frozenset({"create", "update", "partial_update"})
    filterset_fields = ["unit", "level", "year", "status"]

    def get_queryset(self) -> QuerySet[DemonstrationVillage]:
        return self.scope(DemonstrationVillage.objects.select_related("unit"))
