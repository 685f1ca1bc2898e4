from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from backend.accounts.admin import RoleBasedAdmin
from backend.accounts.models import Office
from backend.accounts.scoping import scope_to_offices
from backend.education.models import AttendanceRule, EducationSession, Enrollment
from backend.education.services.sessions import default_hours


class OfficeScopedAdmin(RoleBasedAdmin):
    """Office staff see their own office's records only, as in the API."""

    office_field = "office"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return scope_to_offices(super().get_queryset(request), request.user, self.office_field)


class EnrollmentInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Enrollment
    extra = 0
    fields = ["subject", "outcome", "source", "minutes_inside", "hours_credited", "reason", "confirmed_by"]
    readonly_fields = ["outcome", "source", "minutes_inside", "hours_credited", "reason", "confirmed_by"]
    autocomplete_fields = ["subject"]


@admin.register(EducationSession)
class EducationSessionAdmin(OfficeScopedAdmin):
    list_display = ["topic", "kind", "office", "starts_at", "ends_at", "place_name", "capacity", "hours"]
    list_filter = ["kind", "office"]
    search_fields = ["topic", "place_name"]
    date_hierarchy = "starts_at"
    list_select_related = ["office"]
    readonly_fields = ["attendance_computed_at", "created_by", "created_at", "updated_at"]
    inlines = [EnrollmentInline]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # An office's staff may only hold sessions in their own office.
        if db_field.name == "office":
            kwargs["queryset"] = scope_to_offices(
                Office.objects.filter(kind=Office.Kind.OFFICE), request.user, "pk"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if obj.hours is None and obj.starts_at and obj.ends_at:
            obj.hours = default_hours(obj.starts_at, obj.ends_at)
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Enrollment)
class EnrollmentAdmin(OfficeScopedAdmin):
    office_field = "session__office"
    list_display = [
        "subject",
        "session",
        "outcome",
        "source",
        "minutes_inside",
        "hours_credited",
        "decided_at",
    ]
    list_filter = ["outcome", "source", "session__kind", "session__office"]
    search_fields = ["subject__name", "session__topic"]
    list_select_related = ["subject", "session"]
    readonly_fields = [
        "minutes_inside",
        "certain_fixes",
        "decided_at",
        "enrolled_by",
        "enrolled_at",
        "confirmed_by",
    ]
    autocomplete_fields = ["subject"]


@admin.register(AttendanceRule)
class AttendanceRuleAdmin(RoleBasedAdmin):
    list_display = ["__str__", "min_minutes_inside", "max_gap_minutes", "max_accuracy_m", "updated_at"]
