"""A phone's credentials for HTTP clients other than Django's test client (httpx, urllib): its
device token and its signature of each request (``backend.supervision.signing``), for the
integration tests and the fuzz run. ``tests.conftest.device_client`` is the test client's."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator
from typing import Any

import httpx

from backend.supervision.signing import public_key_text, sign_request


def new_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.generate()


def key_from_seed(seed_hex: str) -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex))


def seed_of(key: Any) -> str:
    """The private key's 32 bytes in hex (to hand a phone's key to another process)."""
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    return bytes(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())).hex()


def public_key_of(key: Any) -> str:
    return public_key_text(key)


class _Clock:
    """Signing times that move forward by at least a millisecond from one request to the next."""

    def __init__(self) -> None:
        self.last = 0
        self.lock = threading.Lock()

    def next(self) -> int:
        with self.lock:
            self.last = max(int(time.time() * 1000), self.last + 1)
            return self.last


_clocks: dict[str, _Clock] = {}
_clocks_lock = threading.Lock()


def _clock(token: str) -> _Clock:
    with _clocks_lock:
        return _clocks.setdefault(token, _Clock())


def signed_headers(token: str, key: Any, method: str, target: str, body: bytes = b"") -> dict[str, str]:
    """``Authorization`` and the two signature headers of one request of the phone."""
    return {
        "Authorization": f"Device {token}",
        **sign_request(key, method, target, body, _clock(token).next()),
    }


class SignedPhoneAuth(httpx.Auth):
    """httpx authentication as the enrolled phone: token and signature on every request."""

    requires_request_body = True

    def __init__(self, token: str, key: Any) -> None:
        self.token, self.key = token, key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        target = request.url.raw_path.decode("ascii")  # the path and query string as sent
        request.headers.update(signed_headers(self.token, self.key, request.method, target, request.content))
        yield request
