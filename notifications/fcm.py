"""Firebase Cloud Messaging through firebase-admin (FCM HTTP v1 API)."""

from __future__ import annotations

import datetime
import email.utils
import logging
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import firebase_admin
import google.auth.exceptions
from firebase_admin import credentials, exceptions, messaging

from notifications.message import Message, Priority
from notifications.transport import DeliveryResult, Transport, TransportError, fail_all

logger = logging.getLogger(__name__)

# FCM's own limit for one send_each / send_each_for_multicast call.
MAX_BATCH_SIZE = 500

# The SDK keeps apps in a process-wide registry; ours has its own name so that a default app
# created by other code (or by firebase-admin's environment defaults) is never replaced.
DEFAULT_APP_NAME = "notifications-fcm"

_app_lock = threading.Lock()


class FCMTransport(Transport):
    """Sends through FCM with a service account, batching up to 500 tokens per SDK call.

    ``credentials_file`` is the path of the service-account JSON (the backend passes the
    value of ``FCM_CREDENTIALS_FILE``); ``project_id`` defaults to the one in that file.
    The firebase-admin app named ``app_name`` is created on first use and then shared by
    every ``FCMTransport`` of that name in the process, so building a transport per task
    costs nothing. ``dry_run`` makes FCM validate without delivering (``validate_only``).

    ``batch_size`` bounds the tokens per SDK call; firebase-admin sends each token as its
    own HTTP request from a thread pool as large as the batch, so a smaller batch also
    means fewer threads. ``clock`` supplies the time for APNs expiration headers and
    HTTP-date ``Retry-After`` values.
    """

    name: ClassVar[str] = "fcm"

    def __init__(
        self,
        credentials_file: str | os.PathLike[str],
        *,
        project_id: str | None = None,
        app_name: str = DEFAULT_APP_NAME,
        dry_run: bool = False,
        batch_size: int = MAX_BATCH_SIZE,
        http_timeout_s: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH_SIZE}")
        self.dry_run = dry_run
        self.batch_size = batch_size
        self._clock = clock
        self.app: Any = _named_app(credentials_file, project_id, app_name, http_timeout_s)

    # ------------------------------------------------------------------ sending

    def send(self, message: Message) -> list[DeliveryResult]:
        results: list[DeliveryResult] = []
        for batch in _chunks(message.tokens, self.batch_size):
            results.extend(self._send_batch(message, batch))
        return results

    def _send_batch(self, message: Message, tokens: tuple[str, ...]) -> list[DeliveryResult]:
        multicast = self.build_multicast(message, tokens)
        try:
            response = messaging.send_each_for_multicast(multicast, dry_run=self.dry_run, app=self.app)
        except exceptions.FirebaseError as exc:
            # The SDK raises only when the call as a whole broke (e.g. the OAuth token could
            # not be fetched); per-token answers arrive in the batch response below.
            error = transport_error_from_firebase(exc, now=self._clock())
            logger.warning("FCM batch of %d failed as a whole: %r", len(tokens), error)
            return fail_all(tokens, error)

        results: list[DeliveryResult] = []
        for token, answer in zip(tokens, response.responses, strict=True):
            if answer.success:
                results.append(DeliveryResult.delivered(token, answer.message_id))
            else:
                error = transport_error_from_firebase(answer.exception, now=self._clock())
                logger.info("FCM refused token %s…: %r", token[:8], error)
                results.append(DeliveryResult.failed(token, error))
        return results

    def build_multicast(self, message: Message, tokens: tuple[str, ...]) -> Any:
        """The firebase-admin ``MulticastMessage`` for ``tokens`` (public for inspection)."""
        notification = None
        if not message.is_data_only:
            notification = messaging.Notification(title=message.title or None, body=message.body or None)
        android_notification = None
        if message.channel_id is not None and notification is not None:
            android_notification = messaging.AndroidNotification(channel_id=message.channel_id)
        android = messaging.AndroidConfig(
            priority=message.priority.value,
            ttl=message.ttl_seconds,
            collapse_key=message.collapse_key,
            notification=android_notification,
        )
        apns_payload = None
        if message.is_data_only:
            # iOS wakes the app for a data-only push only when content-available is set.
            apns_payload = messaging.APNSPayload(aps=messaging.Aps(content_available=True))
        apns = messaging.APNSConfig(headers=self.apns_headers(message), payload=apns_payload)
        # Newer firebase-admin deprecates "tokens" in favour of installation ids ("fids"), but
        # the phone app registers FCM tokens, and "fids" does not exist in the older versions we
        # support. The SDK silences the same warning internally when it expands the multicast.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return messaging.MulticastMessage(
                tokens=list(tokens),
                data=message.data or None,
                notification=notification,
                android=android,
                apns=apns,
            )

    def apns_headers(self, message: Message) -> dict[str, str]:
        """The APNs headers FCM forwards to Apple for ``message``."""
        if message.is_data_only:
            # Apple rejects priority 10 for background (content-available) pushes.
            headers = {"apns-push-type": "background", "apns-priority": "5"}
        else:
            priority = "10" if message.priority is Priority.HIGH else "5"
            headers = {"apns-push-type": "alert", "apns-priority": priority}
        if message.collapse_key is not None:
            headers["apns-collapse-id"] = message.collapse_key
        if message.ttl_seconds is not None:
            # APNs wants an absolute UNIX time; "0" means try once and do not store.
            expiration = 0 if message.ttl_seconds == 0 else int(self._clock()) + message.ttl_seconds
            headers["apns-expiration"] = str(expiration)
        return headers

    def close(self) -> None:
        """Delete the firebase-admin app; other transports sharing its name stop working too."""
        with _app_lock:
            try:
                current = firebase_admin.get_app(self.app.name)
            except ValueError:
                return
            if current is self.app:
                firebase_admin.delete_app(self.app)


