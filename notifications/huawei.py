"""Huawei Push Kit (HMS): the push service that reaches Huawei and Honor phones in mainland China.

Two HTTP calls, both over ``httpx``:

* OAuth 2.0 client credentials: ``POST https://oauth-login.cloud.huawei.com/oauth2/v3/token`` with
  the app's id and secret gives an access token (about an hour); it is cached and renewed a
  minute before it expires, or at once when Push Kit says it is no longer valid (one retry).
* ``POST https://push-api.cloud.huawei.com/v1/{app_id}/messages:send`` with up to 1,000 tokens.

Push Kit answers with a result code (``code``) in the body. ``80000000`` is success; ``80100000``
is a partial success whose ``msg`` lists the ``illegal_tokens`` (dead or malformed: forget them);
``80300007`` means every token was invalid. ``ERROR_CODES`` maps the others to permanent or
temporary; an unknown code, a 5xx, a 429 or a network error is temporary (``Retry-After`` kept).
"""

from __future__ import annotations

import email.utils
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx

from notifications.message import Message, Priority
from notifications.transport import DeliveryResult, Transport, TransportError, fail_all

TOKEN_URL = "https://oauth-login.cloud.huawei.com/oauth2/v3/token"
SEND_URL = "https://push-api.cloud.huawei.com/v1/{app_id}/messages:send"
MAX_BATCH_SIZE = 1000
SUCCESS = "80000000"
PARTIAL_SUCCESS = "80100000"
ALL_TOKENS_INVALID = "80300007"
# Codes that say the access token is no longer good: fetch a new one and send once more.
TOKEN_REJECTED = frozenset({"80200001", "80200003"})
# Renew the access token this long before Huawei says it expires.
TOKEN_MARGIN_S = 60.0


@dataclass(frozen=True)
class Outcome:
    """What a Push Kit result code means for the message."""

    permanent: bool
    text: str


# Push Kit's result codes (developer.huawei.com, "Push Kit server API error codes").
ERROR_CODES: dict[str, Outcome] = {
    "80100001": Outcome(True, "some request parameters are incorrect"),
    "80100003": Outcome(True, "incorrect message structure"),
    "80100004": Outcome(True, "message expiry time is earlier than the current time"),
    "80100013": Outcome(True, "collapse_key is invalid"),
    "80100016": Outcome(True, "the message contains sensitive words"),
    "80100017": Outcome(True, "a maximum of 100 topic-based messages can be sent at the same time"),
    "80200001": Outcome(False, "OAuth authentication error"),
    "80200003": Outcome(False, "OAuth token expired"),
    "80300002": Outcome(True, "the app has no permission to send messages to these tokens"),
    "80300008": Outcome(True, "the message body is too large"),
    "80300010": Outcome(True, "too many tokens in one message"),
    "80300011": Outcome(True, "no permission to send high-priority messages"),
    "80600003": Outcome(False, "the OAuth service could not be reached"),
    "81000001": Outcome(False, "Push Kit internal error"),
}


