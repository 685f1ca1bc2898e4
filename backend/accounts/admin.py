from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from backend.accounts.models import Office, Role, User

ALL_STAFF_ROLES = frozenset(Role)
WRITER_ROLES = frozenset(Role) - {Role.AUDITOR}


class RoleBasedAdmin(admin.ModelAdmin):
    """Admin access by staff role rather than by per-user Django permissions.

    Superusers may do everything; ``read_roles`` may view, ``write_roles`` may add and change.
    Nothing is deleted through the admin by anyone but a superuser.
    """

    read_roles: frozenset[str] = ALL_STAFF_ROLES
    write_roles: frozenset[str] = WRITER_ROLES

    def _role(self, request: HttpRequest) -> str | None:
        user = request.user
        return getattr(user, "role", None) if user.is_active and user.is_staff else None

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or self._role(request) in self.read_roles

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser or self._role(request) in self.read_roles

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or self._role(request) in self.write_roles

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser or self._role(request) in self.write_roles

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


@admin.register(Office)
class OfficeAdmin(RoleBasedAdmin):
    write_roles = frozenset({Role.SYSADMIN})

    list_display = ["code", "name", "kind", "parent", "phone", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "address"]


@admin.register(User)
class StaffAdmin(RoleBasedAdmin, UserAdmin):
    read_roles = frozenset({Role.SYSADMIN, Role.BUREAU_HEAD, Role.AUDITOR})
    write_roles = frozenset({Role.SYSADMIN})

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
