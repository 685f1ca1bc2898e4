from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import Office, User


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "parent", "phone", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "address"]


@admin.register(User)
class StaffAdmin(UserAdmin):
    list_display = ["username", "last_name", "first_name", "role", "office", "is_active", "last_login"]
    list_filter = ["role", "office", "is_active", "is_superuser"]
    search_fields = ["username", "first_name", "last_name", "phone", "email"]
    fieldsets = (
        *UserAdmin.fieldsets,  # type: ignore[misc]
        (_("Role and office"), {"fields": ("role", "office", "phone")}),
    )
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        (_("Role and office"), {"fields": ("role", "office")}),
    )
