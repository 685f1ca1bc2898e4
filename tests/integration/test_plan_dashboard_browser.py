"""The plan dashboard in Chromium: signed in on the console (the same login), /plan/ draws a card
per target and its charts with the chart library served by this server; a screenshot goes to the
test artifacts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import ARTIFACTS, LiveServer
from tests.integration.test_console_browser import log_in_on_page

pytestmark = pytest.mark.integration

WAIT_MS = 30_000


def test_the_plan_page_draws_every_target_and_its_charts(
    live_asgi_server: LiveServer, browser_page: Any
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto("/plan/")
    expect(page.locator("#signin")).to_be_visible(timeout=WAIT_MS)  # not signed in yet

    log_in_on_page(page, "chengqu_officer")
    page.goto("/plan/")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=WAIT_MS)
    cards = page.locator(".card")
    assert cards.count() >= 8
    expect(page.locator(".card").first).to_contain_text("/ 目标")
    # plotly draws an SVG per chart, with a line for the months and a bar per unit.
    expect(page.locator("#chart-month .main-svg").first).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#chart-month .scatterlayer .trace").first).to_be_attached()
    page.locator(".card", has_text="调解中心").first.click()
    expect(page.locator("#unit-title")).to_contain_text("调解中心")
    expect(page.locator("#chart-unit .barlayer .trace").first).to_be_attached(timeout=WAIT_MS)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "plan-dashboard.png"), full_page=True)
    base = live_asgi_server.url
    assert all(url.startswith(base) or url.startswith("data:") for url in requests), [
        url for url in requests if not url.startswith(base)
    ]
