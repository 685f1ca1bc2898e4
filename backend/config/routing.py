"""Websocket routes of every app that streams, and the answer for every other websocket path.

Channels' ``URLRouter`` raises ``ValueError`` for a path no route matches, which the ASGI server
turns into an HTTP 500 for the handshake (and an error in the log for every scanner that tries a
path). The last route here catches every path instead and refuses the handshake as "not found".
"""

from __future__ import annotations

from typing import Any

from django.urls import re_path

from backend.monitoring.routing import websocket_urlpatterns as monitoring_ws

# Close code for a websocket path with no consumer, where no HTTP status can be given:
# 4000-4999 are the application's own; 4404 mirrors HTTP's 404 as 4401 mirrors 401.
CLOSE_NOT_FOUND = 4404
# The ASGI extension that lets an application answer a handshake with an HTTP response.
HTTP_DENIAL = "websocket.http.response"


async def refuse_unknown_path(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Refuse a websocket handshake: HTTP 404 where the server supports it, else close with 4404."""
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    if HTTP_DENIAL in (scope.get("extensions") or {}):
        await send(
            {
                "type": "websocket.http.response.start",
                "status": 404,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")],
            }
        )
        await send({"type": "websocket.http.response.body", "body": b"No websocket at this path.\n"})
    else:
        await send({"type": "websocket.close", "code": CLOSE_NOT_FOUND})


# Channels routes ASGI callables with Django's ``re_path``, whose stubs expect a Django view.
websocket_urlpatterns = [*monitoring_ws, re_path(r"", refuse_unknown_path)]  # type: ignore[arg-type]