class HuaweiTransport(Transport):
    """Sends through Huawei Push Kit with the app's OAuth client credentials.

    ``app_id`` and ``client_secret`` come from AppGallery Connect (Project settings → App
    information). ``client`` may be given (tests pass one whose transport answers for Huawei);
    otherwise one ``httpx.Client`` is made and shared by every send of this transport.
    ``validate_only`` makes Push Kit check messages without delivering them.
    """

    name: ClassVar[str] = "hms"

    def __init__(
        self,
        app_id: str,
        client_secret: str,
        *,
        validate_only: bool = False,
        batch_size: int = MAX_BATCH_SIZE,
        http_timeout_s: float = 30.0,
        client: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not app_id or not client_secret:
            raise ValueError("HuaweiTransport needs app_id and client_secret")
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH_SIZE}")
        self.app_id = app_id
        self._secret = client_secret
        self.validate_only = validate_only
        self.batch_size = batch_size
        self._clock = clock
        self._client = client or httpx.Client(timeout=http_timeout_s)
        self._owns_client = client is None
        self._lock = threading.Lock()
        self._access_token: str | None = None
        self._expires_at = 0.0

    def __repr__(self) -> str:  # never the secret
        return f"HuaweiTransport(app_id={self.app_id!r}, validate_only={self.validate_only})"

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    # ------------------------------------------------------------------ OAuth

    def access_token(self, *, renew: bool = False) -> str:
        """A valid access token, fetched when there is none, it is about to expire, or ``renew``."""
        with self._lock:
            if not renew and self._access_token and self._clock() < self._expires_at - TOKEN_MARGIN_S:
                return self._access_token
            try:
                response = self._client.post(
                    TOKEN_URL,
                    data={
                        "grant_type": "client_credentials",
                        "client_id": self.app_id,
                        "client_secret": self._secret,
                    },
                )
            except httpx.HTTPError as exc:
                raise TransportError(
                    f"Huawei OAuth unreachable: {type(exc).__name__}",
                    code="oauth_unreachable",
                    permanent=False,
                ) from exc
            body = _json(response)
            token = body.get("access_token")
            if response.status_code != 200 or not isinstance(token, str) or not token:
                # 4xx: wrong app id or secret, which no retry mends; 5xx: Huawei's trouble.
                permanent = 400 <= response.status_code < 500 and response.status_code != 429
                raise TransportError(
                    f"Huawei OAuth refused the client credentials (HTTP {response.status_code}, "
                    f"error {body.get('error', '?')})",
                    code="oauth_failed",
                    permanent=permanent,
                    retry_after=None if permanent else _retry_after(response, self._clock),
                )
            expires_in = body.get("expires_in")
            self._access_token = token
            self._expires_at = self._clock() + (
                float(expires_in) if isinstance(expires_in, int | float) else 3600.0
            )
            return token

    # ------------------------------------------------------------------ sending

    def send(self, message: Message) -> list[DeliveryResult]:
        results: list[DeliveryResult] = []
        for batch in _chunks(message.tokens, self.batch_size):
            results.extend(self._send_batch(message, batch))
        return results

    def request_body(self, message: Message, tokens: tuple[str, ...]) -> dict[str, Any]:
        """The JSON Push Kit takes for ``message`` to ``tokens``."""
        android: dict[str, Any] = {
            "urgency": "HIGH" if message.priority == Priority.HIGH else "NORMAL",
        }
        if message.ttl_seconds is not None:
            android["ttl"] = f"{message.ttl_seconds}s"
        if not message.is_data_only:
            notification: dict[str, Any] = {
                "title": message.title,
                "body": message.body,
                "click_action": {"type": 3},  # open the app
            }
            if message.channel_id:
                notification["channel_id"] = message.channel_id
            android["notification"] = notification
        body: dict[str, Any] = {"android": android, "token": list(tokens)}
        if message.data:
            body["data"] = json.dumps(message.data, ensure_ascii=False, separators=(",", ":"))
        if not message.is_data_only:
            body["notification"] = {"title": message.title, "body": message.body}
        return {"validate_only": self.validate_only, "message": body}

    def _send_batch(self, message: Message, tokens: tuple[str, ...]) -> list[DeliveryResult]:
        payload = self.request_body(message, tokens)
        response = self._post(payload, renew=False)
        code = str(_json(response).get("code", ""))
        if code in TOKEN_REJECTED or response.status_code == 401:
            response = self._post(payload, renew=True)
        return self.results(tokens, response)

    def _post(self, payload: dict[str, Any], *, renew: bool) -> httpx.Response:
        token = self.access_token(renew=renew)
        try:
            return self._client.post(
                SEND_URL.format(app_id=self.app_id),
                json=payload,
                headers={"Authorization": f"Bearer {token}"},
            )
        except httpx.HTTPError as exc:
            raise TransportError(
                f"Push Kit unreachable: {type(exc).__name__}", code="unavailable", permanent=False
            ) from exc

    def results(self, tokens: tuple[str, ...], response: httpx.Response) -> list[DeliveryResult]:
        """One result per token from Push Kit's answer to a send of ``tokens``."""
        body = _json(response)
        code = str(body.get("code", ""))
        request_id = body.get("requestId")
        message_id = request_id if isinstance(request_id, str) else None
        if response.status_code == 200 and code == SUCCESS:
            return [DeliveryResult.delivered(token, message_id) for token in tokens]
        if response.status_code == 200 and code == PARTIAL_SUCCESS:
            illegal = set(_illegal_tokens(body.get("msg")))
            dead = TransportError(
                "Push Kit: the token is invalid or the app was uninstalled",
                code="unregistered",
                permanent=True,
                forget_token=True,
            )
            return [
                DeliveryResult.failed(token, dead)
                if token in illegal
                else DeliveryResult.delivered(token, message_id)
                for token in tokens
            ]
        if code == ALL_TOKENS_INVALID:
            dead = TransportError(
                "Push Kit: every token of the message is invalid",
                code="unregistered",
                permanent=True,
                forget_token=True,
            )
            return fail_all(tokens, dead)
        return fail_all(tokens, self.error_for(response, code))

    def error_for(self, response: httpx.Response, code: str) -> TransportError:
        outcome = ERROR_CODES.get(code)
        status = response.status_code
        if outcome is None:
            # Unknown code: a 4xx other than 429 is our request's fault; the rest is Huawei's.
            permanent = 400 <= status < 500 and status not in (401, 408, 429)
            outcome = Outcome(permanent, f"HTTP {status}")
        return TransportError(
            f"Push Kit {code or status}: {outcome.text}",
            code=f"hms_{code}" if code else f"http_{status}",
            permanent=outcome.permanent,
            retry_after=None if outcome.permanent else _retry_after(response, self._clock),
        )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _illegal_tokens(msg: object) -> list[str]:
    """The ``illegal_tokens`` of a partial success; Push Kit sends ``msg`` as a JSON string."""
    if isinstance(msg, str):
        try:
            msg = json.loads(msg)
        except ValueError:
            return []
    if isinstance(msg, dict):
        tokens = msg.get("illegal_tokens")
        if isinstance(tokens, list):
            return [token for token in tokens if isinstance(token, str)]
    return []


def _retry_after(response: httpx.Response, clock: Callable[[], float]) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - clock())


def _chunks(tokens: tuple[str, ...], size: int) -> Iterator[tuple[str, ...]]:
    for start in range(0, len(tokens), size):
        yield tokens[start : start + size]
