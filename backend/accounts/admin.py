from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.models import TokenProxy

from backend.accounts.models import Office, Role, User
from backend.accounts.signals import staff_admin_access

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

    # -- the access log: every admin page that shows or changes records (backend.audit records it)

    def audit(
        self,
        request: HttpRequest,
        action: str,
        response: Any,
        object_id: Any = "",
        reason: str = "",
        **detail: Any,
    ) -> None:
        if not getattr(request.user, "is_authenticated", False):
            return
        status = getattr(response, "status_code", 200)
        # A successful POST answers with a redirect; a GET's redirect is a refusal or a missing object.
        staff_admin_access.send(
            sender=type(self),
            request=request,
            action=action,
            resource=self.opts.model_name,
            object_id=object_id,
            status_code=status,
            detail={"via": "admin", **detail},
            reason=reason,
        )

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        changelist = (
            getattr(response, "context_data", {}).get("cl") if hasattr(response, "context_data") else None
        )
        ids = [obj.pk for obj in changelist.result_list][:500] if changelist is not None else []
        self.audit(request, "list" if request.method == "GET" else "update", response, ids=ids)
        return response

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        self.audit(request, "read" if request.method == "GET" else "update", response, object_id)
        return response

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        response = super().add_view(request, form_url, extra_context)
        if request.method == "POST":
            self.audit(request, "create", response)
        return response

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        response = super().delete_view(request, object_id, extra_context)
        self.audit(request, "read" if request.method == "GET" else "delete", response, object_id)
        return response

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        response = super().history_view(request, object_id, extra_context)
        self.audit(request, "read", response, object_id, page="history")
        return response


class MaskedIdentityAdmin(RoleBasedAdmin):
    """Identity numbers masked on every page of the admin; revealing one is its own logged action.

    For a model with ``id_number`` and ``id_number_masked``: the change and view pages show the
    masked number, and staff who may see identity numbers (office heads, the bureau head,
    administrators) get a link to a page that asks why and then shows it, logging the reveal
    with its reason. The number is entered on the add page only.
    """

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        exclude = list(super().get_exclude(request, obj) or [])
        return [*exclude, "id_number"] if obj is not None else exclude

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "identity_number"] if obj is not None else readonly

    @admin.display(description=_("identity number"))
    def identity_number(self, obj: Any) -> str:
        return format_html(
            '{} <a href="{}">{}</a>', obj.id_number_masked, "../reveal-identity/", _("reveal (logged)")
        )

    def get_urls(self) -> list[Any]:
        info = self.opts.app_label, self.opts.model_name
        reveal = path(
            "<path:object_id>/reveal-identity/",
            self.admin_site.admin_view(self.reveal_identity_view),
            name="{}_{}_reveal_identity".format(*info),
        )
        return [reveal, *super().get_urls()]

    def reveal_identity_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404
        if not getattr(request.user, "may_see_id_numbers", False):
            self.audit(request, "reveal", HttpResponse(status=403), obj.pk)
            raise PermissionDenied
        reason = str(request.POST.get("reason", "")).strip() if request.method == "POST" else ""
        if not reason:
            form = format_html(
                '<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="{}">'
                '<label>{} <input name="reason" required maxlength="200"></label> '
                '<button type="submit">{}</button></form>',
                get_token(request),
                _("Why is the full identity number needed?"),
                _("Reveal"),
            )
            return HttpResponse(format_html("<h1>{}</h1>{}", obj, form))
        self.audit(request, "reveal", HttpResponse(status=200), obj.pk, reason=reason)
        return HttpResponse(format_html("<h1>{}</h1><p>{}</p>", obj, obj.id_number))


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


# DRF's token admin lists its tokens' keys in clear and makes new ones. Staff API tokens are the
# project's own (``StaffToken``: hashed, shown once at sign-in); DRF's table stays empty and unused.
if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)
