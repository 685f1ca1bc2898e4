from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

import geofence as gf
from backend.core.api import ModelSerializer
from backend.monitoring.checkin_input import FIX_FIELDS, MAX_BATCH, FixField
from backend.monitoring.models import Alert, CheckIn, PhoneCommand, SamplingRegime, Zone
from backend.monitoring.payloads import AlertSerializer as AlertSerializer  # the API views read it from here
from backend.monitoring.zones import ENGINE_FIELDS, ZoneNotEvaluable, check_zone, zone_field, zone_problems
from geofence import zones as zone_limits


class ResolveAlertSerializer(serializers.Serializer[Any]):
    resolution = serializers.ChoiceField(choices=Alert.Resolution.choices)
    note = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="What was done: required (not blank) unless the resolution is `false_alarm`.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["resolution"] != Alert.Resolution.FALSE_ALARM and not attrs.get("note", "").strip():
            raise serializers.ValidationError({"note": [_("Describe what was done.")]}, code="note_required")
        return attrs


def _resolve_request_schema() -> dict[str, Any]:
    """The resolve body as the server takes it: a note with a non-space character unless the
    resolution is a false alarm (one ``oneOf`` branch each; the serializer cannot say it)."""
    note = {"type": "string", "maxLength": 2000, "description": "What was done."}
    others = [value for value in Alert.Resolution.values if value != Alert.Resolution.FALSE_ALARM]
    return {
        "oneOf": [
            {
                "type": "object",
                "properties": {
                    "resolution": {"type": "string", "enum": [Alert.Resolution.FALSE_ALARM]},
                    "note": note,
                },
                "required": ["resolution"],
            },
            {
                "type": "object",
                "properties": {
                    "resolution": {"type": "string", "enum": others},
                    "note": {**note, "pattern": r"\S"},
                },
                "required": ["resolution", "note"],
            },
        ]
    }


RESOLVE_REQUEST_SCHEMA = _resolve_request_schema()


def _limit(text: str) -> str:
    """A field's help text quoting the engine's limits (they are declared in ``geofence.zones``)."""
    return text.format(
        radius=f"{zone_limits.MAX_RADIUS_M:g}",
        buffer=f"{zone_limits.MAX_APPROACH_BUFFER_M:g}",
        fixes=zone_limits.MAX_EPISODE_FIXES,
        seconds=zone_limits.MAX_CONFIRM_SECONDS,
        vertices=zone_limits.MAX_VERTICES,
    )


def _label(name: str) -> Any:
    return zone_field(name).verbose_name


class _NumberField(serializers.FloatField):
    """A number, as the engine takes it: ``true`` is not 1 (DRF's FloatField would read it so)."""

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool):
            self.fail("invalid")
        return float(super().to_internal_value(data))


class ZoneSerializer(ModelSerializer[Zone]):
    """A zone as GeoJSON geometry (WGS-84) plus its rules. Send ``crs`` when drawn on a GCJ-02/BD-09 map.

    A zone the geofence engine would refuse is a 400 naming the field; ``evaluable`` and
    ``problems`` show a stored zone that the engine skips until it is fixed.
    """

    # Every write is checked by the engine's own validator (``zones.check_zone``), the one the
    # admin and the loader use; zones stored before it, or edited in the database, are shown.
    crs = serializers.ChoiceField(
        choices=[crs.value for crs in gf.Crs],
        write_only=True,
        required=False,
        default=gf.Crs.WGS84.value,
        help_text="Coordinate system of the submitted geometry (a stored zone is WGS-84).",
    )
    geometry = serializers.JSONField(
        label=_label("geometry"),
        help_text=_limit(
            "GeoJSON Polygon, MultiPolygon, or Point with `radius_m` for a circle; at most {vertices} vertices."
        ),
    )
    # Numbers are only parsed here; their limits are the engine's, checked in ``validate``.
    radius_m = _NumberField(
        label=_label("radius_m"),
        required=False,
        allow_null=True,
        help_text=_limit("Metres, for a Point (circle) only: more than 0, at most {radius}."),
    )
    approach_buffer_m = _NumberField(
        label=_label("approach_buffer_m"),
        required=False,
        help_text=_limit(
            "Metres, exclusion zones only: warn when a good fix comes this close; 0 to {buffer}."
        ),
    )
    confirm_fixes = serializers.IntegerField(
        label=_label("confirm_fixes"),
        required=False,
        help_text=_limit("Good fixes that confirm a breach: 1 to {fixes}."),
    )
    confirm_seconds = serializers.IntegerField(
        label=_label("confirm_seconds"),
        required=False,
        help_text=_limit("Seconds the confirming fixes must span: 0 to {seconds}."),
    )
    clear_fixes = serializers.IntegerField(
        label=_label("clear_fixes"),
        required=False,
        help_text=_limit("Good fixes back in compliance that close a breach: 1 to {fixes}."),
    )
    evaluable = serializers.SerializerMethodField(
        help_text="false: the engine refuses this zone as stored and skips it until it is fixed (see `problems`)."
    )
    problems = serializers.SerializerMethodField(
        help_text="Why the engine cannot evaluate the zone, by field; empty when it can."
    )

    class Meta:
        model = Zone
        fields = [
            "id",
            "office",
            "subject",
            "name",
            "kind",
            "purpose",
            "geometry",
            "radius_m",
            "schedule",
            "approach_buffer_m",
            "confirm_fixes",
            "confirm_seconds",
            "clear_fixes",
            "is_active",
            "crs",
            "evaluable",
            "problems",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"office": {"required": False}}

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_evaluable(self, obj: Zone) -> bool:
        return not zone_problems(obj)

    @extend_schema_field(serializers.DictField(child=serializers.ListField(child=serializers.CharField())))
    def get_problems(self, obj: Zone) -> dict[str, list[str]]:
        return zone_problems(obj)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        subject = attrs.get("subject", getattr(self.instance, "subject", None))
        office = attrs.get("office", getattr(self.instance, "office", None))
        if subject is not None:
            if office is not None and office.pk != subject.office_id:
                raise serializers.ValidationError(
                    {"office": [_("A person's zone belongs to the person's office.")]}
                )
            attrs["office"] = subject.office
        elif office is None:
            raise serializers.ValidationError(
                {"office": [_("Give the office, or the person the zone is for.")]}
            )
        crs = attrs.pop("crs", gf.Crs.WGS84.value)
        # The zone as it will be stored: a PATCH is checked together with what it keeps.
        values = {
            name: attrs[name]
            if name in attrs
            else getattr(self.instance, name)
            if self.instance is not None
            else zone_field(name).get_default()
            for name in ENGINE_FIELDS
        }
        try:
            # ``crs`` describes the submitted geometry; a kept one is stored in WGS-84 already.
            checked = check_zone(values, crs=crs if "geometry" in attrs else gf.Crs.WGS84.value)
        except ZoneNotEvaluable as exc:
            raise serializers.ValidationError(exc.problems) from None
        attrs.update(geometry=checked.geometry, radius_m=checked.radius_m, schedule=checked.schedule)
        return attrs


