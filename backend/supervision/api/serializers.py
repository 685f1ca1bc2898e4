from __future__ import annotations

import datetime as dt
from typing import Any, Generic, TypeVar

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import exceptions, serializers

from backend.accounts.models import Office, Role, User
from backend.accounts.permissions import staff_user
from backend.accounts.scoping import may_see_office, visible_office_ids
from backend.audit.models import AccessLog
from backend.audit.services import clean_reason, record_access
from backend.core.api import ModelSerializer, record_date
from backend.supervision.identity import mask_phone
from backend.supervision.models import (
    Device,
    LevelChange,
    PersonBase,
    ReleasedPerson,
    Subject,
    SupervisionPolicy,
)
from backend.supervision.services import MAX_REASON_LENGTH
from backend.supervision.signing import public_key_problem

_P = TypeVar("_P", bound=PersonBase)


# ``?reveal=id_number&reason=…``: full identity numbers for those who may see them, the reveal logged
# with its reason (``checked_reveal``); documented on every operation that takes it.
REVEAL_PARAMETERS = [
    OpenApiParameter("reveal", str, enum=["id_number"], description="Show identity numbers in full."),
    OpenApiParameter("reason", str, description="Why the full numbers are needed; kept in the access log."),
]
REVEAL_ERRORS = {
    "400": "reveal=id_number without a reason.",
    "403": "reveal=id_number by a role that does not see identity numbers.",
}


def checked_reveal(request: Any, resource: str, object_id: object = "") -> str:
    """The reason given by a caller allowed to see full identity numbers, the reveal logged with
    it; a caller not allowed (403) or without a reason (400) is refused, and the refusal logged."""
    reason = clean_reason(request.query_params.get("reason", ""))
    allowed = getattr(request.user, "may_see_id_numbers", False)
    record_access(
        request,
        action=AccessLog.Action.REVEAL,
        resource=resource,
        object_id=object_id,
        status_code=200 if allowed and reason else (403 if not allowed else 400),
        reason=reason,
    )
    if not allowed:
        raise exceptions.PermissionDenied(
            _("Only office heads, the bureau head and administrators see identity numbers.")
        )
    if not reason:
        raise serializers.ValidationError({"reason": [_("Say why the full identity number is needed.")]})
    return reason


def reveal_id_number(request: Any, person: PersonBase, resource: str) -> str:
    """The full identity number for a caller allowed to see it who gave a reason, logged as a reveal."""
    checked_reveal(request, resource or "person", person.pk)
    return person.id_number


class PersonSerializerBase(ModelSerializer[_P], Generic[_P]):
    """Shared rules: office within the caller's scope, officer of that office, ID masked unless allowed."""

    office_name = serializers.CharField(source="office.name", read_only=True)
    responsible_officer_name = serializers.SerializerMethodField()

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None and isinstance(request.user, User):
            office_ids = visible_office_ids(request.user)
            offices = Office.objects.filter(kind=Office.Kind.OFFICE)
            fields["office"].queryset = offices if office_ids is None else offices.filter(pk__in=office_ids)  # type: ignore[attr-defined]
            officers = User.objects.filter(is_active=True)
            fields["responsible_officer"].queryset = (  # type: ignore[attr-defined]
                officers if office_ids is None else officers.filter(office_id__in=office_ids)
            )
        return fields

    def get_responsible_officer_name(self, obj: PersonBase) -> str | None:
        officer = obj.responsible_officer
        return (officer.get_full_name() or officer.username) if officer else None

    def to_representation(self, instance: _P) -> dict[str, Any]:
        data = super().to_representation(instance)
        # Masked for everyone by default; ``?reveal=id_number&reason=…`` on one record shows it to
        # those who may see it, and the access log records the reveal as its own action.
        data["id_number"] = instance.id_number_masked
        request = self.context.get("request")
        view = self.context.get("view")
        if (
            request is not None
            and getattr(request, "query_params", {}).get("reveal") == "id_number"
            and getattr(view, "action", None) == "retrieve"
        ):
            data["id_number"] = reveal_id_number(request, instance, getattr(view, "audit_resource", ""))
        return data

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        office = attrs.get("office") or getattr(self.instance, "office", None)
        officer = attrs.get("responsible_officer", getattr(self.instance, "responsible_officer", None))
        if officer is not None and office is not None and officer.office_id != office.pk:
            raise serializers.ValidationError(
                {"responsible_officer": [_("The responsible officer must work in the person's office.")]}
            )
        if officer is not None and officer.role not in (Role.OFFICER, Role.OFFICE_HEAD):
            raise serializers.ValidationError(
                {"responsible_officer": [_("The responsible officer must be an office officer or head.")]}
            )
        lat, lon = attrs.get("home_lat"), attrs.get("home_lon")
        if (lat is None) != (lon is None) and "home_lat" in attrs and "home_lon" in attrs:
            raise serializers.ValidationError(
                {"home_lat": [_("Give both latitude and longitude, or neither.")]}
            )
        if (
            self.instance is not None
            and "office" in attrs
            and not may_see_office(staff_user(self.context["request"]), attrs["office"].pk)
        ):
            raise serializers.ValidationError({"office": [_("You cannot move a person to that office.")]})
        return attrs

    def validate_home_lat(self, value: float | None) -> float | None:
        if value is not None and not -90 <= value <= 90:
            raise serializers.ValidationError(_("Latitude must be between -90 and 90."))
        return value

    def validate_home_lon(self, value: float | None) -> float | None:
        if value is not None and not -180 <= value <= 180:
            raise serializers.ValidationError(_("Longitude must be between -180 and 180."))
        return value


