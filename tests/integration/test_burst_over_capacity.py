"""A burst past channels-redis's capacity loses group messages; the console still gets every
alert event, in order, because it fills gaps from the database (real Redis, capacity 1)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import override_settings

from tests.integration.realservices import require_redis

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
BURST = 60


async def test_a_burst_over_capacity_reaches_the_console_complete_and_in_order(officer_a: Any) -> None:
    redis_url = require_redis()
    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url], "capacity": 1, "prefix": f"burst{uuid.uuid4().hex[:8]}"},
        }
    }
    from channels.layers import channel_layers

    with override_settings(CHANNEL_LAYERS=layers):
        channel_layers.backends.clear()  # build the layer from the overridden settings
        try:
            from backend.config.asgi import application

            console = WebsocketCommunicator(
                application, "/ws/console/", headers=[(b"origin", b"http://testserver")]
            )
            console.scope["user"] = officer_a
            assert (await console.connect())[0]
            assert (await console.receive_json_from(timeout=5))["type"] == "hello"
            await console.send_json_to({"type": "subscribe"})
            assert (await console.receive_json_from(timeout=5))["type"] == "replay_done"

            @database_sync_to_async
            def burst() -> list[int]:
                from backend.monitoring.events import publish_event

                # One transaction: every group message is sent right after the commit, at once.
                with transaction.atomic():
                    return [
                        publish_event(officer_a.office_id, "alert.created", {"n": n}).seq
                        for n in range(BURST)
                    ]

            sent = await burst()
            received = [(await console.receive_json_from(timeout=10))["seq"] for _ in range(BURST)]
            assert received == sent
            assert await console.receive_nothing(timeout=0.5)
            await console.disconnect()
        finally:
            channel_layers.backends.clear()
