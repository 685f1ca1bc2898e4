from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from backend.bureau.admin import BureauAdmin, UnitScopedAdmin
from backend.business import services
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


@admin.register(LawFirm)
class LawFirmAdmin(UnitScopedAdmin):
    list_display = ["unit", "license_no", "director", "rating", "recruited"]
    list_filter = ["rating", "recruited"]
    search_fields = ["unit__name", "license_no"]


@admin.register(Lawyer)
class LawyerAdmin(UnitScopedAdmin):
    unit_field = "firm__unit"
    list_display = ["name", "firm", "license_no", "rating", "is_active"]
    list_filter = ["rating", "is_active"]
    search_fields = ["name", "license_no"]


@admin.register(Sanction)
class SanctionAdmin(UnitScopedAdmin):
    unit_field = "firm__unit"
    list_display = ["firm", "lawyer", "kind", "decided_on", "veto", "veto_until"]
    list_filter = ["kind", "veto"]
    readonly_fields = ["veto_until", "decided_by"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Sanction, form: Any, change: bool) -> None:
        saved = services.decide_sanction(
            firm=obj.firm,
            lawyer=obj.lawyer,
            kind=obj.kind,
            decided_on=obj.decided_on,
            reason=obj.reason,
            veto=obj.veto or None,
            by=request.user,  # type: ignore[arg-type]
        )
        obj.pk = saved.pk


@admin.register(AdviserHiring)
class AdviserHiringAdmin(UnitScopedAdmin):
    list_display = ["unit", "lawyer", "kind", "starts_on", "ends_on"]
    list_filter = ["kind"]
    raw_id_fields = ["lawyer"]

    def save_model(self, request: HttpRequest, obj: AdviserHiring, form: Any, change: bool) -> None:
        if change:
            return super().save_model(request, obj, form, change)
        try:
            saved = services.hire_adviser(
                unit=obj.unit,
                lawyer=obj.lawyer,
                kind=obj.kind,
                starts_on=obj.starts_on,
                ends_on=obj.ends_on,
                by=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as error:
            self.message_user(request, "; ".join(error.messages), level="error")
            return None
        obj.pk = saved.pk
        return None


@admin.register(FirmInspection)
class FirmInspectionAdmin(UnitScopedAdmin):
    unit_field = "firm__unit"
    list_display = ["firm", "inspected_on", "result"]


@admin.register(AnnualAssessment)
class AnnualAssessmentAdmin(UnitScopedAdmin):
    unit_field = "firm__unit"
    list_display = ["firm", "year", "result"]
    list_filter = ["year", "result"]


@admin.register(Expert)
class ExpertAdmin(BureauAdmin):
    list_display = ["name", "pool", "organisation", "field", "is_active"]
    list_filter = ["pool", "is_active"]
    search_fields = ["name", "organisation", "field"]


@admin.register(EnterpriseVisit)
class EnterpriseVisitAdmin(UnitScopedAdmin):
    unit_field = "firm__unit"
    list_display = ["enterprise", "firm", "visited_on", "service", "outcome", "online"]
    list_filter = ["service", "outcome", "online"]


@admin.register(CertificateRequirement)
class CertificateRequirementAdmin(UnitScopedAdmin):
    list_display = ["unit", "service_item", "certificate", "decision", "progress", "decided_on"]
    list_filter = ["decision", "progress"]
    search_fields = ["service_item", "certificate", "legal_basis"]
