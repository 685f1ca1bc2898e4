from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from rest_framework.exceptions import APIException, ValidationError

from backend.accounts.admin import RoleBasedAdmin
from backend.accounts.models import Office, Role, User
from backend.accounts.scoping import scope_to_offices
from backend.duty import services
from backend.duty.models import DutyShift, EscalationPolicy
from backend.supervision.admin import OfficeScopedAdmin


class DutyShiftForm(forms.ModelForm):  # type: ignore[type-arg]
    """The admin's shift form: the roster's own checks (``services``) judge it, as in the API."""

    class Meta:
        model = DutyShift
        fields = ["office", "user", "starts_at", "ends_at", "note"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        office, user = cleaned.get("office"), cleaned.get("user")
        starts_at, ends_at = cleaned.get("starts_at"), cleaned.get("ends_at")
        if office is None or user is None or starts_at is None or ends_at is None:
            return cleaned
        try:
            services.check_shift(office, user, starts_at, ends_at)
        except ValidationError as exc:
            for field, messages in dict(exc.detail).items():  # type: ignore[arg-type]
                for message in messages:
                    self.add_error(field if field in self.fields else None, str(message))
        return cleaned


@admin.register(DutyShift)
class DutyShiftAdmin(OfficeScopedAdmin):
    """The roster: bureau roles edit every office's and the bureau's; an office head the office's."""

    form = DutyShiftForm
    list_display = ["office", "user", "starts_at", "ends_at", "note"]
    list_filter = ["office"]
    date_hierarchy = "starts_at"
    search_fields = ["user__username", "user__last_name", "user__first_name", "note"]
    write_roles = frozenset({Role.OFFICE_HEAD, *services.ROSTER_EDITORS})

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or services.may_edit_roster(request.user, obj.office)  # type: ignore[arg-type]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "office":
            kwargs["queryset"] = scope_to_offices(Office.objects.all(), request.user, "pk")
        elif db_field.name == "user":
            users = User.objects.filter(is_active=True)
            office_ids = scope_to_offices(Office.objects.all(), request.user, "pk").values("pk")
            if not (request.user.is_superuser or getattr(request.user, "is_bureau_wide", False)):
                users = users.filter(office_id__in=office_ids)
            kwargs["queryset"] = users
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: DutyShift, form: Any, change: bool) -> None:
        if not services.may_edit_roster(request.user, obj.office):  # type: ignore[arg-type]
            raise APIException("not allowed")
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("office", "user")


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(RoleBasedAdmin):
    """Deadlines per severity; the bureau sets them."""

    list_display = ["severity", "office_head_after_minutes", "bureau_after_minutes", "is_active"]
    write_roles = frozenset({Role.BUREAU_HEAD, Role.SYSADMIN})