def _named_app(
    credentials_file: str | os.PathLike[str],
    project_id: str | None,
    app_name: str,
    http_timeout_s: float,
) -> Any:
    if not credentials_file or not os.fspath(credentials_file).strip():
        raise ValueError(
            "FCMTransport needs credentials_file, the path of a service-account JSON "
            "(the backend reads it from FCM_CREDENTIALS_FILE)"
        )
    with _app_lock:
        try:
            app = firebase_admin.get_app(app_name)
        except ValueError:
            app = None
        if app is None:
            # Certificate reads and parses the file now, so a wrong path fails at start-up
            # rather than at the first reminder.
            try:
                credential = credentials.Certificate(os.fspath(credentials_file))
            except (OSError, ValueError) as exc:
                raise ValueError(
                    f"cannot use FCM credentials file {os.fspath(credentials_file)!r}: {exc}"
                ) from exc
            options: dict[str, Any] = {"httpTimeout": http_timeout_s}
            if project_id:
                options["projectId"] = project_id
            app = firebase_admin.initialize_app(credential, options, name=app_name)
        elif project_id and app.project_id != project_id:
            raise ValueError(
                f"firebase app {app_name!r} already exists for project {app.project_id!r}, "
                f"not {project_id!r}; pass a different app_name"
            )
    if not app.project_id:
        raise ValueError("FCMTransport could not tell the Firebase project id; pass project_id")
    return app


def _chunks(tokens: tuple[str, ...], size: int) -> Iterator[tuple[str, ...]]:
    for start in range(0, len(tokens), size):
        yield tokens[start : start + size]


# ---------------------------------------------------------------------- error mapping

# Checked in order, so each subclass comes before its base class: UnregisteredError is a
# NotFoundError, QuotaExceededError a ResourceExhaustedError, and so on.
# (exception type, code, permanent, forget_token)
_ERROR_TABLE: tuple[tuple[type[Exception], str, bool, bool], ...] = (
    # The app was uninstalled or the token expired: the token will never work again.
    (messaging.UnregisteredError, "UNREGISTERED", True, True),
    # The token belongs to another Firebase project: useless to us for good.
    (messaging.SenderIdMismatchError, "SENDER_ID_MISMATCH", True, True),
    # Our APNs certificate / web-push key is wrong. Retrying does not help, but the token is
    # fine: forgetting every iPhone because a certificate expired would be a disaster.
    (messaging.ThirdPartyAuthError, "THIRD_PARTY_AUTH_ERROR", True, False),
    (messaging.QuotaExceededError, "QUOTA_EXCEEDED", False, False),
    # Permanent; whether the token is to blame is decided from the response below.
    (exceptions.InvalidArgumentError, "INVALID_ARGUMENT", True, False),
    (exceptions.UnavailableError, "UNAVAILABLE", False, False),
    (exceptions.InternalError, "INTERNAL", False, False),
    (exceptions.DeadlineExceededError, "DEADLINE_EXCEEDED", False, False),
    (exceptions.ResourceExhaustedError, "RESOURCE_EXHAUSTED", False, False),
    # Our own service account or project is wrong (bad key, FCM API disabled, wrong project
    # id): an operator must act, and no token is at fault.
    (exceptions.UnauthenticatedError, "UNAUTHENTICATED", True, False),
    (exceptions.PermissionDeniedError, "PERMISSION_DENIED", True, False),
    (exceptions.NotFoundError, "NOT_FOUND", True, False),
)

_FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
_BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"


def transport_error_from_firebase(exc: BaseException, *, now: float | None = None) -> TransportError:
    """Translate a firebase-admin exception into a ``TransportError``.

    Unknown kinds of failure are temporary: a bounded number of retries is cheaper than
    losing a reminder.
    """
    now = time.time() if now is None else now
    body = _error_body(exc)
    retry_after = _retry_after(exc, now)
    for exc_type, code, permanent, forget in _ERROR_TABLE:
        if isinstance(exc, exc_type):
            if exc_type is messaging.ThirdPartyAuthError:
                # The SDK folds the older APNS_AUTH_ERROR into the same class; keep FCM's word.
                code = _fcm_error_code(body) or code
            if exc_type is exceptions.InvalidArgumentError:
                forget = _blames_token(body)
            return TransportError(
                str(exc) or code,
                code=code,
                permanent=permanent,
                forget_token=forget,
                retry_after=None if permanent else retry_after,
            )
    refresh = _find_cause(exc, google.auth.exceptions.RefreshError)
    if refresh is not None and not getattr(refresh, "retryable", False):
        # The OAuth token endpoint refused our service account (revoked key, bad clock).
        return TransportError(
            f"Google OAuth refused the service account: {refresh}", code="AUTH_ERROR", permanent=True
        )
    sdk_code = getattr(exc, "code", None)
    return TransportError(
        str(exc) or type(exc).__name__,
        code=sdk_code if isinstance(sdk_code, str) and sdk_code else "UNKNOWN",
        permanent=False,
        retry_after=retry_after,
    )


def _error_body(exc: BaseException) -> dict[str, Any]:
    response = getattr(exc, "http_response", None)
    if response is None:
        return {}
    try:
        parsed = response.json()
    except ValueError:
        return {}
    error = parsed.get("error") if isinstance(parsed, dict) else None
    return error if isinstance(error, dict) else {}


def _details(body: dict[str, Any]) -> list[dict[str, Any]]:
    details = body.get("details")
    if not isinstance(details, list):
        return []
    return [detail for detail in details if isinstance(detail, dict)]


def _fcm_error_code(body: dict[str, Any]) -> str | None:
    for detail in _details(body):
        if detail.get("@type") == _FCM_ERROR_TYPE and isinstance(detail.get("errorCode"), str):
            return str(detail["errorCode"])
    return None


def _blames_token(body: dict[str, Any]) -> bool:
    """Whether an INVALID_ARGUMENT answer is about the token rather than the message.

    FCM uses INVALID_ARGUMENT both for a malformed token and for a bad message (TTL, data
    key, size). Only the first means the token should be forgotten; FCM says so in the
    message text ("The registration token is not a valid FCM registration token") or in
    a BadRequest field violation on ``message.token``.
    """
    text = body.get("message")
    if isinstance(text, str) and "registration token" in text.lower():
        return True
    for detail in _details(body):
        if detail.get("@type") != _BAD_REQUEST_TYPE:
            continue
        violations = detail.get("fieldViolations")
        if isinstance(violations, list) and any(
            isinstance(violation, dict) and violation.get("field") == "message.token"
            for violation in violations
        ):
            return True
    return False


def _retry_after(exc: BaseException, now: float) -> float | None:
    """Seconds from ``now`` that a Retry-After header asks for (delta-seconds or HTTP-date)."""
    response = getattr(exc, "http_response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    raw = headers.get("Retry-After")
    if not isinstance(raw, str) or not raw.strip():
        return None
    raw = raw.strip()
    if raw.isdigit():
        return float(raw)
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        logger.warning("ignoring malformed Retry-After header %r", raw)
        return None
    if when.tzinfo is None:
        # HTTP dates are always GMT; "-0000" parses as naive and must not be read as local time.
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, when.timestamp() - now)


def _find_cause(exc: BaseException, wanted: type[BaseException]) -> BaseException | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, wanted):
            return current
        seen.add(id(current))
        # firebase-admin keeps the original error in .cause rather than __cause__.
        cause = getattr(current, "cause", None)
        current = cause if isinstance(cause, BaseException) else current.__cause__
    return None
