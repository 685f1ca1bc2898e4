"""The archives in the admin (Chinese by the catalogues): the catalogue is edited by the bureau;
archives, documents, versions and files are read-only (append-only), and every page that shows
a subject's archive is written to the access log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse

from backend.accounts.admin import RoleBasedAdmin
from backend.accounts.models import Role
from backend.archives.models import Archive, CatalogueItem, Document, DocumentVersion, Sanction, VersionFile
from backend.audit.models import AccessLog
from backend.audit.services import record_access
from backend.supervision.admin import OfficeScopedAdmin

BUREAU_EDITORS = frozenset({Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.SYSADMIN})


@admin.register(CatalogueItem)
class CatalogueItemAdmin(RoleBasedAdmin):
    write_roles = BUREAU_EDITORS
    list_display = [
        "name",
        "code",
        "archive_kind",
        "stage",
        "recurrence",
        "required",
        "deadline_days",
        "is_active",
    ]
    list_filter = ["archive_kind", "stage", "recurrence", "required", "is_active"]
    search_fields = ["code", "name", "legal_basis"]


class AuditedReadOnlyAdmin(OfficeScopedAdmin):
    """Read-only, and each list and page viewed is written to the access log."""

    audit_resource = "archive"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        record_access(request, action=AccessLog.Action.LIST, resource=self.audit_resource, detail={"admin": True},
                      status_code=response.status_code)  # fmt: skip
        return response

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = self.get_object(request, object_id)
        detail: dict[str, Any] = {"admin": True}
        archive_id = self.archive_of(obj) if obj is not None else None
        if archive_id is not None:
            detail["archive"] = archive_id
        record_access(request, action=AccessLog.Action.READ, resource=self.audit_resource, object_id=object_id,
                      detail=detail, status_code=response.status_code)  # fmt: skip
        return response

    def archive_of(self, obj: Any) -> int | None:
        return None


@admin.register(Archive)
class ArchiveAdmin(AuditedReadOnlyAdmin):
    office_field = "subject__office"
    list_display = ["subject", "kind", "length", "created_at"]
    list_filter = ["kind", "subject__office"]
    search_fields = ["subject__name", "subject__case_number"]
    list_select_related = ["subject"]

    def archive_of(self, obj: Any) -> int | None:
        return int(obj.pk)


@admin.register(Document)
class DocumentAdmin(AuditedReadOnlyAdmin):
    audit_resource = "archive_document"
    office_field = "archive__subject__office"
    list_display = ["title", "archive", "catalogue_item", "period", "origin", "version_count", "created_at"]
    list_filter = ["origin", "archive__kind", "catalogue_item"]
    search_fields = ["title", "archive__subject__name", "archive__subject__case_number"]
    list_select_related = ["archive__subject", "catalogue_item"]

    def archive_of(self, obj: Any) -> int | None:
        return int(obj.archive_id)


@admin.register(DocumentVersion)
class DocumentVersionAdmin(AuditedReadOnlyAdmin):
    audit_resource = "archive_document"
    office_field = "archive__subject__office"
    list_display = ["document", "number", "position", "created_at", "created_by", "sha256"]
    search_fields = ["document__title", "sha256", "sm3", "entry_hash"]
    list_select_related = ["document", "created_by"]

    def archive_of(self, obj: Any) -> int | None:
        return int(obj.archive_id)


@admin.register(VersionFile)
class VersionFileAdmin(AuditedReadOnlyAdmin):
    audit_resource = "archive_file"
    office_field = "version__archive__subject__office"
    list_display = ["name", "version", "content_type", "size", "sha256"]
    search_fields = ["name", "sha256", "sm3"]
    list_select_related = ["version__document"]

    def archive_of(self, obj: Any) -> int | None:
        return int(obj.version.archive_id)


@admin.register(Sanction)
class SanctionAdmin(AuditedReadOnlyAdmin):
    audit_resource = "sanction"
    office_field = "subject__office"
    list_display = ["subject", "kind", "status", "proposed_by", "approved_by", "decided_on"]
    list_filter = ["kind", "status"]
    search_fields = ["subject__name", "facts"]
    list_select_related = ["subject", "proposed_by", "approved_by"]
