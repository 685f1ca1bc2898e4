"""The transport interface: what every push provider (FCM, console, a domestic one) implements."""

from __future__ import annotations

import abc
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from notifications.message import Message


class TransportError(Exception):
    """Why a message did not reach one token, and what the caller should do about it.

    ``permanent`` means sending the same message again cannot succeed, so it is not retried.
    ``forget_token`` means the token itself is dead or invalid (uninstalled app, token from
    another Firebase project, malformed token): the backend deletes it, as Traccar does. It
    implies ``permanent``. A permanent error that is not the token's fault (our APNs
    certificate expired, the service account lost its permission, the message itself was
    rejected) keeps the token, because the next message may well get through once an
    operator has fixed the cause.

    Everything else is temporary (provider unavailable, internal error, quota exceeded,
    network down) and worth retrying with backoff; ``retry_after`` is the provider's own
    "not before" in seconds when it sent one.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str,
        permanent: bool,
        forget_token: bool = False,
        retry_after: float | None = None,
    ) -> None:
        if forget_token and not permanent:
            raise ValueError("TransportError: forget_token=True requires permanent=True")
        if retry_after is not None and retry_after < 0:
            raise ValueError("TransportError: retry_after must not be negative")
        super().__init__(message)
        self.message = message
        self.code = code
        self.permanent = permanent
        self.forget_token = forget_token
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return (
            f"TransportError({self.message!r}, code={self.code!r}, permanent={self.permanent}, "
            f"forget_token={self.forget_token}, retry_after={self.retry_after})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TransportError):
            return NotImplemented
        return (self.message, self.code, self.permanent, self.forget_token, self.retry_after) == (
            other.message,
            other.code,
            other.permanent,
            other.forget_token,
            other.retry_after,
        )

    def __hash__(self) -> int:
        return hash((self.message, self.code, self.permanent, self.forget_token, self.retry_after))

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments defeat the default exception pickling, which Celery result
        # backends and multiprocessing rely on.
        return (
            _rebuild_transport_error,
            (self.message, self.code, self.permanent, self.forget_token, self.retry_after),
        )


def _rebuild_transport_error(
    message: str, code: str, permanent: bool, forget_token: bool, retry_after: float | None
) -> TransportError:
    return TransportError(
        message, code=code, permanent=permanent, forget_token=forget_token, retry_after=retry_after
    )


@dataclass(frozen=True)
class DeliveryResult:
    """The outcome of sending one message to one token.

    ``ok`` with the provider's ``message_id``, or not ``ok`` with the ``error``.
    """

    token: str
    ok: bool
    message_id: str | None = None
    error: TransportError | None = None

    def __post_init__(self) -> None:
        if self.ok and self.error is not None:
            raise ValueError("DeliveryResult: a delivered result carries no error")
        if not self.ok and self.error is None:
            raise ValueError("DeliveryResult: a failed result needs its error")

    @classmethod
    def delivered(cls, token: str, message_id: str | None) -> DeliveryResult:
        return cls(token=token, ok=True, message_id=message_id)

    @classmethod
    def failed(cls, token: str, error: TransportError) -> DeliveryResult:
        return cls(token=token, ok=False, error=error)

    @property
    def should_retry(self) -> bool:
        """Failed for a temporary reason."""
        return self.error is not None and not self.error.permanent

    @property
    def should_forget_token(self) -> bool:
        """Failed because the token is dead or invalid."""
        return self.error is not None and self.error.forget_token


def tokens_to_retry(results: Iterable[DeliveryResult]) -> tuple[str, ...]:
    """The tokens that failed temporarily, in order."""
    return tuple(result.token for result in results if result.should_retry)


def tokens_to_forget(results: Iterable[DeliveryResult]) -> tuple[str, ...]:
    """The tokens the backend should delete, in order."""
    return tuple(result.token for result in results if result.should_forget_token)


def longest_retry_after(results: Iterable[DeliveryResult]) -> float | None:
    """The largest ``retry_after`` among temporary failures, or None when none was given.

    The largest, because a retry is one request per token and every one of them must
    respect what the provider asked for.
    """
    waits = [
        result.error.retry_after
        for result in results
        if result.should_retry and result.error is not None and result.error.retry_after is not None
    ]
    return max(waits) if waits else None


class Transport(abc.ABC):
    """A way to deliver a ``Message`` to phones.

    ``send`` returns exactly one ``DeliveryResult`` per token of the message, in the order
    of ``message.tokens``; a failure for one token never hides the others. When a whole
    call fails in a way that concerns every token (provider down before anything was
    sent), a transport may either return that error for each token or raise one
    ``TransportError``; ``deliver`` treats both alike. Anything else raised is a bug.

    ``send`` is synchronous and must be safe to call from several threads (Celery workers
    with threads, the dev server).
    """

    name: ClassVar[str]

    @abc.abstractmethod
    def send(self, message: Message) -> list[DeliveryResult]:
        """Send ``message`` to each of its tokens and say what happened to each."""

    def close(self) -> None:  # noqa: B027 - optional hook; most transports hold nothing to release
        """Release what the transport holds (connections, SDK apps). Optional."""


def fail_all(tokens: Iterable[str], error: TransportError) -> list[DeliveryResult]:
    """The same error for every token: for a call that failed as a whole."""
    return [DeliveryResult.failed(token, error) for token in tokens]
