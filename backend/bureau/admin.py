from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from backend.accounts.admin import RoleBasedAdmin
from backend.accounts.models import Role
from backend.bureau import services
from backend.bureau.models import Indicator, RectificationItem, Unit, UnitMembership
from backend.bureau.scoping import scope_to_units

BUREAU_READERS = frozenset({Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.AUDITOR, Role.SYSADMIN})
BUREAU_WRITERS = frozenset({Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.SYSADMIN})


class BureauAdmin(RoleBasedAdmin):
    """The admin pages of the bureau's modules: bureau roles only (office staff use the API)."""

    read_roles = BUREAU_READERS
    write_roles = BUREAU_WRITERS


class UnitScopedAdmin(BureauAdmin):
    unit_field = "unit"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return scope_to_units(super().get_queryset(request), request.user, self.unit_field)


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]  # generic in the stubs only
    model = UnitMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Unit)
class UnitAdmin(BureauAdmin):
    list_display = ["code", "name", "kind", "parent", "office", "is_active"]
    list_filter = ["kind", "is_active", "office"]
    search_fields = ["code", "name", "credit_code"]
    autocomplete_fields = ["parent"]
    inlines = [MembershipInline]


@admin.register(UnitMembership)
class UnitMembershipAdmin(BureauAdmin):
    list_display = ["user", "unit", "created_at"]
    search_fields = ["user__username", "user__last_name", "unit__name"]
    autocomplete_fields = ["user", "unit"]

    def save_model(self, request: HttpRequest, obj: UnitMembership, form: Any, change: bool) -> None:
        services.link_reporter(obj.user, obj.unit)


@admin.register(RectificationItem)
class RectificationItemAdmin(UnitScopedAdmin):
    list_display = ["unit", "finding", "deadline", "status", "submitted_at", "closed_at"]
    list_filter = ["status", "unit__kind"]
    search_fields = ["finding", "unit__name"]
    date_hierarchy = "deadline"
    autocomplete_fields = ["unit"]
    readonly_fields = [
        "source_type",
        "source_id",
        "created_by",
        "created_at",
        "submitted_at",
        "closed_at",
        "closed_by",
    ]


@admin.register(Indicator)
class IndicatorAdmin(BureauAdmin):
    list_display = ["year", "module", "code", "name", "target", "measure", "comparison", "period"]
    list_filter = ["year", "module", "period"]
    search_fields = ["code", "name"]
    readonly_fields = ["code", "module"]
