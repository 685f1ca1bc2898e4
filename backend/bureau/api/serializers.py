from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from backend.bureau.models import Indicator, RectificationItem, Unit
from backend.bureau.scoping import visible_unit_ids
from backend.core.api import ModelSerializer

# An evidence document: what a scan or an office document weighs, no more.
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024


class UnitSerializer(ModelSerializer[Unit]):
    class Meta:
        model = Unit
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "parent",
            "office",
            "credit_code",
            "address",
            "phone",
            "is_active",
        ]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        kind = attrs.get("kind", getattr(self.instance, "kind", None))
        office = attrs.get("office", getattr(self.instance, "office", None))
        if kind == Unit.Kind.TOWN and office is None:
            raise serializers.ValidationError({"office": [_("A town or street needs its justice office.")]})
        return attrs


class RectificationItemSerializer(ModelSerializer[RectificationItem]):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    source_kind = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()
    evidence = serializers.SerializerMethodField()

    class Meta:
        model = RectificationItem
        fields = [
            "id",
            "unit",
            "unit_name",
            "finding",
            "requirement",
            "deadline",
            "status",
            "overdue",
            "evidence",
            "evidence_note",
            "review_note",
            "source_kind",
            "source_id",
            "created_at",
            "submitted_at",
            "closed_at",
        ]
        read_only_fields = [
            "status",
            "evidence_note",
            "review_note",
            "source_id",
            "created_at",
            "submitted_at",
            "closed_at",
        ]

    def get_source_kind(self, item: RectificationItem) -> str | None:
        kind = item.source_type
        return None if kind is None else f"{kind.app_label}.{kind.model}"

    def get_evidence(self, item: RectificationItem) -> str | None:
        """The evidence document's file name; it is read at ``…/{id}/evidence`` (audited)."""
        return (item.evidence.name or "").rsplit("/", 1)[-1] if item.evidence else None

    def get_overdue(self, item: RectificationItem) -> bool:
        return item.is_overdue()


class RectificationSubmitSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    evidence = serializers.FileField(required=False, max_length=200)

    def validate_evidence(self, value: Any) -> Any:
        if value is not None and value.size > MAX_EVIDENCE_BYTES:
            raise serializers.ValidationError(
                _("At most %(size)d MB.") % {"size": MAX_EVIDENCE_BYTES // (1024 * 1024)}
            )
        return value


class RectificationVerifySerializer(serializers.Serializer[Any]):
    accepted = serializers.BooleanField()
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RectificationCancelSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=2000)


class MonthValueSerializer(serializers.Serializer[Any]):
    month = serializers.IntegerField()
    value = serializers.FloatField()


class UnitValueSerializer(serializers.Serializer[Any]):
    unit = serializers.IntegerField()
    unit_name = serializers.CharField()
    value = serializers.FloatField()


class IndicatorSerializer(ModelSerializer[Indicator]):
    """An indicator and its progress (``value`` to date, ``ratio`` of the target, ``met``)."""

    value = serializers.SerializerMethodField(method_name="progress_value")
    ratio = serializers.SerializerMethodField()
    met = serializers.SerializerMethodField()
    by_month = serializers.SerializerMethodField()

    class Meta:
        model = Indicator
        fields = [
            "id",
            "code",
            "year",
            "name",
            "module",
            "target",
            "measure",
            "comparison",
            "period",
            "description",
            "value",
            "ratio",
            "met",
            "by_month",
        ]

    def _progress(self, indicator: Indicator) -> Any:
        return self.context.get("progress", {}).get(indicator.pk)

    def progress_value(self, indicator: Indicator) -> float | None:
        progress = self._progress(indicator)
        return None if progress is None else round(progress.value, 2)

    def get_ratio(self, indicator: Indicator) -> float | None:
        from backend.bureau.indicators import ratio

        progress = self._progress(indicator)
        return None if progress is None else ratio(indicator, progress.value)

    def get_met(self, indicator: Indicator) -> bool | None:
        from backend.bureau.indicators import is_met

        progress = self._progress(indicator)
        return None if progress is None else is_met(indicator, progress.value)

    @staticmethod
    def _months(progress: Any) -> list[dict[str, Any]]:
        return [{"month": m, "value": round(v, 2)} for m, v in sorted(progress.by_month.items())]

    @extend_schema_field(MonthValueSerializer(many=True))
    def get_by_month(self, indicator: Indicator) -> list[dict[str, Any]]:
        progress = self._progress(indicator)
        return [] if progress is None else self._months(progress)


class IndicatorDetailSerializer(IndicatorSerializer):
    by_unit = serializers.SerializerMethodField()

    class Meta(IndicatorSerializer.Meta):
        fields = [*IndicatorSerializer.Meta.fields, "by_unit"]

    @extend_schema_field(UnitValueSerializer(many=True))
    def get_by_unit(self, indicator: Indicator) -> list[dict[str, Any]]:
        progress = self._progress(indicator)
        if progress is None:
            return []
        visible = visible_unit_ids(self.context["request"].user)
        ids = [pk for pk in progress.by_unit if visible is None or pk in visible]
        names = dict(Unit.objects.filter(pk__in=ids).values_list("pk", "name"))
        return [
            {"unit": pk, "unit_name": names.get(pk, ""), "value": round(progress.by_unit[pk], 2)}
            for pk in sorted(ids, key=lambda pk: (-progress.by_unit[pk], pk))
        ]
