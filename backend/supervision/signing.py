"""Signed phone requests: every request a phone makes with its device token is also signed.

At enrollment the phone makes an Ed25519 key pair, keeps the private key in its keystore and
sends the public key (``Device.public_key``). Each later request carries two headers:

``X-Signature-Time``
    the phone's clock when it signs, in whole milliseconds since 1970-01-01T00:00:00Z (decimal
    digits);
``X-Signature``
    base64 (standard alphabet, padded) of the 64-byte Ed25519 signature of the UTF-8 text
    ``METHOD \\n PATH \\n TIME \\n BODY_SHA256`` (``signed_message``): the method as sent,
    the path as sent with ``?`` and the query string when there is one, the time exactly as in
    its header, and the lowercase hex SHA-256 of the body's bytes (of nothing for a request
    without a body).

The server refuses (``check_signature``) a request whose signature is missing or does not verify
(401, ``signature_required`` / ``signature_invalid``), one signed outside the window of
``PHONE_SIGNATURE_WINDOW_SECONDS`` either side of the server's clock (401,
``signature_expired``, with the server's time: the phone corrects its clock and signs again),
and the same signed request a second time within the window (409, ``signature_replayed``). A
retried request is signed again (a new time), so it is a new request; uploads stay idempotent by
their fix ids. Only the request's time is windowed: buffered fixes keep their recorded times.

A phone enrolled without a key (before requests were signed) is refused with ``reenroll`` while
``PHONE_SIGNATURES_REQUIRED`` is on (the default); with it off such a phone is accepted unsigned,
for a migration period, and a phone with a key must sign all the same.

The accepted requests are remembered in the database (``SeenSignature``) until they leave the
window: ``remember`` is one ``INSERT`` that finds the same request already there, and the check-in
upload writes its own in its one statement (``verify_signature`` then gives the ``Receipt`` to
write). Every process and server sees them, and they need nothing the upload does not already need
(no Redis). ``sign_request`` is the phone's side, for the simulated phones of the tests, the
benchmark and the demo, and the worked example of ``mobile_api_spec/README.md``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.db import connection
from django.utils.translation import gettext_lazy as _
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey
from rest_framework import status
from rest_framework.exceptions import APIException, AuthenticationFailed

TIME_HEADER = "X-Signature-Time"
SIGNATURE_HEADER = "X-Signature"
TIME_META = "HTTP_X_SIGNATURE_TIME"
SIGNATURE_META = "HTTP_X_SIGNATURE"
PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64
# Milliseconds since the epoch: up to 15 digits reaches past the year 30000.
_MAX_TIME_DIGITS = 15
EMPTY_BODY_DIGEST = hashlib.sha256(b"").hexdigest()


# ---------------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------------


def public_key_problem(text: Any) -> str | None:
    """Why ``text`` is not a public key a phone may register (``None`` when it is one): base64 of
    the 32 raw bytes of an Ed25519 public key."""
    if not isinstance(text, str) or not text:
        return str(_("Send the phone's Ed25519 public key, base64 of its 32 bytes."))
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return str(_("The public key is not valid base64."))
    if len(raw) != PUBLIC_KEY_BYTES:
        return str(
            _("The public key must be %(n)d bytes (base64 of the raw Ed25519 key); this one is %(m)d.")
            % {"n": PUBLIC_KEY_BYTES, "m": len(raw)}
        )
    if not _is_sound_point(raw):
        return str(_("The public key is not an Ed25519 public key."))
    return None


# The curve of Ed25519 (RFC 8032, section 5.1): -x^2 + y^2 = 1 + d x^2 y^2 modulo p.
_P = 2**255 - 19
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)


def _is_sound_point(raw: bytes) -> bool:
    """Whether ``raw`` encodes a point of the curve that is not of small order.

    Neither OpenSSL nor libsodium checks a public key when loading it (any 32 bytes load; OpenSSL
    fails only when verifying). A phone that sent something else (its private seed, an X25519
    key) or a degenerate key (of small order, for which signatures can be made without the
    private key) is told so at enrollment.
    """
    y = int.from_bytes(raw, "little") & ((1 << 255) - 1)
    sign = raw[31] >> 7
    if y >= _P:
        return False
    # Decoding (RFC 8032, section 5.1.3): x^2 = (y^2 - 1) / (d y^2 + 1).
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P or (x == 0 and sign):
        return False
    # Small order: eight times the point is the neutral element (0, 1).
    for _double in range(3):
        xy = x * y % _P
        dxy2 = _D * xy * xy % _P
        x, y = (2 * xy * pow(1 + dxy2, _P - 2, _P) % _P, (y * y + x * x) * pow(1 - dxy2, _P - 2, _P) % _P)
    return not (x == 0 and y == 1)


def canonical_public_key(text: str) -> str:
    """A valid key (``public_key_problem`` said so) in the form it is stored: padded base64."""
    return base64.b64encode(base64.b64decode(text, validate=True)).decode("ascii")


@functools.lru_cache(maxsize=16_384)
def load_public_key(text: str) -> VerifyKey:
    """The key of a stored ``Device.public_key`` (loaded once per process and key), to verify with.

    Verified by libsodium (PyNaCl), not OpenSSL (``cryptography``): every phone request is
    verified, and libsodium takes half the time (measured on the check-in path: 43 µs against
    88 µs a signature). It is also the stricter of the two (it refuses signatures whose ``R`` is
    of small order, and non-canonical ``S``); phones sign with standard RFC 8032 code, which
    makes neither."""
    return VerifyKey(base64.b64decode(text))


# ---------------------------------------------------------------------------------------------
# What is signed
# ---------------------------------------------------------------------------------------------


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def signed_message(method: str, target: str, time_text: str, digest: str) -> bytes:
    """The bytes a phone signs: ``METHOD\\nPATH\\nTIME\\nhex(sha256(body))`` in UTF-8, each part
    exactly as sent (HTTP methods are upper case)."""
    return f"{method}\n{target}\n{time_text}\n{digest}".encode()


@dataclass(frozen=True)
class SignedRequest:
    """What the server checks of one request: its method, its target (path and query string as
    sent), the two signature headers (``None`` when absent) and its body's digest."""

    method: str
    target: str
    time_text: str | None
    signature: str | None
    digest: str


