"""With the channel layer (Redis) away, a console still connects, gets every stored event from the
database every few seconds, is closed when its account is disabled, and goes live again when
Redis returns; the Redis layer's receive waits through an outage instead of ending the consumer."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis.exceptions
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from backend.monitoring import consumers
from tests.backend.monitoring.console_ws import connect, console_users, publish, receive_frame, receive_until

pytestmark = [pytest.mark.django_db(transaction=True)]

AWAY = redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


@pytest.fixture
def users(db: Any, office_a: Any, office_b: Any) -> dict[str, Any]:
    return console_users(office_a, office_b)


@pytest.fixture
def redis_away(monkeypatch: Any) -> dict[str, bool]:
    """The layer refuses group changes (as channels-redis does with Redis stopped) until ``back``."""
    layer = get_channel_layer()
    real_add = layer.group_add
    state = {"back": False}

    async def group_add(group: str, channel: str) -> None:
        if not state["back"]:
            raise AWAY
        await real_add(group, channel)

    async def group_discard(group: str, channel: str) -> None:
        raise AWAY

    monkeypatch.setattr(layer, "group_add", group_add)
    monkeypatch.setattr(layer, "group_discard", group_discard)
    monkeypatch.setattr(consumers, "CATCH_UP_DEGRADED_S", 0.2)
    return state


async def test_a_console_connects_and_is_served_from_the_database_then_goes_live(
    users: Any, office_a: Any, office_b: Any, redis_away: dict[str, bool]
) -> None:
    console = await connect_degraded(users["a"])
    await console.send_json_to({"type": "subscribe"})
    await receive_until(console, "replay_done")
    mine = await publish(office_a.pk, 2)
    await publish(office_b.pk)  # not this console's office
    got = [await receive_frame(console), await receive_frame(console)]
    assert [m["seq"] for m in got] == mine  # from the database, in order, once
    assert await console.receive_nothing(timeout=0.5)

    redis_away["back"] = True
    assert await receive_frame(console) == {"type": "live", "degraded": False}
    live = await publish(office_a.pk)
    message = await receive_frame(console)
    assert message["seq"] == live[0]  # by the channel layer now
    await console.disconnect()  # leaving the groups fails: logged, not raised


async def connect_degraded(user: Any) -> Any:
    from tests.backend.monitoring.console_ws import communicator

    console = communicator(user)
    connected, _ = await console.connect()
    assert connected
    hello = await console.receive_json_from()
    assert hello["type"] == "hello" and hello["degraded"] is True
    return console


async def test_a_disabled_account_is_closed_while_redis_is_away(
    users: Any, redis_away: dict[str, bool]
) -> None:
    console = await connect_degraded(users["a"])

    @database_sync_to_async
    def disable() -> None:
        type(users["a"]).objects.filter(pk=users["a"].pk).update(is_active=False)

    await disable()
    frame = await receive_frame(console, timeout=3)
    assert frame["type"] == "websocket.close" and frame["code"] == consumers.CLOSE_UNAUTHENTICATED


async def test_a_healthy_layer_says_not_degraded(users: Any) -> None:
    console = await connect(users["a"])
    await console.send_json_to({"type": "ping"})
    assert (await receive_frame(console))["type"] == "pong"
    await console.disconnect()


async def test_the_redis_layers_receive_waits_through_an_outage(monkeypatch: Any) -> None:
    from channels_redis.core import RedisChannelLayer as Base

    from backend.core import channel_layer

    calls = {"n": 0}

    async def flaky(self: Any, channel: str) -> Any:
        calls["n"] += 1
        if calls["n"] < 3:
            raise AWAY if calls["n"] == 1 else ConnectionRefusedError(111, "refused")
        return {"type": "console.event"}

    monkeypatch.setattr(Base, "receive", flaky)
    monkeypatch.setattr(channel_layer, "RETRY_FIRST_S", 0.01)
    layer = channel_layer.RedisChannelLayer(hosts=["redis://127.0.0.1:1/0"])
    assert await asyncio.wait_for(layer.receive("specific.x!y"), timeout=5) == {"type": "console.event"}
    assert calls["n"] == 3

    async def bug(self: Any, channel: str) -> Any:
        raise ValueError("not an outage")

    monkeypatch.setattr(Base, "receive", bug)
    with pytest.raises(ValueError):
        await layer.receive("specific.x!y")


def test_the_console_says_how_often_it_refreshes_without_the_live_channel() -> None:
    from backend.monitoring.views import TEXT

    chinese, english = TEXT["conn_degraded"]
    assert (
        f"每{consumers.CATCH_UP_DEGRADED_S:g}秒" in chinese
        and f"{consumers.CATCH_UP_DEGRADED_S:g} s" in english
    )


async def test_a_live_console_that_loses_redis_says_so_and_comes_back(
    users: Any, office_a: Any, monkeypatch: Any
) -> None:
    """A console connected before the outage finds it when it joins its groups again (which also
    puts it back in the groups of a Redis restarted empty)."""
    from tests.backend.monitoring.console_ws import connect_live

    monkeypatch.setattr(consumers, "CATCH_UP_EVERY_S", 0.2)
    monkeypatch.setattr(consumers, "CATCH_UP_DEGRADED_S", 0.2)
    console = await connect_live(users["a"])
    layer = get_channel_layer()
    real_add = layer.group_add
    away = {"now": True}

    async def group_add(group: str, channel: str) -> None:
        if away["now"]:
            raise AWAY
        await real_add(group, channel)

    monkeypatch.setattr(layer, "group_add", group_add)
    assert await receive_frame(console) == {"type": "live", "degraded": True}
    seqs = await publish(office_a.pk, 1)
    assert (await receive_frame(console))["seq"] == seqs[0]
    away["now"] = False
    assert await receive_frame(console) == {"type": "live", "degraded": False}
    await console.disconnect()


def test_after_a_failed_send_sends_are_skipped_for_a_while(monkeypatch: Any) -> None:
    """With Redis away every send would wait for its connection to be refused: they are skipped
    for ``SKIP_AFTER_FAILURE_S`` instead (consoles read numbered events from the database)."""
    from backend.monitoring import events

    sent: list[str] = []

    class Layer:
        fail = True

        async def group_send(self, group: str, message: dict[str, Any]) -> None:
            if self.fail:
                raise AWAY
            sent.append(group)

    layer = Layer()
    clock = [1000.0]
    monkeypatch.setattr(events.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(events, "_layer_down_until", [0.0])
    asyncio.run(events._group_send_all(layer, ["a"], {}, "first"))  # fails: logged, not raised
    layer.fail = False
    asyncio.run(events._group_send_all(layer, ["b"], {}, "skipped"))
    assert sent == []
    clock[0] += events.SKIP_AFTER_FAILURE_S + 0.1
    asyncio.run(events._group_send_all(layer, ["c"], {}, "back"))
    assert sent == ["c"]
