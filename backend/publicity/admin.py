from django.contrib import admin

from backend.bureau.admin import UnitScopedAdmin
from backend.publicity.models import Activity, DemonstrationVillage, TrainedVillager, Volunteer


@admin.register(Activity)
class ActivityAdmin(UnitScopedAdmin):
    list_display = ["held_on", "unit", "kind", "topic", "audience", "status"]
    list_filter = ["status", "kind", "unit__kind"]
    search_fields = ["topic", "place", "unit__name"]
    date_hierarchy = "held_on"
    autocomplete_fields = ["unit"]
    filter_horizontal = ["volunteers"]
    readonly_fields = [
        "reported_by",
        "submitted_at",
        "reviewed_by",
        "reviewed_at",
        "created_at",
        "updated_at",
    ]


@admin.register(Volunteer)
class VolunteerAdmin(UnitScopedAdmin):
    list_display = ["name", "unit", "background", "joined_on", "is_active"]
    list_filter = ["background", "is_active"]
    search_fields = ["name", "unit__name"]
    autocomplete_fields = ["unit"]


@admin.register(TrainedVillager)
class TrainedVillagerAdmin(UnitScopedAdmin):
    list_display = ["name", "kind", "unit", "trained_on", "hours"]
    list_filter = ["kind"]
    search_fields = ["name", "unit__name"]
    autocomplete_fields = ["unit"]


@admin.register(DemonstrationVillage)
class DemonstrationVillageAdmin(UnitScopedAdmin):
    list_display = ["unit", "level", "year", "batch", "status"]
    list_filter = ["level", "status", "year"]
    autocomplete_fields = ["unit"]
