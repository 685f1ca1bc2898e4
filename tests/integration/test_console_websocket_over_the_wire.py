"""The console websocket's limits as a real client meets them through uvicorn.

Refusals must reach the client as the protocol says (an HTTP 404 for a path with no consumer, a
close frame with its code, an error message on a socket that stays open), not as a dropped TCP
connection or an HTTP 500, which only the ASGI server, not the test communicator, can show.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from backend.monitoring.consumers import CLOSE_TOO_BIG, CLOSE_UNSUPPORTED_DATA, MAX_FRAME_BYTES
from tests.integration.conftest import OFFICER_PASSWORD, LiveServer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


def session_cookie(server: LiveServer, username: str) -> str:
    answer = httpx.post(
        server.url + "/api/v1/auth/login",
        json={"username": username, "password": OFFICER_PASSWORD},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return "; ".join(f"{name}={value}" for name, value in answer.cookies.items())


def ws_url(server: LiveServer, path: str = "/ws/console/") -> str:
    return server.url.replace("http://", "ws://") + path


def run(coroutine: Callable[[], Any]) -> Any:
    return asyncio.run(coroutine())


def test_an_unknown_websocket_path_is_answered_404(live_asgi_server: LiveServer) -> None:
    import websockets

    async def attempt() -> int:
        try:
            async with websockets.connect(
                ws_url(live_asgi_server, "/ws/console/x"), additional_headers={"Origin": live_asgi_server.url}
            ):
                return 101
        except websockets.InvalidStatus as refused:
            return refused.response.status_code

    assert run(attempt) == 404


@pytest.mark.parametrize(
    ("frame", "code"),
    [(b'{"type": "ping"}', CLOSE_UNSUPPORTED_DATA), ("[" * (MAX_FRAME_BYTES + 1), CLOSE_TOO_BIG)],
)
def test_a_frame_outside_the_protocol_gets_a_close_frame_with_its_code(
    live_asgi_server: LiveServer, frame: Any, code: int
) -> None:
    import websockets

    cookie = session_cookie(live_asgi_server, "chengqu_officer")

    async def attempt() -> int | None:
        async with websockets.connect(
            ws_url(live_asgi_server), additional_headers={"Cookie": cookie, "Origin": live_asgi_server.url}
        ) as ws:
            assert json.loads(await ws.recv())["type"] == "hello"
            await ws.send(frame)
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), timeout=10)
            return closed.value.rcvd.code if closed.value.rcvd else None

    assert run(attempt) == code


def test_a_deep_or_broken_frame_is_answered_and_the_socket_stays_open(live_asgi_server: LiveServer) -> None:
    import websockets

    cookie = session_cookie(live_asgi_server, "chengqu_officer")

    async def attempt() -> list[dict[str, Any]]:
        async with websockets.connect(
            ws_url(live_asgi_server), additional_headers={"Cookie": cookie, "Origin": live_asgi_server.url}
        ) as ws:
            assert json.loads(await ws.recv())["type"] == "hello"
            answers = []
            for frame in (
                "[" * 2000 + "]" * 2000,
                "not json",
                json.dumps({"type": "resume", "after_seq": 1e23}),
                json.dumps({"type": "ping"}),
            ):
                await ws.send(frame)
                answers.append(json.loads(await asyncio.wait_for(ws.recv(), timeout=10)))
            return answers

    answers = run(attempt)
    assert [(a["type"], a.get("code")) for a in answers] == [
        ("error", "too_deep"),
        ("error", "invalid_json"),
        ("error", "invalid"),
        ("pong", None),
    ]
