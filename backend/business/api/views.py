from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.filters import SearchFilter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from backend.accounts.permissions import staff_user
from backend.bureau.api.mixins import LedgerMixin, UnitScopedViewSetMixin
from backend.business import services
from backend.business.api.serializers import (
    AdviserHiringSerializer,
    AnnualAssessmentSerializer,
    CertificateRequirementSerializer,
    CertificateSummarySerializer,
    EnterpriseVisitSerializer,
    ExpertSerializer,
    FirmInspectionSerializer,
    LawFirmSerializer,
    LawyerSerializer,
    OutcomeCountSerializer,
    SanctionSerializer,
)
from backend.business.models import (
    AdviserHiring,
    AnnualAssessment,
    CertificateRequirement,
    EnterpriseVisit,
    Expert,
    FirmInspection,
    LawFirm,
    Lawyer,
    Sanction,
)
from backend.core.ledger import Column

_WRITES = frozenset({"create", "update", "partial_update"})
_SEARCH: list[Any] = [*api_settings.DEFAULT_FILTER_BACKENDS, SearchFilter]


class _Records(
    UnitScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet[Any],
):
    """A module's records: the bureau writes; the unit's reporter reads its own (404 elsewhere)."""


class LawFirmViewSet(_Records):
    """Law firms; a firm's reporter sees its own firm."""

    audit_resource = "law_firm"
    serializer_class = LawFirmSerializer
    filterset_fields = ["rating", "recruited"]

    def get_queryset(self) -> QuerySet[LawFirm]:
        return self.scope(LawFirm.objects.select_related("unit").prefetch_related("sanctions"))


class LawyerViewSet(LedgerMixin, _Records):
    """Lawyers (personal data, every read audited); a firm's reporter keeps its own lawyers."""

    audit_resource = "lawyer"
    serializer_class = LawyerSerializer
    unit_field = "firm__unit"
    reporter_actions = _WRITES
    filterset_fields = ["firm", "rating", "is_active"]
    search_fields = ["name", "license_no"]
    filter_backends = _SEARCH
    ledger_title = _("Lawyers")
    ledger_filename = "lawyers.xlsx"
    ledger_columns = (
        Column(_("law firm"), width=24),
        Column(_("name")),
        Column(_("lawyer's licence number"), width=20),
        Column(_("credit rating"), width=8),
        Column(_("practising"), "bool", 8),
    )

    def get_queryset(self) -> QuerySet[Lawyer]:
        return self.scope(Lawyer.objects.select_related("firm__unit"))

    def ledger_row(self, lawyer: Lawyer) -> list[Any]:
        return [lawyer.firm.unit.name, lawyer.name, lawyer.license_no, lawyer.rating, lawyer.is_active]


class SanctionViewSet(
    LedgerMixin, UnitScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet[Sanction]
):
    """Measures against firms and lawyers; a downgrade or referral vetoes hiring for a year."""

    audit_resource = "sanction"
    serializer_class = SanctionSerializer
    unit_field = "firm__unit"
    filterset_fields = ["firm", "lawyer", "kind", "veto"]
    ledger_title = _("Sanctions of law firms and lawyers")
    ledger_filename = "sanctions.xlsx"
    ledger_columns = (
        Column(_("law firm"), width=24),
        Column(_("lawyer")),
        Column(_("measure"), width=16),
        Column(_("decided on"), "date"),
        Column(_("veto until"), "date"),
        Column(_("reason"), width=40),
    )

    def get_queryset(self) -> QuerySet[Sanction]:
        return self.scope(Sanction.objects.select_related("firm__unit", "lawyer"))

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.decide_sanction(
            by=staff_user(self.request), **serializer.validated_data
        )

    def ledger_row(self, row: Sanction) -> list[Any]:
        return [
            row.firm.unit.name,
            row.lawyer.name if row.lawyer else "",
            row.get_kind_display(),
            row.decided_on,
            row.veto_until,
            row.reason,
        ]


