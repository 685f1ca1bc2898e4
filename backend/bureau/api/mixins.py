"""What every unit-scoped module of the bureau builds its API from (lawadmin, business, publicity,
mediation, learning…): one permission, one scoping mixin, the base of a unit's return, and the
XLSX ledger action. See "The bureau's modules" in docs/architecture.md.

- ``BureauModulePermission``: bureau roles read and write (auditors only read); a module that is
  the bureau's own answers 404 to office roles (``office_roles_allowed = False``) and to reporters
  (``reporters_allowed = False``); a reporter may only do the view's ``reporter_actions``, an office
  role its ``office_actions``; ``bureau_actions`` are the bureau's alone (403 to the others).
- ``UnitScopedViewSetMixin``: the access log, and ``scope()`` restricting a queryset to the caller's
  units (another unit's record: 404).
- ``UnitReturnSerializer`` / ``UnitReturnViewSetMixin``: a reporter creates returns for their own
  unit (the unit may be left out), edits them while draft or returned, submits them; the bureau
  reviews (accepts or returns with a note).
- ``LedgerMixin``: ``GET …/ledger`` streams the filtered list as XLSX through ``core.ledger``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from backend.accounts.models import OFFICE_ROLES, Role, User
from backend.accounts.permissions import staff_user
from backend.audit.api.mixins import AuditedViewSetMixin
from backend.bureau import services
from backend.bureau.models import Unit
from backend.bureau.scoping import reporter_unit_id, visible_unit_ids
from backend.core.api import ModelSerializer
from backend.core.ledger import XLSX_CONTENT_TYPE, Column, ledger_response

if TYPE_CHECKING:
    from rest_framework.views import APIView
    from rest_framework.viewsets import GenericViewSet

    _ViewBase = GenericViewSet[Any]
else:
    _ViewBase = object

WRITER_BUREAU_ROLES = frozenset({Role.BUREAU_STAFF, Role.BUREAU_HEAD, Role.SYSADMIN})


class BureauModulePermission(BasePermission):
    """Who may do what in a bureau module (see the module text); scope is the queryset's job."""

    message = _("Only the bureau may do this.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not isinstance(user, User) or not user.is_authenticated or not user.is_active:
            return False
        view_action = getattr(view, "action", None) or ""
        if not view_action and hasattr(view, "action_map"):
            return True  # a method the route does not take: the view answers 405, not a refusal
        safe = request.method in SAFE_METHODS
        if user.is_bureau_wide:
            if user.is_read_only and not safe:
                self.message = _("Auditors have read-only access.")
                return False
            return True
        allowed: frozenset[str]
        if user.role == Role.REPORTER:
            if not getattr(view, "reporters_allowed", True):
                raise NotFound
            allowed = getattr(view, "reporter_actions", frozenset())
        elif user.role in OFFICE_ROLES:
            if not getattr(view, "office_roles_allowed", False):
                raise NotFound
            allowed = getattr(view, "office_actions", frozenset())
        else:
            return False
        if view_action in getattr(view, "bureau_actions", frozenset()):
            return False
        return safe or view_action in allowed


class UnitScopedViewSetMixin(AuditedViewSetMixin, _ViewBase):
    """A bureau module's viewset: audited, permission by role, queryset scoped to the caller's units."""

    permission_classes = [BureauModulePermission]
    unit_field = "unit"
    office_roles_allowed = False
    reporters_allowed = True
    reporter_actions: frozenset[str] = frozenset()
    office_actions: frozenset[str] = frozenset()
    bureau_actions: frozenset[str] = frozenset()

    def scope(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        from backend.bureau.scoping import scope_to_units

        return scope_to_units(queryset, self.request.user, self.unit_field, offices=self.office_roles_allowed)


# ---------------------------------------------------------------------------------------------
# A unit's return
# ---------------------------------------------------------------------------------------------

RETURN_FIELDS = (
    "id",
    "unit",
    "unit_name",
    "status",
    "reported_by",
    "submitted_at",
    "reviewed_by",
    "reviewed_at",
    "review_note",
    "created_at",
    "updated_at",
)
RETURN_READ_ONLY = tuple(f for f in RETURN_FIELDS if f != "unit")


def unit_for_caller(serializer: serializers.Serializer[Any], unit: Unit | None, *, offices: bool) -> Unit:
    """The unit a record is entered for: a reporter's own when left out; one the caller may see."""
    user = staff_user(serializer.context["request"])
    if unit is None:
        own = reporter_unit_id(user)
        if own is None:
            raise serializers.ValidationError({"unit": [_("This field is required.")]})
        return Unit.objects.get(pk=own)
    visible = visible_unit_ids(user, offices=offices)
    if visible is not None and unit.pk not in visible:
        raise serializers.ValidationError({"unit": [_("You may enter records for your own unit only.")]})
    return unit


class UnitScopedSerializer(ModelSerializer[Any]):
    """A record kept against a unit: ``unit`` optional for a reporter (their own), checked for all."""

    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), required=False)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    # Whether office roles may enter records for their town (the view's office_roles_allowed).
    offices = False

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if self.instance is None or "unit" in attrs:
            attrs["unit"] = unit_for_caller(self, attrs.get("unit"), offices=self.offices)
        return attrs


