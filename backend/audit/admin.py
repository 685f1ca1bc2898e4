from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from backend.accounts.admin import RoleBasedAdmin
from backend.accounts.models import Role
from backend.audit.models import AccessLog


@admin.register(AccessLog)
class AccessLogAdmin(RoleBasedAdmin):
    read_roles = frozenset({Role.AUDITOR, Role.BUREAU_HEAD, Role.SYSADMIN})
    write_roles = frozenset()

    """Read-only: the log is append-only, not even a superuser edits it."""

    list_display = [
        "at",
        "actor_username",
        "actor_role",
        "action",
        "resource",
        "object_id",
        "outcome",
        "status_code",
        "ip",
    ]
    list_filter = ["action", "outcome", "resource", "actor_role"]
    search_fields = ["actor_username", "object_id", "path", "ip"]
    date_hierarchy = "at"
    list_select_related = ["actor"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in AccessLog._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
