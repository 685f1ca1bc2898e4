"""A viewset mixin that writes one access-log row per staff request, whatever its outcome."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.request import Request
from rest_framework.response import Response

from backend.audit.models import AccessLog
from backend.audit.services import record_access

_ACTIONS = {
    "list": AccessLog.Action.LIST,
    "retrieve": AccessLog.Action.READ,
    "create": AccessLog.Action.CREATE,
    "update": AccessLog.Action.UPDATE,
    "partial_update": AccessLog.Action.UPDATE,
    "destroy": AccessLog.Action.DELETE,
}
_MAX_IDS = 500

# The mixin goes before a DRF view among a view's bases; to the checker it is that view.
if TYPE_CHECKING:
    from rest_framework.views import APIView as _ViewBase
else:
    _ViewBase = object


class AuditedViewSetMixin(_ViewBase):
    """Record every request to this viewset in the access log (``audit_resource`` names it).

    Reads are recorded too, including failed ones: a run of 404s on other offices' ids is exactly
    what an auditor wants to see.
    """

    audit_resource: str = ""
    # The query parameter that states why the record is read, where the law asks for one (a track).
    audit_reason_param: str = ""
    # What a view adds to its log row (e.g. the time window of a track); set while handling.
    audit_detail: dict[str, Any]
    # A viewset's action, or the fixed one a plain view declares (``TrackView``).
    action: str

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            self.write_audit(request, response)
        return response

    def write_audit(self, request: Request, response: Response) -> None:
        view_action = self.action or ""
        action = _ACTIONS.get(view_action, AccessLog.Action.ACTION)
        detail: dict[str, Any] = {}
        if action == AccessLog.Action.ACTION:
            detail["action"] = view_action
        object_id = self.kwargs.get("pk", "")
        data = response.data if isinstance(getattr(response, "data", None), dict) else None
        if view_action == "list" and data is not None and isinstance(data.get("results"), list):
            detail["ids"] = [row.get("id") for row in data["results"][:_MAX_IDS] if isinstance(row, dict)]
        elif view_action == "create" and data is not None and response.status_code < 400:
            object_id = data.get("id", "")
        detail.update(getattr(self, "audit_detail", {}))
        if response.status_code >= 400 and data is not None:
            detail["error"] = str(data.get("code", ""))[:40]
        record_access(
            request,
            action=action,
            resource=self.audit_resource,
            object_id=object_id,
            status_code=response.status_code,
            detail=detail,
            reason=request.query_params.get(self.audit_reason_param, "") if self.audit_reason_param else "",
        )
