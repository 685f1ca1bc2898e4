"""A websocket handshake on a path with no consumer is refused as "not found", never a server error.

Channels' router raises for an unmatched path, which the ASGI server answers with HTTP 500. The
catch-all route answers HTTP 404 where the server supports the ASGI denial-response extension
(uvicorn does), and otherwise closes the handshake with 4404.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlparse

import pytest
from asgiref.testing import ApplicationCommunicator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.config.asgi import application
from backend.config.routing import CLOSE_NOT_FOUND
from tests.backend.monitoring.console_ws import communicator

pytestmark = [pytest.mark.django_db(transaction=True)]


def _routed_path(path: str) -> str:
    """The path the router sees: the test communicator parses the text as a URL, so what follows
    a ``?``, ``#`` or ``;`` is query, fragment or parameters, not path."""
    return unquote(urlparse(path).path)


paths = st.one_of(
    st.sampled_from(
        ["/ws/console/x", "/ws/console", "/ws/console//", "/ws/", "/", "/ws/console/%00", "/admin/"]
    ),
    st.text(max_size=40).map(lambda text: "/" + text),
    st.text(max_size=20)
    .map(lambda text: "/ws/console/" + text)
    .filter(lambda path: _routed_path(path) != "/ws/console/"),
)


@pytest.fixture
def officer(db: Any, office_a: Any) -> Any:
    from tests.conftest import make_staff

    return make_staff("ws_paths", "officer", office_a)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=paths)
async def test_any_other_path_is_closed_with_4404(officer: Any, path: str) -> None:
    connected, code = await communicator(officer, path).connect()
    assert (connected, code) == (False, CLOSE_NOT_FOUND)


async def test_the_console_path_still_connects(officer: Any) -> None:
    console = communicator(officer)
    connected, _ = await console.connect()
    assert connected
    await console.disconnect()


async def test_a_server_that_can_answer_http_gets_a_404() -> None:
    scope = {
        "type": "websocket",
        "path": "/ws/nothing-here/",
        "raw_path": b"/ws/nothing-here/",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"origin", b"http://testserver")],
        "subprotocols": [],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
        "extensions": {"websocket.http.response": {}},
    }
    server = ApplicationCommunicator(application, scope)
    await server.send_input({"type": "websocket.connect"})
    start = await server.receive_output(timeout=3)
    body = await server.receive_output(timeout=3)
    assert (start["type"], start["status"]) == ("websocket.http.response.start", 404)
    assert body["type"] == "websocket.http.response.body" and b"No websocket" in body["body"]
    await server.wait(timeout=3)
