"""The process's push transport and the messages the backend sends through it.

The transport is built once per process from settings (``PUSH_TRANSPORT``, ``FCM_*``): the FCM
transport holds an authenticated firebase-admin app and a connection pool worth reusing.
Tests swap it with ``use_transport`` or by overriding ``PUSH_TRANSPORT`` (the cache is dropped
whenever a push setting changes).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

from django.conf import settings

from notifications import (
    DeliveryResult,
    Message,
    Priority,
    RetryPolicy,
    Transport,
    TransportError,
    fail_all,
    transport_from_env,
)
from notifications.message import MAX_TTL_SECONDS

log = logging.getLogger(__name__)

PUSH_SETTINGS = frozenset(
    {
        "PUSH_TRANSPORT",
        "FCM_CREDENTIALS_FILE",
        "FCM_PROJECT_ID",
        "FCM_DRY_RUN",
        "HMS_APP_ID",
        "HMS_CLIENT_SECRET",
    }
)

_lock = threading.Lock()
_transport: Transport | None = None


def get_transport() -> Transport:
    """The transport of this process, built on first use."""
    global _transport
    with _lock:
        if _transport is None:
            _transport = transport_from_env(
                {
                    "PUSH_TRANSPORT": settings.PUSH_TRANSPORT,
                    "FCM_CREDENTIALS_FILE": settings.FCM_CREDENTIALS_FILE,
                    "FCM_PROJECT_ID": settings.FCM_PROJECT_ID,
                    "FCM_DRY_RUN": "true" if settings.FCM_DRY_RUN else "false",
                    # Huawei Push Kit, for PUSH_TRANSPORT=hms or fcm,hms (tokens prefixed "hms:").
                    "HMS_APP_ID": settings.HMS_APP_ID,
                    "HMS_CLIENT_SECRET": settings.HMS_CLIENT_SECRET,
                }
            )
        return _transport


def use_transport(transport: Transport | None) -> None:
    """Make ``transport`` the process's transport (None: build from settings on next use)."""
    global _transport
    with _lock:
        previous, _transport = _transport, transport
    if previous is not None and previous is not transport:
        previous.close()


def reset_transport_on_setting_change(*, setting: str, **kwargs: Any) -> None:
    if setting in PUSH_SETTINGS:
        use_transport(None)


def retry_policy() -> RetryPolicy:
    return RetryPolicy(max_attempts=settings.PUSH_MAX_ATTEMPTS)


def send_once(transport: Transport, message: Message) -> list[DeliveryResult]:
    """One send, never raising: a whole-call failure or a transport bug becomes per-token results.

    A bug in a transport must not leave a reminder claimed forever, so anything unexpected is
    logged and treated as a temporary failure (retried, bounded by the policy).
    """
    try:
        results = transport.send(message)
    except TransportError as error:
        return fail_all(message.tokens, error)
    except Exception as exc:
        log.exception("push transport %s raised", transport.name)
        return fail_all(
            message.tokens,
            TransportError(f"{type(exc).__name__}: {exc}", code="transport_exception", permanent=False),
        )
    by_token = {result.token: result for result in results}
    missing = TransportError(
        "the transport returned no result for this token", code="no_result", permanent=False
    )
    return [by_token.get(token) or DeliveryResult.failed(token, missing) for token in message.tokens]


def ttl_until(expires_at: dt.datetime | None, now: dt.datetime) -> int | None:
    """Seconds the push service should keep trying: until the reminder expires (None: its default)."""
    if expires_at is None:
        return None
    return max(0, min(MAX_TTL_SECONDS, int((expires_at - now).total_seconds())))


def reminder_message(
    *,
    reminder_id: int,
    kind: str,
    title: str,
    body: str,
    data: dict[str, str],
    urgent: bool,
    tokens: tuple[str, ...],
    ttl_seconds: int | None,
) -> Message:
    """The push for one reminder; ``data`` tells the app what it is and which id to acknowledge."""
    return Message(
        tokens=tokens,
        title=title,
        body=body,
        data={**data, "kind": "reminder", "reminder_id": str(reminder_id), "reminder_type": kind},
        priority=Priority.HIGH if urgent else Priority.NORMAL,
        collapse_key=f"reminder-{reminder_id}",
        ttl_seconds=ttl_seconds,
        channel_id="reminders",
    )


def staff_alert_message(
    *, alert_id: int, subject_id: int, seq: int, title: str, body: str, tokens: tuple[str, ...]
) -> Message:
    """A HIGH priority push that wakes a staff phone for a critical alert."""
    return Message(
        tokens=tokens,
        title=title,
        body=body,
        data={"kind": "alert", "alert_id": str(alert_id), "subject_id": str(subject_id), "seq": str(seq)},
        priority=Priority.HIGH,
        collapse_key=f"alert-{alert_id}",
        ttl_seconds=3600,
        channel_id="alerts",
    )
