from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from backend.core.models import OutboxTask


@admin.register(OutboxTask)
class OutboxTaskAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """What waits for the broker (Redis was away): an operator sees it; the job empties it."""

    list_display = ("task", "args", "created_at", "handed_over_at", "attempts", "last_error")
    list_filter = ("task",)
    readonly_fields = ("task", "args", "created_at", "handed_over_at", "attempts", "last_error")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
