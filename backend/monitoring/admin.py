from django.contrib import admin

from backend.monitoring.models import Alert, CheckIn, ConsoleEvent, MonitorState, Zone
from backend.supervision.admin import OfficeScopedAdmin


@admin.register(Zone)
class ZoneAdmin(OfficeScopedAdmin):
    list_display = ["name", "kind", "purpose", "office", "subject", "is_active", "updated_at"]
    list_filter = ["kind", "purpose", "is_active", "office"]
    search_fields = ["name", "subject__name"]
    raw_id_fields = ["subject"]
    list_select_related = ["office", "subject"]


@admin.register(Alert)
class AlertAdmin(OfficeScopedAdmin):
    list_display = ["seq", "kind", "severity", "status", "subject", "office", "occurred_at", "late"]
    list_filter = ["status", "category", "kind", "severity", "office", "late"]
    search_fields = ["subject__name", "resolution_note"]
    date_hierarchy = "occurred_at"
    list_select_related = ["subject", "office"]
    readonly_fields = ["seq", "dedupe_key", "category", "kind", "severity", "subject", "office", "zone",
                       "occurred_at", "raised_at", "late", "evidence", "acknowledged_by", "acknowledged_at",
                       "resolved_by", "resolved_at"]


@admin.register(CheckIn)
class CheckInAdmin(OfficeScopedAdmin):
    """Read-only: check-ins are evidence. Opening one is audited like any read of location data."""

    office_field = "subject__office"
    list_display = ["subject", "recorded_at", "received_at", "lat", "lon", "accuracy_m", "quality", "crs"]
    list_filter = ["quality", "crs", "mock_location"]
    search_fields = ["subject__name", "client_id"]
    date_hierarchy = "recorded_at"
    list_select_related = ["subject"]
    write_roles = frozenset()

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return [f.name for f in CheckIn._meta.fields]

    def change_view(self, request, object_id, form_url="", extra_context=None):  # type: ignore[no-untyped-def]
        from backend.audit.services import record_access

        record_access(request, action="read", resource="checkin", object_id=object_id)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(MonitorState)
class MonitorStateAdmin(OfficeScopedAdmin):
    office_field = "subject__office"
    list_display = ["subject", "last_fix_at", "last_checkin_received_at", "next_checkin_due", "offline_alerted_at"]
    search_fields = ["subject__name"]
    list_select_related = ["subject"]
    write_roles = frozenset()


@admin.register(ConsoleEvent)
class ConsoleEventAdmin(OfficeScopedAdmin):
    list_display = ["seq", "type", "office", "created_at"]
    list_filter = ["type", "office"]
    write_roles = frozenset()