PERSON_FIELDS = [
    "id",
    "office",
    "office_name",
    "responsible_officer",
    "responsible_officer_name",
    "name",
    "gender",
    "id_number",
    "phone",
    "home_address",
    "home_lat",
    "home_lon",
    "notes",
    "created_at",
    "updated_at",
]


class SubjectSerializer(PersonSerializerBase[Subject]):
    active_device = serializers.SerializerMethodField()

    class Meta:
        model = Subject
        fields = [
            *PERSON_FIELDS,
            "case_number",
            "sentence_type",
            "crime",
            "supervision_start",
            "supervision_end",
            "supervision_level",
            "status",
            "ended_at",
            "active_device",
        ]
        read_only_fields = ["status", "ended_at", "created_at", "updated_at"]

    def get_active_device(self, obj: Subject) -> dict[str, Any] | None:
        devices = [d for d in obj.devices.all() if d.revoked_at is None]
        return DeviceSerializer(devices[0]).data if devices else None

    def validate_supervision_level(self, value: str) -> str:
        # Set when the record is made; later only by ``POST /subjects/{id}/level``, with a reason.
        if self.instance is not None and value != self.instance.supervision_level:
            raise serializers.ValidationError(
                _("Change the level with POST /api/v1/subjects/{id}/level, giving the reason.")
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        start = attrs.get("supervision_start", getattr(self.instance, "supervision_start", None))
        end = attrs.get("supervision_end", getattr(self.instance, "supervision_end", None))
        if start and end and end < start:
            raise serializers.ValidationError(
                {"supervision_end": [_("The supervision cannot end before it starts.")]}
            )
        return attrs


class ReleasedPersonSerializer(PersonSerializerBase[ReleasedPerson]):
    class Meta:
        model = ReleasedPerson
        fields = [
            *PERSON_FIELDS,
            "crime",
            "prison",
            "release_date",
            "resettlement_end",
            "handover_deadline",
            "received_at",
            "is_key_person",
            "status",
            "source",
            "from_subject",
            "expected_release_date",
        ]
        # A record opened from a community correction names its subject; nobody sets that by hand.
        read_only_fields = ["from_subject", "created_at", "updated_at"]

    # The handover's deadlines are times on the release day (``resettlement.rules.step_deadline``):
    # a release from 2000, recorded up to a year ahead (the prison tells the office beforehand), or
    # expected within five years. Year 1 gave deadlines in Shanghai's local mean time (+08:05:43),
    # which no RFC 3339 time can write.
    def validate_release_date(self, value: dt.date) -> dt.date:
        return record_date(value, days_ahead=366)

    def validate_expected_release_date(self, value: dt.date | None) -> dt.date | None:
        return record_date(value, days_ahead=366 * 5)


# A list answer carries what tells people apart and what the work needs row by row; where a person
# lives (address, coordinates), the officer's notes and the full phone number are on the person's
# own record (GET …/{id}), whose read the access log names (PIPL Art. 28: location is sensitive).
DETAIL_ONLY_FIELDS = ("home_address", "home_lat", "home_lon", "notes")


def _row_fields(fields: list[str]) -> list[str]:
    return [name for name in fields if name not in DETAIL_ONLY_FIELDS]


class _PersonRowMixin:
    def to_representation(self, instance: Any) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)  # type: ignore[misc]
        data["phone"] = mask_phone(instance.phone)
        return data


class SubjectRowSerializer(_PersonRowMixin, SubjectSerializer):
    """A subject in the list: no home, no notes, the phone number masked."""

    class Meta(SubjectSerializer.Meta):
        fields = _row_fields(SubjectSerializer.Meta.fields)
        read_only_fields = fields


class ReleasedPersonRowSerializer(_PersonRowMixin, ReleasedPersonSerializer):
    """A released person in the list: no home, no notes, the phone number masked."""

    class Meta(ReleasedPersonSerializer.Meta):
        fields = _row_fields(ReleasedPersonSerializer.Meta.fields)
        read_only_fields = fields


class DeviceSerializer(ModelSerializer[Device]):
    class Meta:
        model = Device
        fields = [
            "id",
            "platform",
            "model",
            "os_version",
            "app_version",
            "token_prefix",
            "enrolled_at",
            "last_seen_at",
            "revoked_at",
            "revoked_reason",
            "has_push_token",
            "signs_requests",
        ]
        read_only_fields = fields

    has_push_token = serializers.SerializerMethodField()
    signs_requests = serializers.SerializerMethodField(
        help_text="The phone registered a signing key at enrollment. A phone without one is refused "
        "(`reenroll`) while PHONE_SIGNATURES_REQUIRED is on: give its person a new enrollment code."
    )

    def get_has_push_token(self, obj: Device) -> bool:
        return bool(obj.push_token)

    def get_signs_requests(self, obj: Device) -> bool:
        return bool(obj.public_key)


class EnrollmentCodeSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="Show once to the subject; only its hash is stored.")
    expires_at = serializers.DateTimeField()
    subject = serializers.IntegerField()


class RevokeDeviceSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=100)


class ChangeLevelSerializer(serializers.Serializer[Any]):
    level = serializers.ChoiceField(choices=Subject.Level.choices)
    reason = serializers.CharField(max_length=MAX_REASON_LENGTH, help_text="Why the level changes (kept).")


class LevelChangeSerializer(ModelSerializer[LevelChange]):
    changed_by_name = serializers.SerializerMethodField()

    class Meta:
        model = LevelChange
        fields = [
            "id",
            "subject",
            "from_level",
            "to_level",
            "reason",
            "changed_by",
            "changed_by_name",
            "changed_at",
        ]
        read_only_fields = fields

    def get_changed_by_name(self, obj: LevelChange) -> str | None:
        user = obj.changed_by
        return (user.get_full_name() or user.username) if user else None


POLICY_VALUE_FIELDS = [
    "checkin_interval_minutes",
    "overdue_grace_minutes",
    "lost_contact_after_minutes",
    "curfew_applies",
    "curfew_start",
    "curfew_end",
    "approach_buffer_m",
    "low_battery_percent",
    "unsupervised_after_days",
    "auto_end_at_term",
    "education_hours_per_month",
]


class SupervisionPolicySerializer(ModelSerializer[SupervisionPolicy]):
    """One level's policy (times are local, Asia/Shanghai; a curfew may cross midnight)."""

    level = serializers.ChoiceField(choices=Subject.Level.choices)

    class Meta:
        model = SupervisionPolicy
        fields = ["level", *POLICY_VALUE_FIELDS, "updated_at", "updated_by"]
        read_only_fields = ["updated_at", "updated_by"]
        # The level names the row; it is not unique among the rows of one request.
        validators: list[Any] = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        grace, lost = attrs.get("overdue_grace_minutes"), attrs.get("lost_contact_after_minutes")
        if grace is not None and lost is not None and lost <= grace:
            raise serializers.ValidationError(
                {
                    "lost_contact_after_minutes": [
                        _("Suspected loss of contact must come after check-in overdue.")
                    ]
                }
            )
        return attrs


# ---------------------------------------------------------------------------------------------
# Mobile API
# ---------------------------------------------------------------------------------------------


class DeviceInfoSerializer(serializers.Serializer[Any]):
    platform = serializers.ChoiceField(choices=Device.Platform.choices)
    model = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    os_version = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    app_version = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    push_token = serializers.CharField(max_length=400, required=False, allow_blank=True, allow_null=True)
    public_key = serializers.CharField(
        max_length=100,
        required=False,
        allow_null=True,
        help_text="The phone's Ed25519 public key: base64 (standard alphabet, padded) of its 32 raw "
        "bytes. Every later request is signed with its private key (X-Signature). Required unless "
        "the server runs with PHONE_SIGNATURES_REQUIRED off.",
    )

    def validate_public_key(self, value: str | None) -> str | None:
        problem = public_key_problem(value) if value is not None else None
        if problem:
            raise serializers.ValidationError(problem)
        return value


class EnrollRequestSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(
        max_length=32, help_text="The one-time code the officer gave (case and dashes ignored)."
    )
    device = DeviceInfoSerializer()


class MobileOfficeSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    phone = serializers.CharField()


class MobileOfficerSerializer(serializers.Serializer[Any]):
    """Whom the person calls: the officer's name (or role) and phone number; nothing else of staff."""

    name = serializers.CharField()
    phone = serializers.CharField()


class MeSerializer(serializers.Serializer[Any]):
    """What a phone may know about its own subject, and nothing about anyone else."""

    subject_id = serializers.IntegerField(source="id")
    name = serializers.CharField()
    status = serializers.CharField()
    supervision_level = serializers.CharField()
    supervision_start = serializers.DateField()
    supervision_end = serializers.DateField()
    office = MobileOfficeSerializer()
    responsible_officer = serializers.SerializerMethodField()
    device_id = serializers.SerializerMethodField()

    @extend_schema_field(MobileOfficerSerializer(allow_null=True))
    def get_responsible_officer(self, obj: Subject) -> dict[str, str] | None:
        officer = obj.responsible_officer
        if officer is None:
            return None
        # A staff member without a full name is shown by role: the username is half of a sign-in.
        return {"name": officer.get_full_name() or officer.get_role_display(), "phone": officer.phone}

    def get_device_id(self, obj: Subject) -> int | None:
        device = self.context.get("device")
        return device.pk if device is not None else None


class EnrollResponseSerializer(serializers.Serializer[Any]):
    device_token = serializers.CharField(help_text="Shown once. Send as `Authorization: Device <token>`.")
    device_id = serializers.IntegerField()
    me = MeSerializer()