class TrackPointSerializer(ModelSerializer[CheckIn]):
    # Under which regime the phone took the fix (``backend.monitoring.tracks``): the view passes
    # ``regime_at`` in the context; without it (no positioning orders known) it is verification.
    regime = serializers.SerializerMethodField(
        help_text="`verification` (one fix per due time) or `continuous` (under a positioning order)."
    )

    class Meta:
        model = CheckIn
        fields = [
            "client_id",
            "recorded_at",
            "received_at",
            "lat",
            "lon",
            "accuracy_m",
            "speed_mps",
            "battery",
            "mock_location",
            "quality",
            "evaluation_error",
            "regime",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=SamplingRegime.choices))
    def get_regime(self, point: CheckIn) -> str:
        regime_at = self.context.get("regime_at")
        return str(SamplingRegime.VERIFICATION) if regime_at is None else regime_at(point.recorded_at)


class LatestPositionSerializer(serializers.Serializer[Any]):
    subject_id = serializers.IntegerField()
    name = serializers.CharField()
    office_id = serializers.IntegerField()
    supervision_level = serializers.CharField()
    lat = serializers.FloatField()
    lon = serializers.FloatField()
    accuracy_m = serializers.FloatField()
    recorded_at = serializers.DateTimeField()


# ---------------------------------------------------------------------------------------------
# Mobile API
# ---------------------------------------------------------------------------------------------


def _documented(field: FixField) -> serializers.Field[Any, Any, Any, Any]:
    """The API's description of one field of ``FIX_FIELDS``: its type, limits and whether it is required."""
    options: dict[str, Any] = {"required": field.required, "help_text": field.doc or None}
    if not field.required:
        options["allow_null"] = True
    if field.type == "uuid":
        return serializers.UUIDField(**options)
    if field.type == "time":
        return serializers.DateTimeField(**options)
    if field.type == "number":
        # Passed as options: DRF takes ``None`` for "no limit", which the stubs do not allow.
        options.update(min_value=field.minimum, max_value=field.maximum)
        return serializers.FloatField(**options)
    if field.type == "choice":
        return serializers.ChoiceField(choices=list(field.choices), **options)
    if field.type == "bool":
        return serializers.BooleanField(**options)
    options.update(max_length=field.max_length)
    return serializers.CharField(allow_blank=True, **options)


# The fields are ``checkin_input.FIX_FIELDS``, in its order: the one declaration of a fix.
CheckinItemSerializer = type(
    "CheckinItemSerializer",
    (serializers.Serializer,),
    {
        "__module__": __name__,
        "__doc__": "One fix (documented for the phone team; validated by ``checkin_input.parse_fix``, whose\n"
        "limits these are).",
        **{field.name: _documented(field) for field in FIX_FIELDS},
    },
)


