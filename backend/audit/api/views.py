from __future__ import annotations

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from rest_framework import viewsets

from backend.accounts.permissions import IsAuditReader
from backend.audit.models import AccessLog
from backend.core.api import ModelSerializer, TimeFilter


class AccessLogSerializer(ModelSerializer[AccessLog]):
    class Meta:
        model = AccessLog
        fields = [
            "id",
            "at",
            "actor",
            "actor_username",
            "actor_role",
            "actor_office_id",
            "action",
            "resource",
            "object_id",
            "detail",
            "method",
            "path",
            "ip",
            "user_agent",
            "status_code",
            "outcome",
        ]
        read_only_fields = fields


class AccessLogFilter(filters.FilterSet):
    since = TimeFilter(field_name="at", lookup_expr="gte")
    until = TimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = AccessLog
        fields = ["actor", "action", "resource", "object_id", "outcome", "since", "until"]


class AccessLogViewSet(viewsets.ReadOnlyModelViewSet[AccessLog]):
    """The access log, newest first: auditors, the bureau head and system administrators."""

    serializer_class = AccessLogSerializer
    permission_classes = [IsAuditReader]
    filterset_class = AccessLogFilter

    def get_queryset(self) -> QuerySet[AccessLog]:
        return AccessLog.objects.all()
