"""``Authorization: Device <token>`` authentication for the phone app, each request signed with
the key the phone registered at enrollment (``supervision.signing``)."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

if TYPE_CHECKING:
    from rest_framework.views import APIView

from backend.core.parsers import too_large
from backend.supervision.models import Device
from backend.supervision.services import authenticate_device_token
from backend.supervision.signing import (
    EMPTY_BODY_DIGEST,
    SIGNATURE_HEADER,
    TIME_HEADER,
    SignedRequest,
    check_signature,
    signature_checked,
    signature_headers,
)

KEYWORD = b"device"
_CHUNK = 64 * 1024


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
        # The token first: a revoked phone hears that it is revoked, whatever it signed.
        if signature_checked(device.public_key):
            view = (request.parser_context or {}).get("view")
            largest = getattr(view, "largest_body", None)
            check_signature(device.public_key, signed_request(request._request, largest))
        return device, device

    def authenticate_header(self, request: Request) -> str:
        return "Device"


def signed_request(request: HttpRequest, largest: Callable[[], int] | None = None) -> SignedRequest:
    """What ``check_signature`` judges of a Django request (``largest``: see ``body_digest``)."""
    time_text, signature = signature_headers(request.META)
    return SignedRequest(
        method=request.method or "",
        target=request.get_full_path(),
        time_text=time_text,
        signature=signature,
        digest=EMPTY_BODY_DIGEST if time_text is None or signature is None else body_digest(request, largest),
    )


def body_digest(request: HttpRequest, largest: Callable[[], int] | None = None) -> str:
    """The SHA-256 of the request's body, which stays readable for the view's parsers.

    A body within ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is read as ``request.body`` (kept in memory, as
    the JSON parser would read it anyway). A larger one is refused (413) unless the view takes
    larger bodies (its ``largest_body()``, a monthly report's photos): then it is read through
    into a temporary file that spills to disk, which stands in for the request's stream. A body
    past what the view takes is refused before it is read.
    """
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if hasattr(request, "_body") or limit is None or length <= limit:
        return hashlib.sha256(request.body).hexdigest()
    if largest is None or length > largest():
        raise too_large()
    digest = hashlib.sha256()
    spooled: Any = tempfile.SpooledTemporaryFile(max_size=limit)  # noqa: SIM115 (the request's stream from now on)
    while chunk := request.read(_CHUNK):
        digest.update(chunk)
        spooled.write(chunk)
    spooled.seek(0)
    # Django reads the body from ``_stream``; not started, the parsers read it from the start.
    request._stream = spooled
    request._read_started = False  # type: ignore[attr-defined]
    return digest.hexdigest()


class IsEnrolledDevice(BasePermission):
    message = _("A device token is required: Authorization: Device <token>.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return isinstance(request.auth, Device)


# drf-spectacular registers an extension in its unannotated ``__init_subclass__``.
class DeviceTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """Describes the device token and the two signature headers (all three required together)."""

    target_class = "backend.supervision.authentication.DeviceTokenAuthentication"
    name = ["DeviceToken", "DeviceSignatureTime", "DeviceSignature"]

    def get_security_definition(self, auto_schema: object) -> list[dict[str, str]]:
        return [
            {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "`Device <device_token>`, the token returned once by POST /api/v1/mobile/enroll.",
            },
            {
                "type": "apiKey",
                "in": "header",
                "name": TIME_HEADER,
                "description": "The phone's clock when it signed the request: milliseconds since "
                "1970-01-01T00:00:00Z, decimal digits. Refused (401 `signature_expired`, with the "
                "server's time) outside PHONE_SIGNATURE_WINDOW_SECONDS (300 by default) of the "
                "server's clock.",
            },
            {
                "type": "apiKey",
                "in": "header",
                "name": SIGNATURE_HEADER,
                "description": "Base64 of the Ed25519 signature, by the key registered at enrollment, "
                "of the UTF-8 text `METHOD\\nPATH\\nTIME\\nSHA256`: the method (capitals, as sent), the path "
                "with `?` and the query string if any, the X-Signature-Time value, and the lowercase "
                "hex SHA-256 of the body (of no bytes when there is none). See the guide, section 2.",
            },
        ]