class CheckinBatchSerializer(serializers.Serializer[Any]):
    sent_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Phone clock when sending, to measure clock skew."
    )
    checkins = serializers.ListField(child=CheckinItemSerializer(), min_length=1, max_length=MAX_BATCH)


class CheckinResultSerializer(serializers.Serializer[Any]):
    index = serializers.IntegerField()
    id = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["accepted", "duplicate", "conflict", "rejected"])
    quality = serializers.CharField(
        required=False,
        help_text="Fix quality class of an accepted fix, as judged from the fix alone at receipt (teleports "
        "are found afterwards, against the person's track).",
    )
    clock_skew_s = serializers.FloatField(required=False)
    # A declared field, not the property of the same name: DRF's metaclass moves it out of the class.
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)  # type: ignore[assignment]


class PendingItemSerializer(serializers.Serializer[Any]):
    id = serializers.CharField()
    type = serializers.CharField()
    title = serializers.CharField()
    body = serializers.CharField()
    # A declared field, not the property of the same name: DRF's metaclass moves it out of the class.
    data = serializers.DictField(child=serializers.CharField(), required=False)  # type: ignore[assignment]


_COMMAND_PAYLOADS: dict[str, Any] = {
    "oneOf": [
        {
            "type": "object",
            "title": "sampling",
            "description": "How the phone takes fixes. `verification` (信息化核查): one fix per due time, "
            "`interval_s` being the check-in interval; `continuous`: a fix every `interval_s` seconds, "
            "only under an active electronic positioning order (电子定位).",
            "properties": {
                "regime": {"type": "string", "enum": ["verification", "continuous"]},
                "interval_s": {"type": "integer", "minimum": 1, "maximum": 604800},
            },
            "required": ["regime", "interval_s"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "title": "fix_now",
            "description": "Take a fix now and upload it at once.",
            "properties": {"reason": {"type": "string", "maxLength": 500}},
            "required": ["reason"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "title": "leave_decision",
            "description": "A leave request of the person was decided.",
            "properties": {
                "leave_request": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
                "status": {"type": "string", "maxLength": 20},
                "note": {"type": "string", "maxLength": 500},
            },
            "required": ["leave_request", "status", "note"],
            "additionalProperties": False,
        },
    ]
}


@extend_schema_field(_COMMAND_PAYLOADS)
class CommandPayloadField(serializers.DictField):
    """A command's payload: its shape depends on the command's ``kind``."""


class PhoneCommandSerializer(serializers.Serializer[Any]):
    """An order to the phone; it comes back in every answer until acknowledged
    (``POST /api/v1/mobile/commands/{id}/ack``), it expires or a newer one replaces it."""

    id = serializers.CharField()
    kind = serializers.ChoiceField(
        choices=PhoneCommand.Kind.choices, help_text="Ignore kinds you do not know (newer servers add some)."
    )
    payload = CommandPayloadField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)


class CommandAckSerializer(serializers.Serializer[Any]):
    id = serializers.CharField()
    acknowledged_at = serializers.DateTimeField()


class CheckinAnswerSerializer(serializers.Serializer[Any]):
    results = CheckinResultSerializer(many=True)
    accepted = serializers.IntegerField()
    server_time = serializers.DateTimeField()
    next_checkin_due = serializers.DateTimeField(allow_null=True)
    reminders = PendingItemSerializer(many=True)
    commands = PhoneCommandSerializer(many=True)


class PhoneStatusSerializer(serializers.Serializer[Any]):
    battery = serializers.FloatField(required=False, min_value=0, max_value=100, allow_null=True)
    charging = serializers.BooleanField(required=False, allow_null=True)
    location_permission = serializers.BooleanField(
        required=False, allow_null=True, help_text="false: the app may not read the location."
    )
    gps_enabled = serializers.BooleanField(required=False, allow_null=True)
    app_state = serializers.ChoiceField(
        choices=["foreground", "background", "terminated_restart"], required=False
    )
    network = serializers.CharField(required=False, max_length=20)


class PhoneStatusAnswerSerializer(serializers.Serializer[Any]):
    server_time = serializers.DateTimeField()
    next_checkin_due = serializers.DateTimeField(allow_null=True)
    commands = PhoneCommandSerializer(many=True)


class CheckinErrorSerializer(serializers.Serializer[Any]):
    """A 400: the batch was malformed, or no fix in it was usable (then with per-fix ``results``)."""

    detail = serializers.CharField()
    code = serializers.CharField()
    # A declared field, not the property of the same name: DRF's metaclass moves it out of the class.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Field paths such as `checkins.3.lat` (absent when the body is not JSON at all).",
    )
    results = CheckinResultSerializer(many=True, required=False)
    accepted = serializers.IntegerField(required=False)
    server_time = serializers.DateTimeField(required=False)
    next_checkin_due = serializers.DateTimeField(required=False, allow_null=True)
    reminders = PendingItemSerializer(many=True, required=False)
    commands = PhoneCommandSerializer(many=True, required=False)
