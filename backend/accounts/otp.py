"""The staff second factor: TOTP devices (django-otp), their enrollment and the checks every path runs.

Every staff path asks for it: the API login (``otp_token`` beside the password), the admin login
(django-otp's admin form), the console (it logs in through the API) and the console websocket (its
handshake checks that the session was verified, see ``session_is_verified``). A staff member has
one confirmed TOTP device; enrolling a new one leaves the old one in place until the new one is
confirmed with a code from it.

``STAFF_OTP_REQUIRED`` may be turned off outside production only (the settings refuse it there):
then a password alone opens a session, and the server logs a warning at start.

Demo mode: ``load_demo`` gives every demo user a TOTP device with the published key
``DEMO_TOTP_KEY`` (base32 ``DEMO_TOTP_BASE32`` in the README), so the demo can be tried with any
authenticator app. ``load_demo`` refuses to run in production, so that key never guards real data.
"""

from __future__ import annotations

import base64
import io
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from backend.accounts.models import User

# 20 bytes, hex as django-otp stores keys; base32 "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" ("1234567890" twice).
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"
DEMO_TOTP_BASE32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
DEVICE_NAME = "TOTP"


def otp_required() -> bool:
    return bool(getattr(settings, "STAFF_OTP_REQUIRED", True))


def confirmed_device(user: User) -> TOTPDevice | None:
    """The staff member's confirmed TOTP device (the newest, when a replacement was confirmed)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def verify_code(user: User, code: str) -> TOTPDevice | None:
    """The device that accepts ``code`` (and is thereby spent for that time step), or ``None``.

    django-otp throttles each device on its own (doubling delays after failures) and refuses a
    code of a time step already used, so a code seen on the wire cannot be replayed.
    """
    code = (code or "").strip()
    if not code.isdigit() or len(code) > 8:
        return None
    device = confirmed_device(user)
    if device is None:
        return None
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        allowed, _extra = locked.verify_is_allowed()
        if allowed and locked.verify_token(code):
            return locked
    return None


def session_is_verified(session: Any, user: Any) -> bool:
    """Whether ``session`` (a websocket's, with no OTP middleware in front) passed the second factor."""
    if not otp_required():
        return True
    persistent_id = session.get(DEVICE_ID_SESSION_KEY) if session is not None else None
    if not persistent_id:
        return False
    from django_otp.models import Device

    device = Device.from_persistent_id(persistent_id)
    return device is not None and device.user_id == getattr(user, "pk", None)


def current_code(device: TOTPDevice, *, offset: int = 0) -> str:
    """The code ``device`` shows now (or ``offset`` steps later): for tests and the demo."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset * device.step
    return f"{totp.token():0{device.digits}d}"


@dataclass(frozen=True)
class Enrollment:
    """A new, unconfirmed device and what the staff member's authenticator app needs."""

    device: TOTPDevice
    otpauth_uri: str
    qr_svg_data_uri: str
    secret_base32: str


def qr_svg(data: str) -> str:
    """``data`` as a QR code, an SVG image in a data: URI (the page shows it; nothing leaves the server)."""
    import qrcode
    import qrcode.image.svg

    out = io.BytesIO()
    qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage).save(out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def start_enrollment(user: User, *, key: str | None = None, confirmed: bool = False) -> Enrollment:
    """A new TOTP device for ``user``; it counts once confirmed (``confirm_enrollment``)."""
    device = TOTPDevice(user=user, name=DEVICE_NAME, confirmed=confirmed)
    if key is not None:
        device.key = key
    device.save()
    secret = base64.b32encode(device.bin_key).decode("ascii")
    return Enrollment(device, device.config_url, qr_svg(device.config_url), secret)


def confirm_enrollment(user: User, device_id: int, code: str) -> TOTPDevice | None:
    """Confirm the unconfirmed device ``device_id`` of ``user`` with a code it shows; older devices go."""
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update().filter(pk=device_id, user=user, confirmed=False).first()
        )
        if device is None or not device.verify_token((code or "").strip()):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        return device


def give_demo_device(user: User) -> TOTPDevice:
    """Demo mode only: a confirmed device with the published demo key."""
    TOTPDevice.objects.filter(user=user).delete()
    return start_enrollment(user, key=DEMO_TOTP_KEY, confirmed=True).device
