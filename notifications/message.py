"""The push message every transport sends, validated once when it is built."""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field

# FCM rejects a message whose notification and data together exceed 4096 bytes ("This includes
# both the keys and the values"). The limit is in bytes, so a Chinese character counts three.
MAX_PAYLOAD_BYTES = 4096

# FCM keeps a message for at most four weeks; a longer TTL is an INVALID_ARGUMENT.
MAX_TTL_SECONDS = 28 * 24 * 3600

# APNs refuses an apns-collapse-id longer than 64 bytes, and the same key is used for Android.
MAX_COLLAPSE_KEY_BYTES = 64

# FCM uses these data keys itself and answers INVALID_ARGUMENT when a message carries them.
RESERVED_DATA_KEYS = frozenset({"from", "notification", "message_type"})
RESERVED_DATA_KEY_PREFIXES = ("google", "gcm")


class Priority(enum.StrEnum):
    """How urgently the phone should be woken: HIGH for alerts and check-in prompts."""

    HIGH = "high"
    NORMAL = "normal"


@dataclass(frozen=True)
class Message:
    """One push notification addressed to one or more device push tokens.

    ``title`` and ``body`` are what the phone shows; leave both empty to send a data-only
    (silent) message, which then needs ``data``. ``data`` reaches the app untouched and
    must map strings to strings. ``collapse_key`` lets a newer message replace an older one
    still waiting on the device; ``ttl_seconds`` is how long FCM keeps trying (0 means now
    or never, None means the provider's default). ``channel_id`` names the Android
    notification channel.

    Duplicate tokens are dropped (keeping the first), so a device registered twice is
    reminded once. Invalid values raise ``ValueError`` with a message saying which field.
    """

    tokens: tuple[str, ...]
    title: str = ""
    body: str = ""
    data: dict[str, str] = field(default_factory=dict)
    priority: Priority = Priority.NORMAL
    collapse_key: str | None = None
    ttl_seconds: int | None = None
    channel_id: str | None = None

    def __post_init__(self) -> None:
        # The dataclass is frozen for callers; normalising here is the one exception, so that a
        # Message can be trusted by every transport without validating again.
        object.__setattr__(self, "tokens", _clean_tokens(self.tokens))
        object.__setattr__(self, "data", _clean_data(self.data))
        object.__setattr__(self, "priority", Priority(self.priority))
        _check_text("title", self.title)
        _check_text("body", self.body)
        if self.is_data_only and not self.data:
            raise ValueError("Message needs a title or body, or data for a data-only message")
        _check_ttl(self.ttl_seconds)
        _check_collapse_key(self.collapse_key)
        if self.channel_id is not None and (not isinstance(self.channel_id, str) or not self.channel_id):
            raise ValueError("Message.channel_id must be a non-empty string or None")
        size = self.payload_bytes
        if size > MAX_PAYLOAD_BYTES:
            raise ValueError(
                f"Message payload is {size} bytes (title, body, data keys and values in UTF-8); "
                f"FCM allows at most {MAX_PAYLOAD_BYTES}"
            )

    @property
    def is_data_only(self) -> bool:
        """True when nothing is shown to the user and only ``data`` is delivered."""
        return not self.title and not self.body

    @property
    def payload_bytes(self) -> int:
        """The size FCM counts against its 4 KB limit: notification text plus data keys and values."""
        parts = [self.title, self.body, *self.data.keys(), *self.data.values()]
        return sum(len(part.encode("utf-8")) for part in parts)

    def with_tokens(self, tokens: tuple[str, ...]) -> Message:
        """The same message addressed to other tokens (used to retry only the failed ones)."""
        return dataclasses.replace(self, tokens=tokens)


def _clean_tokens(tokens: object) -> tuple[str, ...]:
    # A bare string is iterable too; accepting it would send one message per character.
    if isinstance(tokens, str) or not isinstance(tokens, tuple | list):
        raise ValueError("Message.tokens must be a tuple of push token strings")
    if not tokens:
        raise ValueError("Message.tokens is empty: a message needs at least one recipient token")
    seen: dict[str, None] = {}
    for index, token in enumerate(tokens):
        if not isinstance(token, str) or not token.strip():
            raise ValueError(f"Message.tokens[{index}] must be a non-empty string, got {token!r}")
        seen.setdefault(token, None)
    return tuple(seen)


def _clean_data(data: object) -> dict[str, str]:
    if not isinstance(data, dict):
        raise ValueError("Message.data must be a dict of str to str")
    for key, value in data.items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"Message.data key {key!r} must be a non-empty string")
        if not isinstance(value, str):
            raise ValueError(
                f"Message.data[{key!r}] must be a string, got {type(value).__name__}; "
                "FCM delivers data values as strings only, so convert (e.g. json.dumps) first"
            )
        if key in RESERVED_DATA_KEYS or key.lower().startswith(RESERVED_DATA_KEY_PREFIXES):
            raise ValueError(f"Message.data key {key!r} is reserved by FCM")
    # A copy, so that a caller changing its dict later does not change a message already queued.
    return dict(data)


def _check_text(name: str, value: object) -> None:
    if not isinstance(value, str):
        raise ValueError(f"Message.{name} must be a string")


def _check_ttl(ttl_seconds: object) -> None:
    if ttl_seconds is None:
        return
    if isinstance(ttl_seconds, bool) or not isinstance(ttl_seconds, int):
        raise ValueError("Message.ttl_seconds must be an int number of seconds or None")
    if not 0 <= ttl_seconds <= MAX_TTL_SECONDS:
        raise ValueError(f"Message.ttl_seconds must be between 0 and {MAX_TTL_SECONDS} (four weeks)")


def _check_collapse_key(collapse_key: object) -> None:
    if collapse_key is None:
        return
    if not isinstance(collapse_key, str) or not collapse_key:
        raise ValueError("Message.collapse_key must be a non-empty string or None")
    if len(collapse_key.encode("utf-8")) > MAX_COLLAPSE_KEY_BYTES:
        raise ValueError(f"Message.collapse_key must be at most {MAX_COLLAPSE_KEY_BYTES} bytes in UTF-8")
