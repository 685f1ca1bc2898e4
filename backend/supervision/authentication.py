"""``Authorization: Device <token>`` authentication for the phone app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

if TYPE_CHECKING:
    from rest_framework.views import APIView

from backend.supervision.models import Device
from backend.supervision.services import authenticate_device_token

KEYWORD = b"device"


class DeviceTokenAuthentication(BaseAuthentication):
    """Authenticates a phone; ``request.user`` and ``request.auth`` are both the ``Device``."""

    def authenticate(self, request: Request) -> tuple[Device, Device] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(_("Authorization header must be 'Device <token>'."), code="bad_header")
        device = authenticate_device_token(parts[1].decode("latin-1"))
        if device is None:
            raise AuthenticationFailed(
                _("Unknown or revoked device token; enroll again."), code="device_revoked"
            )
        return device, device

    def authenticate_header(self, request: Request) -> str:
        return "Device"


class IsEnrolledDevice(BasePermission):
    message = _("A device token is required: Authorization: Device <token>.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return isinstance(request.auth, Device)


# drf-spectacular registers an extension in its unannotated ``__init_subclass__``.
class DeviceTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Describes the device-token header in the OpenAPI document."""

    target_class = "backend.supervision.authentication.DeviceTokenAuthentication"
    name = "DeviceToken"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Device <device_token>`, the token returned once by POST /api/v1/mobile/enroll.",
        }
