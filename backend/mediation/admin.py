from django.contrib import admin

from backend.bureau.admin import BureauAdmin, UnitScopedAdmin
from backend.mediation.models import (
    CreditRule,
    Dispute,
    DisputeSession,
    ExpertRequest,
    MediationBody,
    MediationCentre,
    Mediator,
)


@admin.register(MediationCentre)
class CentreAdmin(UnitScopedAdmin):
    list_display = ["name", "level", "unit", "opened_on", "meets_standard"]
    list_filter = ["level", "meets_standard"]
    autocomplete_fields = ["unit"]


@admin.register(Mediator)
class MediatorAdmin(UnitScopedAdmin):
    list_display = ["name", "unit", "full_time", "background", "is_expert", "expert_field", "brand_room"]
    list_filter = ["full_time", "background", "is_expert", "expert_field", "is_active"]
    search_fields = ["name", "brand_room", "unit__name"]
    autocomplete_fields = ["unit"]


@admin.register(MediationBody)
class BodyAdmin(UnitScopedAdmin):
    list_display = ["name", "kind", "field", "unit", "is_model"]
    search_fields = ["name"]
    list_filter = ["kind", "field", "is_model"]
    autocomplete_fields = ["unit", "lead"]


class SessionInline(admin.TabularInline):  # type: ignore[type-arg]  # generic in the stubs only
    model = DisputeSession
    extra = 0


@admin.register(Dispute)
class DisputeAdmin(UnitScopedAdmin):
    list_display = ["received_on", "unit", "kind", "status", "mediator", "closed_on"]
    list_filter = ["status", "kind"]
    date_hierarchy = "received_on"
    autocomplete_fields = ["unit", "mediator", "body"]
    inlines = [SessionInline]


@admin.register(ExpertRequest)
class ExpertRequestAdmin(UnitScopedAdmin):
    unit_field = "dispute__unit"
    list_display = ["dispute", "field", "expert", "status", "requested_at", "resolved"]
    list_filter = ["status", "field"]
    raw_id_fields = ["dispute"]
    autocomplete_fields = ["expert"]


@admin.register(CreditRule)
class CreditRuleAdmin(BureauAdmin):
    list_display = ["kind", "outcome", "points", "subsidy", "deduction"]
    list_filter = ["outcome"]
