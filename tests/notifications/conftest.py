"""Fakes for the notifications tests: Google's servers behind the real firebase-admin code.

firebase-admin (sync API) sends every FCM request through a ``requests`` session
(google-auth's AuthorizedSession), and google-auth fetches its OAuth token through
another ``requests`` session. Both end in ``requests.adapters.HTTPAdapter.send``; the
``fake_fcm`` fixture replaces that one method, so everything above it runs for real:
the message encoder, the thread pool, the OAuth JWT grant signed with the key from the
service-account file, the 401 refresh logic, and the SDK's error parsing. urllib3's own
retries live inside ``HTTPAdapter.send`` and are bypassed, which keeps 5xx tests instant.

Any socket connection attempt fails the test, so nothing can reach the network.
"""

from __future__ import annotations

import itertools
import json
import re
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest
import requests
import requests.adapters
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from requests.structures import CaseInsensitiveDict

PROJECT_ID = "corrections-test"
CLIENT_EMAIL = f"push-sender@{PROJECT_ID}.iam.gserviceaccount.com"
TOKEN_URI = "https://oauth2.googleapis.com/token"
FCM_SEND_URL = f"https://fcm.googleapis.com/v1/projects/{PROJECT_ID}/messages:send"
ACCESS_TOKEN = "ya29.fake-access-token"

_FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"


