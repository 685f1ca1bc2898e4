from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_celery_beat.models import PeriodicTask
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.models import Office, Role, User
from backend.accounts.permissions import IsStaffMember, staff_user
from backend.accounts.scoping import scope_to_offices
from backend.audit.api.mixins import AuditedViewSetMixin
from backend.core.api import IdFilter, TimeFilter
from backend.duty import services
from backend.duty.api.serializers import DutyShiftSerializer, PeriodicJobSerializer
from backend.duty.models import DutyShift

_REFUSED = {"403": "The caller may not edit this roster (office heads edit their own office's)."}


class RosterPermission(IsStaffMember):
    """Staff read the rosters they see; only roster editors change one (403 before the body is read),
    and an office head only the office's own."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.method in SAFE_METHODS:
            return True
        user = staff_user(request)
        if user.is_superuser or user.role in services.ROSTER_EDITORS or user.role == Role.OFFICE_HEAD:
            return True
        self.message = _("You may not edit this roster.")
        return False

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        return request.method in SAFE_METHODS or services.may_edit_roster(staff_user(request), obj.office)


class DutyShiftFilter(filters.FilterSet):
    office = IdFilter(field_name="office_id")
    user = IdFilter(field_name="user_id")
    at = TimeFilter(method="filter_at", label="On duty at this time")
    since = TimeFilter(field_name="ends_at", lookup_expr="gt", label="Shifts ending after")
    until = TimeFilter(field_name="starts_at", lookup_expr="lt", label="Shifts starting before")

    class Meta:
        model = DutyShift
        fields = ["office", "user", "at", "since", "until"]

    def filter_at(self, queryset: QuerySet[DutyShift], name: str, value: dt.datetime) -> QuerySet[DutyShift]:
        return queryset.filter(starts_at__lte=value, ends_at__gt=value)


@extend_schema_view(
    list=extend_schema(tags=["duty"]),
    retrieve=extend_schema(tags=["duty"]),
    create=extend_schema(tags=["duty"]),
    update=extend_schema(tags=["duty"]),
    partial_update=extend_schema(tags=["duty"]),
    destroy=extend_schema(tags=["duty"]),
)
class DutyShiftViewSet(AuditedViewSetMixin, viewsets.ModelViewSet[DutyShift]):
    """The duty roster (值班表) of the caller's offices (bureau roles: every office and the bureau).

    Critical alerts wake the staff on duty; bureau staff and heads edit every roster, an office
    head the office's own; others read.
    """

    audit_resource = "duty_shift"
    permission_classes = [RosterPermission]
    serializer_class = DutyShiftSerializer
    filterset_class = DutyShiftFilter
    ordering_fields = ["starts_at", "ends_at", "id"]
    documented_errors = {
        "create": _REFUSED,
        "update": _REFUSED,
        "partial_update": _REFUSED,
        "destroy": _REFUSED,
    }

    def get_queryset(self) -> QuerySet[DutyShift]:
        queryset = DutyShift.objects.select_related("office", "user").order_by("starts_at", "pk")
        return scope_to_offices(queryset, self.request.user)

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        serializer = super().get_serializer(*args, **kwargs)
        if hasattr(serializer, "fields") and "office" in serializer.fields:
            offices = scope_to_offices(Office.objects.all(), self.request.user, "pk")
            serializer.fields["office"].queryset = offices
            serializer.fields["user"].queryset = (
                User.objects.filter(is_active=True)
                if getattr(self.request.user, "is_bureau_wide", False)
                else User.objects.filter(is_active=True, office__in=offices)
            )
        return serializer

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_shift(staff_user(self.request), **serializer.validated_data)

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_shift(
            staff_user(self.request), serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance: DutyShift) -> None:
        services.delete_shift(staff_user(self.request), instance)


class PeriodicJobViewSet(AuditedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet[PeriodicTask]):
    """The jobs that run while nobody watches, and when each ran last (the schedule is data: the
    system administrator changes it in the admin)."""

    audit_resource = "periodic_job"
    serializer_class = PeriodicJobSerializer
    queryset = PeriodicTask.objects.select_related("interval", "crontab", "solar", "clocked").order_by("name")
    filterset_fields = ["enabled"]
    ordering_fields = ["name", "last_run_at"]

    @extend_schema(tags=["duty"])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)