def sign_request(
    private_key: Ed25519PrivateKey, method: str, target: str, body: bytes = b"", time_ms: int | None = None
) -> dict[str, str]:
    """The phone's side: the signature headers of one request (``time_ms``: now if not given)."""
    time_text = str(int(time.time() * 1000) if time_ms is None else time_ms)
    signature = private_key.sign(signed_message(method, target, time_text, body_digest(body)))
    return {TIME_HEADER: time_text, SIGNATURE_HEADER: base64.b64encode(signature).decode("ascii")}


def public_key_text(private_key: Ed25519PrivateKey) -> str:
    """What the phone sends at enrollment: base64 of the raw public key."""
    raw = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


# ---------------------------------------------------------------------------------------------
# Refusals
# ---------------------------------------------------------------------------------------------


class SignatureRefused(AuthenticationFailed):
    """401 for a request whose signature is missing, wrong, or signed too far from now.

    ``extra`` goes into the error answer beside ``detail`` and ``code`` (the server's time, for
    ``signature_expired``)."""

    def __init__(self, detail: Any, code: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail, code=code)
        self.extra = extra or {}


class SignatureReplayed(APIException):
    """409: this very signed request was accepted before; a retry is signed again."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("This signed request was already received; sign the retry again (a new time).")
    default_code = "signature_replayed"


def _refuse(detail: Any, code: str, extra: dict[str, Any] | None = None) -> SignatureRefused:
    return SignatureRefused(detail, code, extra)


def _server_time(now_ms: int) -> dict[str, Any]:
    moment = datetime.fromtimestamp(now_ms / 1000, tz=UTC)
    return {"server_time": moment.isoformat().replace("+00:00", "Z"), "server_time_ms": now_ms}


# ---------------------------------------------------------------------------------------------
# The check
# ---------------------------------------------------------------------------------------------


def signature_checked(public_key: str | None) -> bool:
    """Whether a request of the phone with ``public_key`` goes through ``check_signature``: always
    for a phone with a key; for one enrolled without, only while signatures are required (it is
    then refused). Otherwise it is accepted unsigned (a migration period)."""
    return bool(public_key) or settings.PHONE_SIGNATURES_REQUIRED


@dataclass(frozen=True)
class Receipt:
    """What the server remembers of an accepted signed request, until ``expires_at`` (it leaves the
    window then, and could not be accepted again anyway)."""

    digest: uuid.UUID
    expires_at: datetime


def check_signature(public_key: str | None, request: SignedRequest, now_ms: int | None = None) -> None:
    """Refuse ``request`` unless it is signed as the module text says by the holder of
    ``public_key`` (the phone's registered key; ``None`` or empty for a phone enrolled without
    one), within the window, and for the first time. Raises ``SignatureRefused`` (401) or
    ``SignatureReplayed`` (409)."""
    receipt = verify_signature(public_key, request, now_ms)
    if receipt is not None and not remember(receipt):
        raise SignatureReplayed()


def verify_signature(
    public_key: str | None, request: SignedRequest, now_ms: int | None = None
) -> Receipt | None:
    """``check_signature`` but for the replay: raises as it does, and gives the ``Receipt`` to
    remember (``None`` for a phone accepted unsigned). The caller must ``remember`` it, or write
    it in its own statement, and refuse the request if it was there already."""
    if not signature_checked(public_key):
        return None
    if not public_key:
        raise _refuse(_("This phone was enrolled without a signing key; enroll it again."), "reenroll")
    if request.time_text is None or request.signature is None:
        raise _refuse(
            _("Sign the request: the X-Signature-Time and X-Signature headers are required."),
            "signature_required",
        )
    time_text = request.time_text
    if not (time_text.isascii() and time_text.isdigit() and len(time_text) <= _MAX_TIME_DIGITS):
        raise _refuse(
            _("X-Signature-Time must be the milliseconds since 1970-01-01T00:00:00Z."), "signature_invalid"
        )
    try:
        signature = base64.b64decode(request.signature, validate=True)
    except (binascii.Error, ValueError):
        signature = b""
    # Only the one spelling of the signature (base64 leaves spare bits in its last character):
    # any change to a signed request is refused, not just most.
    if len(signature) != SIGNATURE_BYTES or base64.b64encode(signature).decode() != request.signature:
        raise _refuse(_("X-Signature must be base64 of a 64-byte Ed25519 signature."), "signature_invalid")
    message = signed_message(request.method, request.target, time_text, request.digest)
    try:
        load_public_key(public_key).verify(message, signature)
    except BadSignatureError:
        raise _refuse(
            _("The request's signature does not match it (method, path, time and body are signed)."),
            "signature_invalid",
        ) from None
    # The clock is judged after the signature verifies: "expired" then means only that the
    # phone's clock is off, never that the request was altered.
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    window_ms = settings.PHONE_SIGNATURE_WINDOW_SECONDS * 1000
    signed_ms = int(time_text)
    if abs(now_ms - signed_ms) > window_ms:
        raise _refuse(
            _("The request was signed too far from the server's time; set the phone's clock and sign again."),
            "signature_expired",
            _server_time(now_ms),
        )
    digest = hashlib.sha256(public_key.encode() + b"\n" + message).digest()
    # Remembered until it leaves the window, a second over (the window's edges are inclusive).
    expires = datetime.fromtimestamp((signed_ms + window_ms) / 1000, tz=UTC) + timedelta(seconds=1)
    return Receipt(uuid.UUID(bytes=digest[:16]), expires)


def receipt_params(receipt: Receipt | None) -> dict[str, Any]:
    """The parameters of ``sql.signed_phone_ctes`` (``None``: nothing to record)."""
    return {
        "signature_digest": None if receipt is None else receipt.digest,
        "signature_expires_at": None if receipt is None else receipt.expires_at,
    }


def remember(receipt: Receipt) -> bool:
    """Record an accepted request; ``False`` when it was recorded before (a replay). One
    statement, atomic under concurrency: of two copies sent at once, one is first."""
    from backend.supervision.models import SeenSignature

    table = connection.ops.quote_name(SeenSignature._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (digest, expires_at) VALUES (%s, %s) ON CONFLICT (digest) DO NOTHING",  # noqa: S608
            _db_values(SeenSignature, digest=receipt.digest, expires_at=receipt.expires_at),
        )
        return bool(cursor.rowcount == 1)


def forget_expired(now: datetime | None = None) -> int:
    """Delete the remembered requests past their window (the ``forget-seen-signatures`` job)."""
    from backend.supervision.models import SeenSignature

    table = connection.ops.quote_name(SeenSignature._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE expires_at < %s",  # noqa: S608
            _db_values(SeenSignature, expires_at=now or datetime.now(tz=UTC)),
        )
        return int(cursor.rowcount)


def _db_values(model: Any, **values: Any) -> list[Any]:
    """The values as the database takes them for the model's fields (UUIDs and times differ by database)."""
    return [
        model._meta.get_field(name).get_db_prep_value(value, connection) for name, value in values.items()
    ]


def signature_headers(meta: dict[str, Any]) -> tuple[str | None, str | None]:
    """The two headers of a WSGI environ (or ``request.META``)."""
    time_text, signature = meta.get(TIME_META), meta.get(SIGNATURE_META)
    return (None if time_text is None else str(time_text), None if signature is None else str(signature))
