"""The console starts a screening and shows its progress bar and its end, fed by the websocket."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import ARTIFACTS, LiveServer
from tests.integration.test_console_browser import log_in_on_page

# The first test waits for the live server (migrations and the demo county) on a busy machine.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

WAIT_MS = 60_000


def test_bureau_staff_start_a_screening_and_watch_it_finish(
    live_asgi_server: LiveServer, browser_page: Any
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    log_in_on_page(page, "jukeyuan", "Demo-bureau-2026")
    start = page.locator("#screening-start")
    expect(start).to_be_visible()
    expect(start).to_have_text("发起季度风险排查")
    start.click()
    # Only the websocket's screening.finished event shows the ledger link and the toast.
    expect(page.locator("#screening-export")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#screening-export")).to_have_text("下载台账")
    expect(page.locator("#screening")).to_have_attribute("data-status", "finished")
    expect(page.locator("#screening-label")).to_contain_text("风险排查完成")
    expect(page.locator("#screening-bar")).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("#toast")).to_contain_text("需复核")
    href = page.locator("#screening-export").get_attribute("href")
    assert href is not None and href.startswith("/api/v1/screenings/") and href.endswith("/export.xlsx")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console-screening.png"))


def test_an_officer_has_no_start_button(live_asgi_server: LiveServer, browser_page: Any) -> None:
    from playwright.sync_api import expect

    page = browser_page
    log_in_on_page(page, "chengqu_officer")
    expect(page.locator("#screening")).to_be_visible()
    expect(page.locator("#screening-start")).to_be_hidden()
