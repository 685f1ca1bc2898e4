"""The screening admin (in Chinese): rule tables as versioned data, runs and results read-only.

A rule table used by a run is never edited: "save as new" makes the next version. Runs and
results are scoped to the staff member's offices like the API.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Max, Q, QuerySet
from django.http import HttpRequest

from backend.accounts.admin import RoleBasedAdmin
from backend.accounts.models import Role
from backend.accounts.scoping import visible_office_ids
from backend.screening.models import RuleTable, Screening, ScreeningResult
from backend.supervision.admin import OfficeScopedAdmin

RULE_WRITERS = frozenset({Role.BUREAU_HEAD, Role.SYSADMIN})


@admin.register(RuleTable)
class RuleTableAdmin(RoleBasedAdmin):
    write_roles = RULE_WRITERS
    list_display = ["version", "name", "is_active", "created_at", "created_by"]
    list_filter = ["is_active"]
    save_as = True
    fields = ["version", "name", "is_active", "rules", "notes", "created_by", "created_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        fixed = ["version", "created_by", "created_at"]
        if obj is not None and obj.screenings.exists():
            # The version that scored results stays as it was; only whether it is in use changes.
            fixed += ["name", "rules", "notes"]
        return fixed

    def save_model(self, request: HttpRequest, obj: RuleTable, form: Any, change: bool) -> None:
        if obj.pk is None:
            obj.version = (RuleTable.objects.aggregate(v=Max("version"))["v"] or 0) + 1
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Screening)
class ScreeningAdmin(RoleBasedAdmin):
    list_display = [
        "id",
        "quarter",
        "office",
        "status",
        "trigger",
        "done",
        "total",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "trigger", "quarter"]
    readonly_fields = [f.name for f in Screening._meta.fields]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        offices = visible_office_ids(request.user)
        queryset = super().get_queryset(request)
        return queryset if offices is None else queryset.filter(Q(office__in=offices) | Q(office=None))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # started from the console or the API, which queue the work


@admin.register(ScreeningResult)
class ScreeningResultAdmin(OfficeScopedAdmin):
    list_display = [
        "name",
        "person_kind",
        "office",
        "screening",
        "score",
        "band",
        "needs_review",
        "override_band",
    ]
    list_filter = ["band", "needs_review", "person_kind", "screening"]
    search_fields = ["name"]
    # Reviews go through the API (the console), which holds an override to its reason.
    readonly_fields = [f.name for f in ScreeningResult._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
