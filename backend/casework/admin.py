"""Casework in the admin: read and search; decisions go through the API's services (who may
decide is a rule of the domain, not of the admin's permissions)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from backend.casework.models import CurfewCheck, LeaveRequest, PositioningOrder, PositioningOrderChange
from backend.supervision.admin import OfficeScopedAdmin


class ReadOnlyAdmin(OfficeScopedAdmin):
    """Office staff see their own office's records (as in the API); nobody edits them here."""

    office_field = "subject__office"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LeaveRequest)
class LeaveRequestAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "subject",
        "destination",
        "starts_at",
        "ends_at",
        "status",
        "approver",
        "flagged",
        "decided_by",
    ]
    list_filter = ["status", "approver", "flagged"]
    search_fields = ["subject__name", "destination"]
    raw_id_fields = ["subject", "device", "decided_by", "reported_back_by", "destination_zone"]
    date_hierarchy = "starts_at"


class ChangeInline(admin.TabularInline):  # type: ignore[type-arg]
    model = PositioningOrderChange
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "reason", "previous_ends_on", "ends_on", "by", "at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PositioningOrder)
class PositioningOrderAdmin(ReadOnlyAdmin):
    list_display = ["id", "subject", "ground", "status", "ends_on", "approved_by", "starts_at", "ends_at"]
    list_filter = ["status", "ground"]
    search_fields = ["subject__name", "reason"]
    raw_id_fields = ["subject", "requested_by", "approved_by", "ended_by"]
    inlines = [ChangeInline]


@admin.register(CurfewCheck)
class CurfewCheckAdmin(ReadOnlyAdmin):
    list_display = ["subject", "window_start", "status", "reason", "checked_at", "settled_at"]
    list_filter = ["status"]
    search_fields = ["subject__name"]
    raw_id_fields = ["subject", "zone"]
    date_hierarchy = "window_start"
