from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from backend.accounts.admin import RoleBasedAdmin
from backend.accounts.scoping import scope_to_offices
from backend.supervision.models import Device, EnrollmentCode, ReleasedPerson, Subject


class OfficeScopedAdmin(RoleBasedAdmin):
    """Admin pages show office staff only their own office's people, like the API does."""

    office_field = "office"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return scope_to_offices(super().get_queryset(request), request.user, self.office_field)


_DEVICE_FIELDS = (
    "platform",
    "model",
    "app_version",
    "token_prefix",
    "enrolled_at",
    "last_seen_at",
    "revoked_at",
    "revoked_reason",
)


class DeviceInline(admin.TabularInline):
    model = Device
    extra = 0
    can_delete = False
    fields = _DEVICE_FIELDS
    readonly_fields = _DEVICE_FIELDS

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Subject)
class SubjectAdmin(OfficeScopedAdmin):
    list_display = [
        "name",
        "case_number",
        "office",
        "sentence_type",
        "supervision_level",
        "status",
        "supervision_end",
        "responsible_officer",
    ]
    list_filter = ["office", "status", "supervision_level", "sentence_type", "gender"]
    search_fields = ["name", "case_number", "home_address", "phone"]
    date_hierarchy = "supervision_start"
    list_select_related = ["office", "responsible_officer"]
    autocomplete_fields = ["responsible_officer"]
    inlines = [DeviceInline]


@admin.register(ReleasedPerson)
class ReleasedPersonAdmin(OfficeScopedAdmin):
    list_display = [
        "name",
        "office",
        "release_date",
        "status",
        "is_key_person",
        "handover_deadline",
        "received_at",
    ]
    list_filter = ["office", "status", "is_key_person", "gender"]
    search_fields = ["name", "home_address", "prison", "phone"]
    date_hierarchy = "release_date"
    list_select_related = ["office"]
    autocomplete_fields = ["responsible_officer"]


@admin.register(Device)
class DeviceAdmin(OfficeScopedAdmin):
    office_field = "subject__office"
    list_display = [
        "subject",
        "platform",
        "model",
        "app_version",
        "token_prefix",
        "enrolled_at",
        "last_seen_at",
        "revoked_at",
    ]
    list_filter = ["platform", "subject__office"]
    search_fields = ["subject__name", "token_prefix", "model"]
    readonly_fields = ["subject", "token_hash", "token_prefix", "enrolled_at", "last_seen_at"]
    list_select_related = ["subject"]


@admin.register(EnrollmentCode)
class EnrollmentCodeAdmin(OfficeScopedAdmin):
    office_field = "subject__office"
    list_display = ["subject", "created_by", "created_at", "expires_at", "used_at", "revoked_at"]
    list_filter = ["subject__office"]
    search_fields = ["subject__name"]
    readonly_fields = [
        "subject",
        "code_hash",
        "created_by",
        "created_at",
        "expires_at",
        "used_at",
        "revoked_at",
    ]