class AdviserHiringViewSet(
    UnitScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet[AdviserHiring]
):
    """Legal advisers hired by departments, towns and villages; refused under a one-vote veto."""

    audit_resource = "adviser_hiring"
    serializer_class = AdviserHiringSerializer
    reporter_actions = frozenset({"create"})
    filterset_fields = ["unit", "lawyer", "kind"]

    def get_queryset(self) -> QuerySet[AdviserHiring]:
        return self.scope(AdviserHiring.objects.select_related("unit", "lawyer"))


class FirmInspectionViewSet(_Records):
    """Inspections of law firms."""

    audit_resource = "firm_inspection"
    serializer_class = FirmInspectionSerializer
    unit_field = "firm__unit"
    filterset_fields = ["firm", "result"]

    def get_queryset(self) -> QuerySet[FirmInspection]:
        return self.scope(FirmInspection.objects.select_related("firm__unit"))


class AnnualAssessmentViewSet(_Records):
    """The annual assessment of each firm."""

    audit_resource = "annual_assessment"
    serializer_class = AnnualAssessmentSerializer
    unit_field = "firm__unit"
    filterset_fields = ["firm", "year", "result"]

    def get_queryset(self) -> QuerySet[AnnualAssessment]:
        return self.scope(AnnualAssessment.objects.select_related("firm__unit"))


class ExpertViewSet(_Records):
    """Expert pools (海事海商 and the legal service teams): the bureau keeps them, units read them."""

    audit_resource = "expert"
    serializer_class = ExpertSerializer
    filterset_fields = ["pool", "is_active"]

    def get_queryset(self) -> QuerySet[Expert]:
        return Expert.objects.all()


class EnterpriseVisitViewSet(_Records):
    """Lawyers' service visits to park enterprises (律师进企业), entered by the firms."""

    audit_resource = "enterprise_visit"
    serializer_class = EnterpriseVisitSerializer
    unit_field = "firm__unit"
    reporter_actions = _WRITES
    filterset_fields = ["firm", "enterprise", "service", "outcome", "online"]

    def get_queryset(self) -> QuerySet[EnterpriseVisit]:
        return self.scope(EnterpriseVisit.objects.select_related("firm__unit", "enterprise"))

    @extend_schema(responses=OutcomeCountSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None)
    def outcomes(self, request: Request) -> Response:
        """How the visits listed ended (filters apply)."""
        counts = Counter(self.filter_queryset(self.get_queryset()).values_list("outcome", flat=True))
        data = [
            {"outcome": outcome, "visits": counts.get(outcome, 0)}
            for outcome in EnterpriseVisit.Outcome.values
        ]
        return Response(OutcomeCountSerializer(data, many=True).data)


class CertificateRequirementViewSet(LedgerMixin, _Records):
    """The certificates government services demand (无证明办事): each department lists its own, the
    bureau's review decides each (kept on a legal basis, cancelled, or notification and commitment)."""

    audit_resource = "certificate_requirement"
    serializer_class = CertificateRequirementSerializer
    reporter_actions = _WRITES
    filterset_fields = ["unit", "decision", "progress"]
    search_fields = ["service_item", "certificate"]
    filter_backends = _SEARCH
    ledger_title = _("Certificate review of government services")
    ledger_filename = "certificate-review.xlsx"
    ledger_columns = (
        Column(_("department"), width=24),
        Column(_("government service item"), width=30),
        Column(_("certificate required"), width=30),
        Column(_("decision"), width=16),
        Column(_("legal basis"), width=40),
        Column(_("progress")),
    )

    def get_queryset(self) -> QuerySet[CertificateRequirement]:
        return self.scope(CertificateRequirement.objects.select_related("unit"))

    def ledger_row(self, row: CertificateRequirement) -> list[Any]:
        return [
            row.unit.name,
            row.service_item,
            row.certificate,
            row.get_decision_display(),
            row.legal_basis,
            row.get_progress_display(),
        ]

    @extend_schema(responses=CertificateSummarySerializer)
    @action(detail=False, methods=["get"], pagination_class=None)
    def summary(self, request: Request) -> Response:
        """Where the review stands: by decision, by progress, the share decided (filters apply)."""
        summary = services.certificate_summary(self.filter_queryset(self.get_queryset()))
        return Response(CertificateSummarySerializer(summary).data)
