"""The JSON shape of an alert, the same in the staff API and on the console websocket.

It lives outside ``api/`` so that the services that publish alerts (and the API's views, through
``api/serializers.py``) read one declaration.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from backend.core.api import ModelSerializer
from backend.monitoring.models import Alert

__all__ = ["AlertSerializer", "PersonRefSerializer", "ZoneRefSerializer"]


class PersonRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ZoneRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()


class AlertSerializer(ModelSerializer[Alert]):
    """An alert as staff see it in the API and on the console websocket."""

    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    severity_display = serializers.CharField(source="get_severity_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    subject = PersonRefSerializer(read_only=True)
    office_name = serializers.CharField(source="office.name", read_only=True)
    zone = ZoneRefSerializer(read_only=True, allow_null=True)
    acknowledged_by_name = serializers.SerializerMethodField()
    resolved_by_name = serializers.SerializerMethodField()
    resolution = serializers.ChoiceField(
        choices=Alert.Resolution.choices,
        allow_blank=True,
        read_only=True,
        help_text="Empty until the alert is resolved.",
    )

    class Meta:
        model = Alert
        fields = [
            "id",
            "seq",
            "category",
            "kind",
            "kind_display",
            "severity",
            "severity_display",
            "status",
            "status_display",
            "subject",
            "office",
            "office_name",
            "zone",
            "occurred_at",
            "raised_at",
            "late",
            "evidence",
            "acknowledged_by",
            "acknowledged_by_name",
            "acknowledged_at",
            "resolved_by",
            "resolved_by_name",
            "resolved_at",
            "resolution",
            "resolution_note",
            "escalation_level",
            "escalated_at",
            "escalations",
        ]
        read_only_fields = fields

    def get_acknowledged_by_name(self, obj: Alert) -> str | None:
        user = obj.acknowledged_by
        return (user.get_full_name() or user.username) if user else None

    def get_resolved_by_name(self, obj: Alert) -> str | None:
        user = obj.resolved_by
        return (user.get_full_name() or user.username) if user else None
