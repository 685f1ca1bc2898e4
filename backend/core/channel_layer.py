"""The Redis channel layer, made to outlast a Redis outage.

channels-redis raises from ``receive`` while Redis is away, and Channels' consumers end on that
error: every console websocket would die with it, and a handshake during the outage would be
answered 500. This layer's ``receive`` waits for Redis instead (retrying with a growing pause, at
most ``RETRY_MAX_S``), so a consumer lives through the outage; the console consumer reads stored
events from the database meanwhile (``backend.monitoring.consumers``). Sends and group changes
still raise: their callers decide (the event senders log and go on; the consumer retries joining).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import redis.exceptions
from channels_redis.core import RedisChannelLayer as BaseRedisChannelLayer

log = logging.getLogger(__name__)

RETRY_FIRST_S = 0.5
RETRY_MAX_S = 5.0
# What "Redis cannot be reached" looks like from redis-py's asyncio client.
UNREACHABLE = (OSError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class RedisChannelLayer(BaseRedisChannelLayer):  # type: ignore[misc]
    """channels-redis's layer whose ``receive`` waits through an outage rather than raising."""

    async def receive(self, channel: str) -> Any:
        wait = RETRY_FIRST_S
        while True:
            try:
                return await super().receive(channel)
            except UNREACHABLE as exc:
                if wait == RETRY_FIRST_S:
                    log.warning("channel layer: Redis cannot be reached (%s); waiting for it", exc)
                await asyncio.sleep(wait)
                wait = min(wait * 2, RETRY_MAX_S)
