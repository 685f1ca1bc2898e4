"""The API docs render in a browser that cannot reach anything but this server.

Swagger UI used to come from a CDN: on a bureau network without internet the page stayed blank.
Every request to another host is blocked here, and recorded: the page must render the API's
operations all the same, and must not even try to reach outside.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.integration.conftest import LiveServer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


def test_swagger_ui_renders_with_every_other_host_blocked(
    live_asgi_server: LiveServer, browser_page: Any
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    ours = urlsplit(live_asgi_server.url).netloc
    outside: list[str] = []

    def only_this_server(route: Any) -> None:
        url = route.request.url
        if url.startswith(("http://", "https://", "ws://", "wss://")) and urlsplit(url).netloc != ours:
            outside.append(url)
            route.abort()
        else:
            route.continue_()

    page.context.route("**/*", only_this_server)
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "corrections-monitor API", timeout=20_000
    )
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    assert outside == []