class UnitReturnSerializer(UnitScopedSerializer):
    """Base serializer of a ``UnitReturn``: list ``RETURN_FIELDS`` + the module's own fields."""

    class Meta:
        fields = RETURN_FIELDS
        read_only_fields = RETURN_READ_ONLY


class ReturnReviewSerializer(serializers.Serializer[Any]):
    accepted = serializers.BooleanField()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class UnitReturnViewSetMixin(UnitScopedViewSetMixin):
    """A module's returns: reporters create, edit while draft/returned and submit; the bureau reviews."""

    reporter_actions = frozenset({"create", "update", "partial_update", "submit"})
    bureau_actions = frozenset({"review"})

    def perform_create(self, serializer: Any) -> None:
        serializer.save(reported_by=staff_user(self.request))

    def perform_update(self, serializer: Any) -> None:
        services.check_editable(serializer.instance)
        serializer.save()

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        """Send the return to the bureau (from draft or returned)."""
        record = services.submit_return(self.get_object(), by=staff_user(request))
        return Response(self.get_serializer(record).data)

    @extend_schema(request=ReturnReviewSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str | None = None) -> Response:
        """The bureau accepts the return, or returns it to the unit with a note saying what to correct."""
        record = self.get_object()
        form = ReturnReviewSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        record = services.review_return(record, by=staff_user(request), **form.validated_data)
        return Response(self.get_serializer(record).data)


# ---------------------------------------------------------------------------------------------
# XLSX ledgers
# ---------------------------------------------------------------------------------------------


class LedgerMixin(_ViewBase):
    """``GET …/ledger``: the filtered list as an XLSX ledger (台账), streamed by ``core.ledger``."""

    ledger_title: Any = ""
    ledger_filename = "ledger.xlsx"
    ledger_columns: Sequence[Column] = ()
    audit_detail: dict[str, Any]

    def ledger_row(self, obj: Any) -> Sequence[Any]:
        raise NotImplementedError

    def ledger_rows(self, queryset: QuerySet[Any]) -> Any:
        for obj in queryset.iterator(chunk_size=500):
            yield self.ledger_row(obj)

    @extend_schema(
        responses={(200, XLSX_CONTENT_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="XLSX ledger")}
    )
    @action(detail=False, methods=["get"])
    def ledger(self, request: Request) -> FileResponse:
        """The ledger (台账) of the records listed, as XLSX."""
        queryset = self.filter_queryset(self.get_queryset())
        self.audit_detail = {"export": "xlsx"}
        return ledger_response(
            self.ledger_filename,
            title=self.ledger_title,
            columns=self.ledger_columns,
            rows=self.ledger_rows(queryset),
        )
