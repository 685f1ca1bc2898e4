"""Helpers of the console websocket tests: a logged-in console, published events, reading frames."""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction

from backend.config.asgi import application

ORIGIN = [(b"origin", b"http://testserver")]


def communicator(user: Any, path: str = "/ws/console/") -> WebsocketCommunicator:
    console = WebsocketCommunicator(application, path, headers=ORIGIN)
    console.scope["user"] = user
    return console


async def connect(user: Any) -> WebsocketCommunicator:
    """A console past its hello (not yet subscribed)."""
    console = communicator(user)
    connected, _ = await console.connect()
    assert connected
    hello = await console.receive_json_from()
    assert hello["type"] == "hello"
    return console


async def connect_live(user: Any) -> WebsocketCommunicator:
    """A console that has subscribed and is receiving live events."""
    console = await connect(user)
    await console.send_json_to({"type": "subscribe"})
    await receive_until(console, "replay_done")
    return console


@database_sync_to_async
def publish(office_id: int, n: int = 1) -> list[int]:
    from backend.monitoring.events import publish_event

    seqs = []
    for i in range(n):
        with transaction.atomic():
            seqs.append(publish_event(office_id, "alert.created", {"n": i}).seq)
    return seqs


async def receive_until(console: WebsocketCommunicator, kind: str) -> list[dict[str, Any]]:
    seen = []
    while True:
        message = await console.receive_json_from(timeout=3)
        seen.append(message)
        if message["type"] == kind:
            return seen


async def receive_frame(console: WebsocketCommunicator, timeout: float = 3) -> dict[str, Any]:
    """The next thing the server did: ``{"type": "websocket.close", "code": ...}`` or a decoded message."""
    output = await console.receive_output(timeout=timeout)
    if output["type"] == "websocket.close":
        return output  # type: ignore[no-any-return]
    assert output["type"] == "websocket.send" and output.get("text") is not None, output
    message: dict[str, Any] = json.loads(output["text"])
    return message


@database_sync_to_async
def newest_seq() -> int:
    from django.db.models import Max

    from backend.monitoring.models import ConsoleEvent

    return int(ConsoleEvent.objects.aggregate(m=Max("seq"))["m"] or 0)


def console_users(office_a: Any, office_b: Any) -> dict[str, Any]:
    """An officer of each office and a bureau-wide one."""
    from tests.conftest import make_staff

    return {
        "a": make_staff("ws_a", "officer", office_a),
        "b": make_staff("ws_b", "officer", office_b),
        "bureau": make_staff("ws_bureau", "bureau_staff", office_a.parent),
    }
