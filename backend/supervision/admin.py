from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from backend.accounts.admin import MaskedIdentityAdmin, RoleBasedAdmin
from backend.accounts.models import Role
from backend.accounts.scoping import scope_to_offices
from backend.supervision.models import (
    Device,
    EnrollmentCode,
    LevelChange,
    ReleasedPerson,
    Subject,
    SupervisionPolicy,
)
from backend.supervision.services import update_policy


class OfficeScopedAdmin(RoleBasedAdmin):
    """Admin pages show office staff only their own office's people, like the API does."""

    office_field = "office"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return scope_to_offices(super().get_queryset(request), request.user, self.office_field)


_DEVICE_FIELDS = (
    "platform",
    "model",
    "app_version",
    "token_prefix",
    "enrolled_at",
    "last_seen_at",
    "revoked_at",
    "revoked_reason",
)


class DeviceInline(admin.TabularInline):
    model = Device
    extra = 0
    can_delete = False
    fields = _DEVICE_FIELDS
    readonly_fields = _DEVICE_FIELDS

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


_LEVEL_CHANGE_FIELDS = ("changed_at", "from_level", "to_level", "reason", "changed_by")


class LevelChangeInline(admin.TabularInline):
    model = LevelChange
    extra = 0
    can_delete = False
    fields = _LEVEL_CHANGE_FIELDS
    readonly_fields = _LEVEL_CHANGE_FIELDS

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Subject)
class SubjectAdmin(MaskedIdentityAdmin, OfficeScopedAdmin):
    list_display = [
        "name",
        "case_number",
        "office",
        "sentence_type",
        "supervision_level",
        "status",
        "supervision_end",
        "responsible_officer",
    ]
    list_filter = ["office", "status", "supervision_level", "sentence_type", "gender"]
    search_fields = ["name", "case_number", "home_address", "phone"]
    date_hierarchy = "supervision_start"
    list_select_related = ["office", "responsible_officer"]
    autocomplete_fields = ["responsible_officer"]
    inlines = [DeviceInline, LevelChangeInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A level changes only by the service, with a reason kept in the history (the API's
        # POST /subjects/{id}/level); it is set here when the record is made.
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "supervision_level"] if obj is not None else readonly


@admin.register(ReleasedPerson)
class ReleasedPersonAdmin(MaskedIdentityAdmin, OfficeScopedAdmin):
    list_display = [
        "name",
        "office",
        "release_date",
        "status",
        "is_key_person",
        "handover_deadline",
        "received_at",
    ]
    list_filter = ["office", "status", "is_key_person", "gender"]
    search_fields = ["name", "home_address", "prison", "phone"]
    date_hierarchy = "release_date"
    list_select_related = ["office"]
    autocomplete_fields = ["responsible_officer"]


@admin.register(Device)
class DeviceAdmin(OfficeScopedAdmin):
    office_field = "subject__office"
    list_display = [
        "subject",
        "platform",
        "model",
        "app_version",
        "token_prefix",
        "enrolled_at",
        "last_seen_at",
        "revoked_at",
    ]
    list_filter = ["platform", "subject__office"]
    search_fields = ["subject__name", "token_prefix", "model"]
    # Named one by one: the token's hash, the push token and the signing key are never shown (a
    # push token would let the reader message the phone; the hash and key help nobody here) and
    # never edited (the check-in fast path keeps each token's key for the life of its process).
    fields = [
        "subject",
        "platform",
        "model",
        "os_version",
        "app_version",
        "token_prefix",
        "has_push_token",
        "signs_requests",
        "enrolled_at",
        "last_seen_at",
        "revoked_at",
        "revoked_reason",
    ]
    readonly_fields = [
        "subject",
        "token_prefix",
        "has_push_token",
        "signs_requests",
        "enrolled_at",
        "last_seen_at",
    ]
    list_select_related = ["subject"]

    @admin.display(description=_("push token"), boolean=True)
    def has_push_token(self, obj: Device) -> bool:
        return bool(obj.push_token)

    @admin.display(description=_("signing public key"), boolean=True)
    def signs_requests(self, obj: Device) -> bool:
        return bool(obj.public_key)


@admin.register(EnrollmentCode)
class EnrollmentCodeAdmin(OfficeScopedAdmin):
    office_field = "subject__office"
    list_display = ["subject", "created_by", "created_at", "expires_at", "used_at", "revoked_at"]
    list_filter = ["subject__office"]
    search_fields = ["subject__name"]
    # The code's hash is not shown: a code is checked by the phone's enrollment, never read here.
    fields = ["subject", "created_by", "created_at", "expires_at", "used_at", "revoked_at"]
    readonly_fields = [
        "subject",
        "created_by",
        "created_at",
        "expires_at",
        "used_at",
        "revoked_at",
    ]


@admin.register(SupervisionPolicy)
class SupervisionPolicyAdmin(RoleBasedAdmin):
    """What each level demands; only the bureau changes it, and the change applies to everyone of
    the level at once (``update_policy``)."""

    write_roles = frozenset({Role.BUREAU_STAFF, Role.BUREAU_HEAD})
    list_display = [
        "level",
        "checkin_interval_minutes",
        "overdue_grace_minutes",
        "lost_contact_after_minutes",
        "curfew_applies",
        "curfew_start",
        "curfew_end",
        "unsupervised_after_days",
        "auto_end_at_term",
        "education_hours_per_month",
        "updated_at",
    ]
    readonly_fields = ["level", "updated_at", "updated_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # one row per level, made by the migration

    def save_model(self, request: HttpRequest, obj: SupervisionPolicy, form: Any, change: bool) -> None:
        values = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
        update_policy(obj.level, values, request.user if request.user.is_authenticated else None)


@admin.register(LevelChange)
class LevelChangeAdmin(OfficeScopedAdmin):
    office_field = "subject__office"
    list_display = ["subject", "from_level", "to_level", "changed_by", "changed_at"]
    list_filter = ["to_level", "subject__office"]
    search_fields = ["subject__name", "reason"]
    readonly_fields = ["subject", "from_level", "to_level", "reason", "changed_by", "changed_at"]
    list_select_related = ["subject", "changed_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # only the service changes a level

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
