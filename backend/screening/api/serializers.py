from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from backend.core.api import MAX_DB_INT, ModelSerializer
from backend.screening.factors import KNOWN_ABSENT, registered_factors
from backend.screening.models import Screening, ScreeningResult
from backend.screening.rules import Band
from backend.screening.services import parse_quarter
from backend.screening.services.review import MAX_TEXT


class StartScreeningSerializer(serializers.Serializer[Any]):
    quarter = serializers.CharField(
        required=False,
        max_length=6,
        help_text="The quarter to screen, `2026Q4`; default this quarter up to now. Not one to come.",
    )
    office = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_DB_INT,
        help_text="One office's people; empty for every office (bureau roles). Office heads: their own.",
    )

    def validate_quarter(self, value: str) -> str:
        try:
            parse_quarter(value)
        except ValueError:
            raise serializers.ValidationError(_("A quarter such as 2026Q4 (from 2000 on).")) from None
        return value


class ScreeningSerializer(ModelSerializer[Screening]):
    office_name = serializers.CharField(source="office.name", read_only=True, allow_null=True, default=None)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    rule_version = serializers.IntegerField(source="rule_table.version", read_only=True)
    progress = serializers.FloatField(read_only=True, help_text="0 to 1")
    counts = serializers.SerializerMethodField(
        help_text="People by band, total and to review (when finished)"
    )

    class Meta:
        model = Screening
        fields = [
            "id",
            "quarter",
            "window_start",
            "window_end",
            "office",
            "office_name",
            "status",
            "status_display",
            "trigger",
            "rule_version",
            "created_at",
            "started_at",
            "finished_at",
            "total",
            "done",
            "progress",
            "counts",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(child=serializers.IntegerField()))
    def get_counts(self, obj: Screening) -> dict[str, int]:
        return dict((obj.summary or {}).get("counts", {}))


def factor_labels() -> dict[str, str]:
    labels = {code: str(label) for code, (label, _source) in KNOWN_ABSENT.items()}
    labels.update({code: str(factor.label) for code, factor in registered_factors().items()})
    return labels


class ScreeningResultSerializer(ModelSerializer[ScreeningResult]):
    office_name = serializers.CharField(source="office.name", read_only=True)
    band_display = serializers.CharField(source="get_band_display", read_only=True)
    final_band = serializers.CharField(
        read_only=True, help_text="The reviewer's band if set, else the score's"
    )
    change = serializers.FloatField(read_only=True, allow_null=True, help_text="Score minus last quarter's")
    reviewed_by_name = serializers.SerializerMethodField()
    factors = serializers.SerializerMethodField(
        help_text="Each factor: code, label, weight; value, points, contribution and facts, or no_data"
    )

    class Meta:
        model = ScreeningResult
        fields = [
            "id",
            "screening",
            "person_kind",
            "person_id",
            "name",
            "office",
            "office_name",
            "rule_version",
            "score",
            "band",
            "band_display",
            "final_band",
            "missing",
            "factors",
            "previous_score",
            "previous_band",
            "change",
            "needs_review",
            "review_reasons",
            "conclusion",
            "override_band",
            "override_reason",
            "reviewed_by",
            "reviewed_by_name",
            "reviewed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_reviewed_by_name(self, obj: ScreeningResult) -> str | None:
        user = obj.reviewed_by
        return (user.get_full_name() or user.username) if user else None

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_factors(self, obj: ScreeningResult) -> list[dict[str, Any]]:
        labels = self.context.setdefault("factor_labels", factor_labels())
        return [{**row, "label": labels.get(row["code"], row["code"])} for row in obj.factors]


class ReviewSerializer(serializers.Serializer[Any]):
    conclusion = serializers.CharField(max_length=MAX_TEXT, help_text="The reviewer's conclusion")
    override_band = serializers.ChoiceField(
        choices=[Band.LOW, Band.MEDIUM, Band.HIGH],
        required=False,
        allow_blank=True,
        default="",
        help_text="Another band than the score's; needs `override_reason`",
    )
    override_reason = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")


class RuleFactorSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    # A serializer is a field too: these two names shadow a field's own attributes (on purpose).
    label = serializers.CharField()  # type: ignore[assignment]
    description = serializers.CharField()
    weight = serializers.FloatField()
    cuts = serializers.ListField(child=serializers.FloatField())
    source = serializers.CharField()  # type: ignore[assignment]
    has_data = serializers.BooleanField(help_text="False until a module registers a source for it")


class RuleSectionSerializer(serializers.Serializer[Any]):
    person_kind = serializers.CharField()
    factors = RuleFactorSerializer(many=True)
    bands = serializers.DictField(child=serializers.FloatField())
    max_missing = serializers.IntegerField()


class RuleTableSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField()
    name = serializers.CharField()
    notes = serializers.CharField()
    sections = RuleSectionSerializer(many=True)