def _fcm_error(status: int, grpc_status: str, message: str, error_code: str | None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": status, "message": message, "status": grpc_status}
    if error_code is not None:
        error["details"] = [{"@type": _FCM_ERROR, "errorCode": error_code}]
    return {"error": error}


# Error bodies as FCM HTTP v1 returns them (with X-GOOG-API-FORMAT-VERSION: 2, which the SDK sends).
FCM_ERRORS: dict[str, tuple[int, dict[str, Any]]] = {
    "UNREGISTERED": (404, _fcm_error(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED")),
    "INVALID_TOKEN": (
        400,
        _fcm_error(
            400,
            "INVALID_ARGUMENT",
            "The registration token is not a valid FCM registration token",
            "INVALID_ARGUMENT",
        ),
    ),
    "INVALID_MESSAGE": (
        400,
        {
            "error": {
                "code": 400,
                "message": "Invalid value at 'message.android.ttl' (type.googleapis.com/google.protobuf.Duration), "
                "Field 'ttl', Illegal duration format; duration must end with 's'",
                "status": "INVALID_ARGUMENT",
                "details": [
                    {
                        "@type": "type.googleapis.com/google.rpc.BadRequest",
                        "fieldViolations": [
                            {
                                "field": "message.android.ttl",
                                "description": "Invalid value at 'message.android.ttl' "
                                "(type.googleapis.com/google.protobuf.Duration)",
                            }
                        ],
                    }
                ],
            }
        },
    ),
    "UNAVAILABLE": (
        503,
        _fcm_error(503, "UNAVAILABLE", "The service is currently unavailable.", "UNAVAILABLE"),
    ),
    "INTERNAL": (500, _fcm_error(500, "INTERNAL", "Internal error encountered.", "INTERNAL")),
    "QUOTA_EXCEEDED": (
        429,
        _fcm_error(
            429,
            "RESOURCE_EXHAUSTED",
            "Quota exceeded for quota metric 'Send requests' and limit 'Send requests per minute' "
            "of service 'fcm.googleapis.com' for consumer 'project_number:123456789012'.",
            "QUOTA_EXCEEDED",
        ),
    ),
    "SENDER_ID_MISMATCH": (
        403,
        _fcm_error(403, "PERMISSION_DENIED", "SenderId mismatch", "SENDER_ID_MISMATCH"),
    ),
    "THIRD_PARTY_AUTH_ERROR": (
        401,
        _fcm_error(
            401, "UNAUTHENTICATED", "Auth error from APNS or Web Push Service", "THIRD_PARTY_AUTH_ERROR"
        ),
    ),
    # No FcmError detail: the service account may not use FCM in this project.
    "PERMISSION_DENIED": (
        403,
        _fcm_error(
            403,
            "PERMISSION_DENIED",
            "Permission 'cloudmessaging.messages.create' denied on resource "
            "'//cloudresourcemanager.googleapis.com/projects/corrections-test' (or it may not exist).",
            None,
        ),
    ),
}

# What the adapter raises when the network, not FCM, fails.
NETWORK_FAILURES: dict[str, Callable[[], Exception]] = {
    "CONNECTION_ERROR": lambda: requests.exceptions.ConnectionError("Connection reset by peer"),
    "TIMEOUT": lambda: requests.exceptions.ReadTimeout("Read timed out. (read timeout=30.0)"),
}

_FCM_SEND_URL_PATTERN = re.compile(r"https://fcm\.googleapis\.com/v1/projects/[^/]+/messages:send")


@dataclass
class RecordedRequest:
    method: str
    url: str
    headers: CaseInsensitiveDict[str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeGoogle:
    """Answers FCM sends per token (a queue whose last answer sticks) and OAuth token requests.

    Tests reach the constants through the fixture (``fake_google.SEND_URL``) rather than by
    importing this conftest, which would depend on pytest's import mode.
    """

    PROJECT_ID: ClassVar[str] = PROJECT_ID
    CLIENT_EMAIL: ClassVar[str] = CLIENT_EMAIL
    TOKEN_URI: ClassVar[str] = TOKEN_URI
    SEND_URL: ClassVar[str] = FCM_SEND_URL
    ACCESS_TOKEN: ClassVar[str] = ACCESS_TOKEN
    ERRORS: ClassVar[dict[str, tuple[int, dict[str, Any]]]] = FCM_ERRORS

    fcm_requests: list[RecordedRequest] = field(default_factory=list)
    token_requests: list[RecordedRequest] = field(default_factory=list)
    token_endpoint_answer: tuple[int, dict[str, Any]] | Exception = (
        200,
        {"access_token": ACCESS_TOKEN, "expires_in": 3600, "token_type": "Bearer"},
    )
    _answers: dict[str, list[tuple[str, dict[str, str]]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def reply(self, token: str, *codes: str, headers: dict[str, str] | None = None) -> None:
        """Answer sends to ``token`` with these FCM_ERRORS codes (or "OK"), the last one for good."""
        for code in codes:
            if code != "OK" and code not in FCM_ERRORS and code not in NETWORK_FAILURES:
                raise KeyError(code)
        self._answers[token] = [(code, headers or {}) for code in codes]

    def sent_tokens(self) -> list[str]:
        with self._lock:
            return [request.json()["message"]["token"] for request in self.fcm_requests]

    # The replacement for requests.adapters.HTTPAdapter.send.
    def handle(self, request: requests.PreparedRequest) -> requests.Response:
        body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
        recorded = RecordedRequest(
            str(request.method), str(request.url), CaseInsensitiveDict(request.headers), body
        )
        if request.url == TOKEN_URI:
            with self._lock:
                self.token_requests.append(recorded)
            if isinstance(self.token_endpoint_answer, Exception):
                raise self.token_endpoint_answer
            status, payload = self.token_endpoint_answer
            return _response(request, status, payload, {})
        if _FCM_SEND_URL_PATTERN.fullmatch(str(request.url)) and request.method == "POST":
            token = recorded.json()["message"]["token"]
            with self._lock:
                self.fcm_requests.append(recorded)
                queue = self._answers.get(token, [("OK", {})])
                code, headers = queue.pop(0) if len(queue) > 1 else queue[0]
                number = next(self._ids)
            if code == "OK":
                return _response(
                    request, 200, {"name": f"projects/{PROJECT_ID}/messages/0:{number}%fake"}, {}
                )
            if code in NETWORK_FAILURES:
                raise NETWORK_FAILURES[code]()
            status, payload = FCM_ERRORS[code]
            return _response(request, status, payload, headers)
        raise AssertionError(f"unexpected HTTP request: {request.method} {request.url}")


def _response(
    request: requests.PreparedRequest, status: int, payload: dict[str, Any], headers: dict[str, str]
) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(payload).encode("utf-8")
    response.headers = CaseInsensitiveDict({"Content-Type": "application/json; charset=UTF-8", **headers})
    response.encoding = "utf-8"
    response.url = str(request.url)
    response.request = request
    return response


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a test tried to open a network connection: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


# The fake that answers while a test runs; HTTP outside a test that asked for one is an error.
_current_fake: list[FakeGoogle] = []


@pytest.fixture(scope="module")
def _google_http() -> Iterator[None]:
    # Patched per module rather than per test so that one FCMTransport can serve a whole
    # module: building one costs ~0.1 s (the SDK creates httpx clients and SSL contexts).
    # Not per session, so that other test folders never see the fake.
    def send(adapter: requests.adapters.HTTPAdapter, request: requests.PreparedRequest, **kwargs: Any) -> Any:
        if not _current_fake:
            raise AssertionError(f"HTTP request outside a fake_google test: {request.method} {request.url}")
        return _current_fake[-1].handle(request)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(requests.adapters.HTTPAdapter, "send", send)
        yield


@pytest.fixture
def fake_google(_google_http: None) -> Iterator[FakeGoogle]:
    fake = FakeGoogle()
    _current_fake.append(fake)
    yield fake
    _current_fake.remove(fake)


@pytest.fixture(scope="session")
def rsa_private_key() -> rsa.RSAPrivateKey:
    # 1024 bits: the SDK validates the key on every load, and at 2048 bits that alone costs
    # 40 ms per transport. The tests need a key that signs, not one that resists attack.
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


@pytest.fixture(scope="session")
def service_account_file(
    tmp_path_factory: pytest.TempPathFactory, rsa_private_key: rsa.RSAPrivateKey
) -> Path:
    """A service-account JSON like the one downloaded from the Firebase console, with a fresh key."""
    pem = rsa_private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        "type": "service_account",
        "project_id": PROJECT_ID,
        "private_key_id": "0123456789abcdef0123456789abcdef01234567",
        "private_key": pem,
        "client_email": CLIENT_EMAIL,
        "client_id": "100000000000000000001",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": TOKEN_URI,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/push-sender",
        "universe_domain": "googleapis.com",
    }
    path = tmp_path_factory.mktemp("fcm") / "fcm-service-account.json"
    path.write_text(json.dumps(info), encoding="utf-8")
    return path


def _unique_app_name() -> str:
    # A fresh firebase-admin app each time: the SDK's app registry is process-wide.
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def app_name() -> str:
    return _unique_app_name()


@pytest.fixture(scope="module")
def fcm_transport(_google_http: None, service_account_file: Path) -> Iterator[Any]:
    """One FCMTransport per test module, on a fixed clock; use it together with fake_google."""
    from notifications.fcm import FCMTransport

    transport = FCMTransport(service_account_file, app_name=_unique_app_name(), clock=lambda: 1_700_000_000.0)
    yield transport
    transport.close()


@pytest.fixture
def make_fcm_transport(fake_google: FakeGoogle, service_account_file: Path) -> Iterator[Callable[..., Any]]:
    """Build a fresh FCMTransport with other options (closed after the test)."""
    from notifications.fcm import FCMTransport

    made: list[Any] = []

    def make(**options: Any) -> Any:
        options.setdefault("app_name", _unique_app_name())
        options.setdefault("clock", lambda: 1_700_000_000.0)
        transport = FCMTransport(options.pop("credentials_file", service_account_file), **options)
        made.append(transport)
        return transport

    yield make
    for transport in made:
        transport.close()
