from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import Office
from backend.accounts.scoping import scope_to_offices
from backend.monitoring.models import Alert, CheckIn, ConsoleEvent, MonitorState, PhoneCommand, Zone
from backend.monitoring.zones import ENGINE_FIELDS, ZoneNotEvaluable, check_zone, zone_field, zone_problems
from backend.supervision.admin import OfficeScopedAdmin
from backend.supervision.models import Subject

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ZoneForm(forms.ModelForm):
    """The admin's zone form: the engine checks it (``zones.check_zone``), as it checks the API."""

    class Meta:
        model = Zone
        fields = [
            "office",
            "subject",
            "name",
            "kind",
            "purpose",
            "geometry",
            "radius_m",
            "schedule",
            "approach_buffer_m",
            "confirm_fixes",
            "confirm_seconds",
            "clear_fixes",
            "is_active",
            "created_by",
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what ModelForm.clean returns
        subject, office = cleaned.get("subject"), cleaned.get("office")
        if subject is not None and office is not None and subject.office_id != office.pk:
            self.add_error("subject", _("A person's zone belongs to the person's office."))
        # A field that failed its own check is left out of the engine's; its default stands in.
        already = set(self.errors)
        values = {
            name: cleaned[name] if name in cleaned else zone_field(name).get_default()
            for name in ENGINE_FIELDS
        }
        try:
            checked = check_zone(values, zone_id=str(self.instance.pk or "new"))
        except ZoneNotEvaluable as exc:
            for field, messages in exc.problems.items():
                if field not in already:
                    for message in messages:
                        self.add_error(field if field in self.fields else None, message)
        else:
            cleaned.update(geometry=checked.geometry, radius_m=checked.radius_m, schedule=checked.schedule)
        return cleaned


class EvaluableFilter(admin.SimpleListFilter):
    """Zones the engine can or cannot evaluate as stored (computed: nothing about it is stored)."""

    title = _("evaluable by the engine")
    parameter_name = "evaluable"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Zone]) -> QuerySet[Zone]:
        if self.value() not in ("yes", "no"):
            return queryset
        refused = [
            zone.pk for zone in queryset.only("id", "updated_at", *ENGINE_FIELDS) if zone_problems(zone)
        ]
        if self.value() == "no":
            return queryset.filter(pk__in=refused)
        return queryset.exclude(pk__in=refused)


@admin.register(Zone)
class ZoneAdmin(OfficeScopedAdmin):
    form = ZoneForm
    list_display = ["name", "kind", "purpose", "office", "subject", "is_active", "evaluable", "updated_at"]
    list_filter = [EvaluableFilter, "kind", "purpose", "is_active", "office"]
    search_fields = ["name", "subject__name"]
    raw_id_fields = ["subject"]
    list_select_related = ["office", "subject"]
    readonly_fields = ["problems"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # Only the caller's own offices and their people, as in the API (the raw id box included).
        if db_field.name == "subject":
            kwargs["queryset"] = scope_to_offices(Subject.objects.all(), request.user)
        elif db_field.name == "office":
            kwargs["queryset"] = scope_to_offices(Office.objects.all(), request.user, "pk")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("evaluable by the engine"), boolean=True)
    def evaluable(self, zone: Zone) -> bool:
        return not zone_problems(zone)

    @admin.display(description=_("problems"))
    def problems(self, zone: Zone) -> str:
        if zone.pk is None:
            return "-"
        found = zone_problems(zone)
        return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in found.items()) or "-"


@admin.register(Alert)
class AlertAdmin(OfficeScopedAdmin):
    list_display = ["seq", "kind", "severity", "status", "subject", "office", "occurred_at", "late"]
    list_filter = ["status", "category", "kind", "severity", "office", "late"]
    search_fields = ["subject__name", "resolution_note"]
    date_hierarchy = "occurred_at"
    list_select_related = ["subject", "office"]
    readonly_fields = [
        "seq",
        "dedupe_key",
        "category",
        "kind",
        "severity",
        "subject",
        "office",
        "zone",
        "occurred_at",
        "raised_at",
        "late",
        "evidence",
        "acknowledged_by",
        "acknowledged_at",
        "resolved_by",
        "resolved_at",
    ]


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
    list_display = [
        "subject",
        "last_fix_at",
        "last_checkin_received_at",
        "next_checkin_due",
        "checkin_interval",
        "sampling_regime",
        "offline_alerted_at",
        "lost_contact_alerted_at",
    ]
    list_filter = ["sampling_regime"]
    search_fields = ["subject__name"]
    list_select_related = ["subject"]
    write_roles = frozenset()


@admin.register(PhoneCommand)
class PhoneCommandAdmin(OfficeScopedAdmin):
    """Orders to phones, as sent (``services.commands``); nobody edits them here."""

    office_field = "subject__office"
    list_display = [
        "subject",
        "kind",
        "created_at",
        "expires_at",
        "delivered_at",
        "acknowledged_at",
        "withdrawn_at",
    ]
    list_filter = ["kind"]
    search_fields = ["subject__name"]
    list_select_related = ["subject"]
    write_roles = frozenset()


@admin.register(ConsoleEvent)
class ConsoleEventAdmin(OfficeScopedAdmin):
    list_display = ["seq", "type", "office", "created_at"]
    list_filter = ["type", "office"]
    write_roles = frozenset()
