"""Retrying temporary failures: the backoff policy and a synchronous delivery loop."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from notifications.message import Message
from notifications.transport import (
    DeliveryResult,
    Transport,
    TransportError,
    fail_all,
    longest_retry_after,
    tokens_to_retry,
)

logger = logging.getLogger(__name__)

# A shared generator for callers that do not pass their own; tests pass a seeded one.
_default_rng = random.Random()


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently temporary failures are retried.

    ``max_attempts`` counts the first send, so 5 means one send and up to four retries.
    Delays grow exponentially from ``base_delay_s`` and never exceed ``max_delay_s``,
    except that a provider's ``retry_after`` is always honoured.
    """

    max_attempts: int = 5
    base_delay_s: float = 2.0
    max_delay_s: float = 300.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be at least 1")
        if self.base_delay_s <= 0:
            raise ValueError("RetryPolicy.base_delay_s must be positive")
        if self.max_delay_s < self.base_delay_s:
            raise ValueError("RetryPolicy.max_delay_s must be at least base_delay_s")

    def delay_for(
        self,
        attempt: int,
        rng: random.Random | None = None,
        retry_after: float | None = None,
    ) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1 = the first send).

        Full jitter: a uniform draw between 0 and ``base_delay_s * 2 ** (attempt - 1)``,
        capped at ``max_delay_s``. Drawing over the whole range, not around the cap,
        spreads out the retries of many workers that failed together when FCM went down.
        When the provider asked for ``retry_after`` seconds and that is longer, it wins:
        coming back earlier only earns another refusal. Usable alone, e.g. as a Celery
        ``countdown``.
        """
        if attempt < 1:
            raise ValueError("attempt counts from 1 (the first send)")
        # Cap the exponent before computing the power: 2 ** 2000 overflows a float.
        exponent = min(attempt - 1, 62)
        ceiling = min(self.max_delay_s, self.base_delay_s * 2.0**exponent)
        delay = (rng or _default_rng).uniform(0.0, ceiling)
        if retry_after is not None and retry_after > delay:
            return retry_after
        return delay


def deliver(
    transport: Transport,
    message: Message,
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> list[DeliveryResult]:
    """Send ``message`` and retry, in this thread, the tokens that failed temporarily.

    Delivered tokens and permanently failed ones are never sent again. Returns one result
    per token in the order of ``message.tokens``: the last outcome of each. Stops after
    ``policy.max_attempts`` sends, or early when the provider asks to wait longer than
    ``policy.max_delay_s``: blocking a worker that long is worse than letting the caller
    schedule the remaining tokens later (their results still say ``should_retry`` and
    carry the ``retry_after``).
    """
    final: dict[str, DeliveryResult] = {}
    pending = message
    for attempt in range(1, policy.max_attempts + 1):
        results = _send_once(transport, pending)
        final.update((result.token, result) for result in results)
        retry = tokens_to_retry(results)
        if not retry or attempt == policy.max_attempts:
            break
        delay = policy.delay_for(attempt, rng=rng, retry_after=longest_retry_after(results))
        if delay > policy.max_delay_s:
            logger.warning(
                "%s asks to wait %.0f s before retrying %d token(s); leaving them to the caller",
                transport.name,
                delay,
                len(retry),
            )
            break
        logger.info(
            "%s: %d token(s) failed temporarily, retry %d in %.1f s",
            transport.name,
            len(retry),
            attempt,
            delay,
        )
        sleep(delay)
        pending = message.with_tokens(retry)
    return [final[token] for token in message.tokens]


def _send_once(transport: Transport, message: Message) -> list[DeliveryResult]:
    try:
        results = transport.send(message)
    except TransportError as error:
        return fail_all(message.tokens, error)
    returned = {result.token for result in results}
    missing = [token for token in message.tokens if token not in returned]
    if missing:
        # A transport that loses tokens would make them silently undeliverable.
        raise RuntimeError(f"transport {transport.name!r} returned no result for {len(missing)} token(s)")
    return results
