"""Reminders, staff push tokens and the delivery log in the admin: scoped by office, read-only.

They are written by the scheduling jobs and the push workers, never by hand; the admin is for
looking up why a person did not get a message.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from backend.reminders.models import DeliveryAttempt, Reminder, StaffPushToken
from backend.supervision.admin import OfficeScopedAdmin


class ReadOnlyAdmin(OfficeScopedAdmin):
    write_roles: frozenset[str] = frozenset()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    office_field = "subject__office"
    list_display = [
        "subject",
        "kind",
        "title",
        "send_at",
        "expires_at",
        "push_status",
        "push_attempts",
        "acknowledged_at",
        "urgent",
    ]
    list_filter = ["kind", "push_status", "urgent", "subject__office"]
    search_fields = ["subject__name", "title", "dedupe_key"]
    date_hierarchy = "send_at"
    list_select_related = ["subject"]


_TOKEN_FIELDS = (
    "user",
    "platform",
    "prefix",
    "created_at",
    "updated_at",
    "forgotten_at",
    "forgotten_reason",
)


@admin.register(StaffPushToken)
class StaffPushTokenAdmin(ReadOnlyAdmin):
    """Shows only the token's prefix: the full token would let an admin reader message that phone."""

    office_field = "user__office"
    list_display = ["user", "platform", "prefix", "created_at", "updated_at", "forgotten_at"]
    list_filter = ["platform", "user__office"]
    search_fields = ["user__username", "user__last_name"]
    list_select_related = ["user"]
    fields = _TOKEN_FIELDS

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return list(_TOKEN_FIELDS)

    @admin.display(description=_("token prefix"))
    def prefix(self, obj: StaffPushToken) -> str:
        return f"{obj.token_prefix}…"


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(ReadOnlyAdmin):
    office_field = "subject__office"
    list_display = [
        "at",
        "subject",
        "recipient",
        "staff_user",
        "transport",
        "attempt",
        "result",
        "error_code",
        "token_prefix",
        "token_forgotten",
        "next_retry_at",
    ]
    list_filter = ["result", "recipient", "transport", "token_forgotten", "subject__office"]
    search_fields = ["subject__name", "token_prefix", "error_code", "message_id", "staff_user__username"]
    date_hierarchy = "at"
    list_select_related = ["subject", "staff_user"]
    raw_id_fields = ["reminder", "alert", "device", "staff_token"]
