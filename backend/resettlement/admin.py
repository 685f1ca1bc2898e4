from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from backend.accounts.admin import RoleBasedAdmin
from backend.accounts.scoping import scope_to_offices
from backend.resettlement.models import (
    AssistanceTeam,
    HandoverStep,
    ResettlementAlert,
    SafetyScreening,
    TeamMember,
    Visit,
)
from backend.resettlement.rules import assistance_end

PERSON_OFFICE = "released_person__office"


class OfficeScopedAdmin(RoleBasedAdmin):
    """Office staff see their own office's records only, as in the API."""

    office_field = PERSON_OFFICE

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return scope_to_offices(super().get_queryset(request), request.user, self.office_field)


@admin.register(HandoverStep)
class HandoverStepAdmin(OfficeScopedAdmin):
    list_display = ["released_person", "step", "deadline", "done_at", "place", "people"]
    list_filter = ["step", "released_person__office"]
    search_fields = ["released_person__name", "place", "people"]
    list_select_related = ["released_person"]
    readonly_fields = ["released_person", "step", "deadline", "recorded_by", "recorded_at"]


@admin.register(ResettlementAlert)
class ResettlementAlertAdmin(OfficeScopedAdmin):
    office_field = "office"
    list_display = ["released_person", "kind", "step", "deadline", "raised_at", "status"]
    list_filter = ["status", "kind", "office"]
    search_fields = ["released_person__name"]
    list_select_related = ["released_person"]
    readonly_fields = [
        "dedupe_key",
        "kind",
        "released_person",
        "office",
        "step",
        "deadline",
        "raised_at",
        "console_seq",
        "resolved_by",
        "resolved_at",
    ]


class TeamMemberInline(admin.TabularInline):  # type: ignore[type-arg]
    model = TeamMember
    extra = 1


@admin.register(AssistanceTeam)
class AssistanceTeamAdmin(OfficeScopedAdmin):
    list_display = ["released_person", "period_start", "period_end"]
    list_filter = ["released_person__office"]
    search_fields = ["released_person__name"]
    list_select_related = ["released_person"]
    readonly_fields = ["period_end"]
    autocomplete_fields = ["released_person"]
    inlines = [TeamMemberInline]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # The period is five years from its start, whoever enters it.
        obj.period_end = assistance_end(obj.period_start)
        super().save_model(request, obj, form, change)


@admin.register(Visit)
class VisitAdmin(OfficeScopedAdmin):
    list_display = ["released_person", "visited_on", "place", "visitors"]
    list_filter = ["released_person__office"]
    search_fields = ["released_person__name", "place", "visitors"]
    date_hierarchy = "visited_on"
    list_select_related = ["released_person"]
    readonly_fields = ["recorded_by"]
    autocomplete_fields = ["released_person"]


@admin.register(SafetyScreening)
class SafetyScreeningAdmin(OfficeScopedAdmin):
    list_display = ["released_person", "year", "quarter", "hazard", "incidents", "screened_on"]
    list_filter = ["year", "quarter", "hazard", "released_person__office"]
    search_fields = ["released_person__name", "findings"]
    list_select_related = ["released_person"]
    readonly_fields = ["recorded_by"]
    autocomplete_fields = ["released_person"]
