"""Push delivery for the supervision app: a transport interface, FCM, and a console stand-in.

Imports nothing from Django or ``backend``; configuration comes in as arguments (or an
environment mapping passed to ``transport_from_env``). See README.md in this folder.
"""

from notifications.console import ConsoleTransport
from notifications.message import MAX_PAYLOAD_BYTES, Message, Priority
from notifications.registry import (
    available_transports,
    build_transport,
    register_transport,
    transport_from_env,
    unregister_transport,
)
from notifications.retry import RetryPolicy, deliver
from notifications.transport import (
    DeliveryResult,
    Transport,
    TransportError,
    fail_all,
    longest_retry_after,
    tokens_to_forget,
    tokens_to_retry,
)

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "ConsoleTransport",
    "DeliveryResult",
    "Message",
    "Priority",
    "RetryPolicy",
    "Transport",
    "TransportError",
    "available_transports",
    "build_transport",
    "deliver",
    "fail_all",
    "longest_retry_after",
    "register_transport",
    "tokens_to_forget",
    "tokens_to_retry",
    "transport_from_env",
    "unregister_transport",
]
