"""Enforcement officers, their study hours, the sampled ability tests, court-hearing attendance."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.filters import SearchFilter
from rest_framework.request import Request
from rest_framework.response import Response

from backend.accounts.permissions import staff_user
from backend.bureau.api.mixins import LedgerMixin, UnitScopedViewSetMixin
from backend.core.ledger import Column
from backend.lawadmin import services
from backend.lawadmin.api.serializers import (
    AbilityTestSerializer,
    BehindSerializer,
    DrawSerializer,
    EntrySerializer,
    HearingAttendanceSerializer,
    OfficerSerializer,
    ScoresSerializer,
    StudyRecordSerializer,
    YearSerializer,
)
from backend.lawadmin.models import AbilityTest, EnforcementOfficer, HearingAttendance, StudyRecord

YEAR = OpenApiParameter("year", int, description="The year (default: this year).")


def year_of(request: Request) -> int:
    form = YearSerializer(data=request.query_params)
    form.is_valid(raise_exception=True)
    return int(form.validated_data.get("year") or timezone.localdate().year)


class EnforcementOfficerViewSet(
    UnitScopedViewSetMixin,
    LedgerMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet[EnforcementOfficer],
):
    """Enforcement officers (personal data, every read audited): a department's reporter keeps its own."""

    audit_resource = "enforcement_officer"
    serializer_class = OfficerSerializer
    reporter_actions = frozenset({"create", "update", "partial_update"})
    filterset_fields = ["unit", "field", "is_active"]
    search_fields = ["name", "certificate_no"]
    filter_backends = [*viewsets.ReadOnlyModelViewSet.filter_backends, SearchFilter]  # type: ignore[misc]
    ledger_title = _("Enforcement officers and study hours")
    ledger_filename = "enforcement-officers.xlsx"
    ledger_columns = (
        Column(_("department"), width=24),
        Column(_("name")),
        Column(_("enforcement certificate number"), width=18),
        Column(_("enforcement field")),
        Column(_("study hours this year"), "number"),
    )

    def get_queryset(self) -> QuerySet[EnforcementOfficer]:
        return self.scope(EnforcementOfficer.objects.select_related("unit"))

    def ledger_rows(self, queryset: QuerySet[Any]) -> Any:
        hours = services.study_hours(timezone.localdate().year)
        for officer in queryset.iterator(chunk_size=500):
            yield [
                officer.unit.name,
                officer.name,
                officer.certificate_no,
                officer.get_field_display(),
                hours.get(officer.pk, 0),
            ]

    @extend_schema(parameters=[YEAR], responses=BehindSerializer(many=True))
    @action(detail=False, methods=["get"])
    def behind(self, request: Request) -> Response:
        """Active officers under the year's 60 study hours, fewest hours first (filters apply)."""
        officers = list(self.filter_queryset(self.get_queryset()).filter(is_active=True))
        rows = services.officers_behind(year_of(request), officers)
        page = self.paginate_queryset(rows)  # type: ignore[arg-type]
        return self.get_paginated_response(BehindSerializer(page, many=True).data)


class StudyRecordViewSet(
    UnitScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet[StudyRecord],
):
    """Study hours of the officers (a department's reporter enters its own officers')."""

    audit_resource = "study_record"
    serializer_class = StudyRecordSerializer
    unit_field = "officer__unit"
    reporter_actions = frozenset({"create", "update", "partial_update"})
    filterset_fields = ["officer", "date"]

    def get_queryset(self) -> QuerySet[StudyRecord]:
        return self.scope(StudyRecord.objects.select_related("officer"))


class AbilityTestViewSet(
    UnitScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet[AbilityTest],
):
    """Ability tests on a stratified random sample (≥ 10 %) of the officers; the draw's seed is
    recorded so it can be drawn again; the ranking is published to every unit."""

    audit_resource = "ability_test"
    serializer_class = AbilityTestSerializer
    bureau_actions = frozenset({"create", "update", "partial_update", "draw", "scores", "publish"})
    filterset_fields = ["year", "status"]

    def get_queryset(self) -> QuerySet[AbilityTest]:
        return AbilityTest.objects.all()

    @extend_schema(request=DrawSerializer)
    @action(detail=True, methods=["post"])
    def draw(self, request: Request, pk: str | None = None) -> Response:
        """Draw the sample (give a seed to repeat a recorded draw; otherwise a new one is recorded)."""
        test = self.get_object()
        form = DrawSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        test = services.draw_sample(test, seed=form.validated_data.get("seed"), by=staff_user(request))
        return Response(self.get_serializer(test).data)

    @extend_schema(request=ScoresSerializer, responses=AbilityTestSerializer)
    @action(detail=True, methods=["post"])
    def scores(self, request: Request, pk: str | None = None) -> Response:
        """Record the drawn officers' scores (0–100) by entry id."""
        test = self.get_object()
        form = ScoresSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.record_scores(test, {row["entry"]: row["score"] for row in form.validated_data["scores"]})
        return Response(self.get_serializer(test).data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        """Rank the officers by score and publish the results."""
        return Response(self.get_serializer(services.publish_results(self.get_object())).data)

    @extend_schema(responses=EntrySerializer(many=True))
    @action(detail=True, methods=["get"])
    def entries(self, request: Request, pk: str | None = None) -> Response:
        """The officers drawn, ranked once published; before publication the bureau's alone."""
        test = self.get_object()
        if test.status != AbilityTest.Status.PUBLISHED and not staff_user(request).is_bureau_wide:
            raise NotFound
        entries = test.entries.select_related("officer__unit").order_by("rank", "pk")
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(EntrySerializer(page, many=True).data)


class HearingAttendanceViewSet(
    UnitScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet[HearingAttendance],
):
    """Court hearings the departments' officers and leaders attended (旁听庭审)."""

    audit_resource = "hearing_attendance"
    serializer_class = HearingAttendanceSerializer
    reporter_actions = frozenset({"create", "update", "partial_update"})
    filterset_fields = ["unit", "held_on"]

    def get_queryset(self) -> QuerySet[HearingAttendance]:
        return self.scope(HearingAttendance.objects.select_related("unit"))
