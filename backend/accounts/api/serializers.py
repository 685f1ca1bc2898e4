from __future__ import annotations

from typing import Any

from rest_framework import serializers

from backend.accounts.models import Office, User
from backend.core.api import ModelSerializer


class OfficeSerializer(ModelSerializer[Office]):
    class Meta:
        model = Office
        fields = ["id", "code", "name", "kind", "parent", "boundary", "address", "phone", "is_active"]
        read_only_fields = fields


class StaffSerializer(ModelSerializer[User]):
    office_name = serializers.CharField(source="office.name", default=None, read_only=True)
    display_name = serializers.SerializerMethodField()
    bureau_wide = serializers.BooleanField(source="is_bureau_wide", read_only=True)
    # A declared field, not the Field attribute of the same name: DRF's metaclass moves it out of the class.
    read_only = serializers.BooleanField(source="is_read_only", read_only=True)  # type: ignore[assignment]

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "role",
            "office",
            "office_name",
            "bureau_wide",
            "read_only",
        ]
        read_only_fields = fields

    def get_display_name(self, obj: User) -> str:
        return obj.get_full_name() or obj.username


class LoginSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, style={"input_type": "password"}, trim_whitespace=False)
    otp_token = serializers.CharField(
        max_length=8,
        required=False,
        allow_blank=True,
        help_text="The 6-digit code of the staff member's authenticator app (TOTP); required.",
    )
    # Opt-in: the console signs in with the session cookie and has no use for a bearer token, and
    # one handed to page script could be lifted by any script injection.
    issue_token = serializers.BooleanField(
        required=False,
        default=False,
        help_text=(
            "`true`: also mint an API token for scripts and return it as `token` (only once the code is "
            "verified; it expires after 12 h, lapses after 30 min unused, and `POST /auth/logout` with it "
            "ends it). Absent or `false`: the login opens the session only and mints no token."
        ),
    )


class LoginResponseSerializer(serializers.Serializer[Any]):
    user = StaffSerializer()
    token = serializers.CharField(
        required=False,
        help_text=(
            "Only when the login asked for one (`issue_token: true`), otherwise absent: API token for "
            "scripts, shown this once: send `Authorization: Token <token>`."
        ),
    )
    csrf_token = serializers.CharField(
        help_text="For the console: send as X-CSRFToken with the session cookie."
    )


class OtpEnrollmentSerializer(serializers.Serializer[Any]):
    device_id = serializers.IntegerField()
    otpauth_uri = serializers.CharField(help_text="otpauth:// URI for an authenticator app.")
    qr_svg = serializers.CharField(help_text="The URI as a QR code: an SVG image in a data: URI.")
    secret = serializers.CharField(help_text="The key in base32, for typing into the app.")


class OtpConfirmSerializer(serializers.Serializer[Any]):
    device_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    otp_token = serializers.CharField(max_length=8)


class OtpConfirmedSerializer(serializers.Serializer[Any]):
    """The answer to a confirmation: which device now signs the staff member in (the code is not echoed)."""

    device_id = serializers.IntegerField()
