"""The live alert console in a real browser, against a live server on PostgreSQL and Redis.

An officer logs in on the page; a phone reports its subject inside an exclusion zone; the alert
appears on the page (list and map), is acknowledged and resolved there, and the API agrees. A
console that lost its websocket gets the alert it missed once it has reconnected by itself.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time
import uuid
from collections.abc import Callable
from contextlib import closing
from typing import Any

import httpx
import pytest

from tests.integration.conftest import ARTIFACTS, LiveServer, phone_client

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

ENTERED_ZONE_ZH = "进入禁止区域"  # the console's Chinese label of kind=entered_zone
WAIT_MS = 30_000


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def moved(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    """The point ``north_m`` metres north and ``east_m`` metres east of (lat, lon)."""
    return (lat + north_m / 111_320, lon + east_m / (111_320 * math.cos(math.radians(lat))))


def subject_to_watch(staff: httpx.Client) -> dict[str, Any]:
    """A subject of the officer's office, preferably one the demo gave no curfew and no victim zone."""
    answer = staff.get("/subjects", params={"limit": 100, "status": "active"})
    assert answer.status_code == 200, answer.text
    listed = answer.json()["results"]
    quiet = [s for s in listed if s["supervision_level"] != "strict" and s["id"] % 5 != 0]
    # The list leaves homes out (minimal fields in every answer): each person's own record has it.
    for row in [*quiet, *listed]:
        record = staff.get(f"/subjects/{row['id']}")
        assert record.status_code == 200, record.text
        subject: dict[str, Any] = record.json()
        if subject["home_lat"] is not None:
            return subject
    raise AssertionError("the demo office has no subject with a home")


def latest_position(staff: httpx.Client, subject_id: int) -> dict[str, Any] | None:
    answer = staff.get("/positions")
    assert answer.status_code == 200, answer.text
    return next((p for p in answer.json() if p["subject_id"] == subject_id), None)


def walk_into(
    start: tuple[float, float], centre: tuple[float, float], after: dt.datetime
) -> list[dict[str, Any]]:
    """Fixes walking from ``start`` into the circle around ``centre``, recorded after ``after`` up to now.

    They must be newer than the phone's last fix (older ones count as late data) and slower than
    the engine's plausible speed, so the walk waits, if needed, until there is time for it.
    """
    shares = [0.0, 0.15, 0.25, 0.55, 0.65]  # of the way to the centre; the circle starts at 1/3
    points = [(start[0] + (centre[0] - start[0]) * k, start[1] + (centre[1] - start[1]) * k) for k in shares]
    earliest = after + dt.timedelta(seconds=2)
    now = dt.datetime.now(dt.UTC)
    if now - earliest < dt.timedelta(seconds=12):
        time.sleep((earliest + dt.timedelta(seconds=12) - now).total_seconds())
        now = dt.datetime.now(dt.UTC)
    begin = max(earliest, now - dt.timedelta(minutes=4))
    step = (now - begin) / (len(points) - 1)
    return [
        {
            "id": str(uuid.uuid4()),
            "recorded_at": (begin + step * i).isoformat(),
            "lat": lat,
            "lon": lon,
            "accuracy_m": 10,
            "crs": "wgs84",
            "provider": "gps",
        }
        for i, (lat, lon) in enumerate(points)
    ]


def post_fixes(phone: httpx.Client, batch: list[dict[str, Any]]) -> dict[str, Any]:
    answer = phone.post("/mobile/checkins", json={"checkins": batch})
    assert answer.status_code == 200, f"check-in upload failed ({answer.status_code}): {answer.text}"
    body: dict[str, Any] = answer.json()
    assert body["accepted"] == len(batch), body
    return body


def exclusion_zone_around(staff: httpx.Client, subject_id: int, lat: float, lon: float) -> dict[str, Any]:
    answer = staff.post(
        "/zones",
        json={
            "subject": subject_id,
            "name": "受害人住所",
            "kind": "exclusion",
            "purpose": "exclusion",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "radius_m": 300,
            "confirm_fixes": 1,
            "confirm_seconds": 0,
        },
    )
    assert answer.status_code == 201, answer.text
    return answer.json()  # type: ignore[no-any-return]


def raise_entered_zone_alert(
    server: LiveServer, staff: httpx.Client, subject: dict[str, Any]
) -> dict[str, Any]:
    """An exclusion zone 450 m from where the subject is, a phone walking into it; the alert, from the API."""
    last = latest_position(staff, subject["id"])
    start = (last["lat"], last["lon"]) if last else (subject["home_lat"], subject["home_lon"])
    after = (
        dt.datetime.fromisoformat(last["recorded_at"])
        if last
        else dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    )
    victim = moved(*start, 318, 318)
    zone = exclusion_zone_around(staff, subject["id"], *victim)
    with closing(phone_client(server, staff, subject["id"])) as phone:
        post_fixes(phone, walk_into(start, victim, after))
    return wait_for(lambda: zone_alert(staff, subject["id"], zone["id"]), "the entered_zone alert in the API")


def zone_alert(staff: httpx.Client, subject_id: int, zone_id: int) -> dict[str, Any] | None:
    answer = staff.get("/alerts", params={"subject": subject_id, "kind": "entered_zone"})
    assert answer.status_code == 200, answer.text
    return next((a for a in answer.json()["results"] if a["zone"] and a["zone"]["id"] == zone_id), None)


def alert_status(staff: httpx.Client, alert_id: int) -> str | None:
    answer = staff.get(f"/alerts/{alert_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()["status"]  # type: ignore[no-any-return]


def wait_for(probe: Callable[[], Any], what: str, timeout_s: float = 30) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.25)


def fonts_drawing(page: Any, selector: str) -> dict[str, int]:
    """The fonts Chromium actually drew ``selector``'s text with: family name -> glyph count."""
    session = page.context.new_cdp_session(page)
    try:
        session.send("DOM.enable")
        session.send("CSS.enable")
        root = session.send("DOM.getDocument")["root"]["nodeId"]
        node = session.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        fonts = session.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        session.detach()
    return {font["familyName"]: font["glyphCount"] for font in fonts}


def log_in_on_page(
    page: Any, username: str, password: str = "Demo-officer-2026", *, screenshot: str | None = None
) -> None:
    from playwright.sync_api import expect

    page.goto("/console/")
    expect(page.locator("#login-form")).to_be_visible()
    expect(page.locator("#login-title")).to_have_text("工作人员登录")
    if screenshot:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / screenshot))
    page.locator("#login-username").fill(username)
    page.locator("#login-password").fill(password)
    page.locator("#login-submit").click()
    expect(page.locator("#app")).to_be_visible()
    expect(page.locator("#conn")).to_have_attribute("data-state", "on", timeout=WAIT_MS)
    expect(page.locator("#conn")).to_contain_text("已连接")


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------


def test_an_officer_sees_acknowledges_and_resolves_a_live_alert(
    live_asgi_server: LiveServer, browser_page: Any, staff_login: Callable[..., httpx.Client]
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    staff = staff_login("chengqu_officer")
    target = subject_to_watch(staff)

    log_in_on_page(page, "chengqu_officer", screenshot="console-login.png")
    expect(page.locator("#user-office")).to_contain_text("城区司法所")
    # Chinese is drawn with a font that has it (the console's font stack), not as boxes from a
    # Latin fallback: every glyph of the office name comes from a CJK font.
    fonts = fonts_drawing(page, "#user-office")
    assert fonts and all(
        "CJK" in family or "Han" in family or "Hei" in family or "PingFang" in family for family in fonts
    ), fonts
    expect(page.locator("#layer-offices .office")).to_have_count(1)

    alert = raise_entered_zone_alert(live_asgi_server, staff, target)
    assert alert["status"] == "open"

    row = page.locator(f'#alert-list [data-alert-id="{alert["id"]}"]')
    expect(row).to_be_visible(timeout=WAIT_MS)
    expect(row).to_contain_text(target["name"])
    expect(row).to_contain_text(ENTERED_ZONE_ZH)
    expect(row).to_contain_text("城区司法所")
    expect(row).to_contain_text("未签收")
    assert "新预警" in page.title()
    # The map shows the zone and the person's dot (moved there by the live position event).
    expect(page.locator(f'#layer-zones [data-zone-id="{alert["zone"]["id"]}"]')).to_have_count(1)
    expect(page.locator(f'#layer-positions [data-subject-id="{target["id"]}"]')).to_have_count(1)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console.png"))

    # Clicking the alert centres the map on it and draws the person's track.
    row.click()
    expect(row).to_have_class(re.compile(r"\bis-selected\b"))
    page.wait_for_function("() => document.querySelectorAll('#layer-track .track-point').length >= 5")
    expect(page.locator("#person-card")).to_contain_text(target["name"])
    # The track ends on the person's dot: every layer is drawn in the same place on the map.
    end = page.locator("#layer-track .track-point--last").bounding_box()
    dot = page.locator(f'#layer-positions [data-subject-id="{target["id"]}"] .dot').bounding_box()
    assert end and dot
    assert abs((end["x"] + end["width"] / 2) - (dot["x"] + dot["width"] / 2)) < 3, (end, dot)
    assert abs((end["y"] + end["height"] / 2) - (dot["y"] + dot["height"] / 2)) < 3, (end, dot)
    page.screenshot(path=str(ARTIFACTS / "console-track.png"))

    # 签收 on the page.
    row.get_by_role("button", name="签收", exact=True).click()
    wait_for(lambda: alert_status(staff, alert["id"]) == "acknowledged", "status acknowledged in the API")
    expect(row).to_have_attribute("data-status", "acknowledged")
    expect(row).to_contain_text("已签收")

    # 处置 on the page: the form refuses an empty note for anything but a false alarm.
    row.get_by_role("button", name="处置", exact=True).click()
    dialog = page.locator("#resolve-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("#resolve-resolution").select_option("verbal_warning")
    dialog.get_by_role("button", name="确认处置").click()
    expect(dialog.locator("#resolve-error")).to_be_visible()
    dialog.locator("#resolve-note").fill("已电话联系本人并口头警告，本人已离开该区域。")
    page.screenshot(path=str(ARTIFACTS / "console-resolve.png"))
    dialog.get_by_role("button", name="确认处置").click()
    expect(dialog).to_be_hidden()
    wait_for(lambda: alert_status(staff, alert["id"]) == "resolved", "status resolved in the API")
    resolved = staff.get(f"/alerts/{alert['id']}").json()
    assert resolved["resolution"] == "verbal_warning"
    assert resolved["resolved_by_name"]
    expect(row).to_have_count(0, timeout=WAIT_MS)  # resolved alerts leave the list


def test_a_console_gets_the_alert_it_missed_while_disconnected(
    live_asgi_server: LiveServer, browser_page: Any, staff_login: Callable[..., httpx.Client]
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    staff = staff_login("yatou_officer")
    target = subject_to_watch(staff)
    log_in_on_page(page, "yatou_officer")
    before = page.evaluate("window.consoleState.reconnects")

    # Cut the page off: no new connection can be made until it is back online.
    page.context.set_offline(True)
    page.evaluate("window.consoleState.ws.close()")
    expect(page.locator("#conn")).to_have_attribute("data-state", "reconnecting", timeout=WAIT_MS)
    expect(page.locator("#conn")).to_contain_text("重连中")

    alert = raise_entered_zone_alert(live_asgi_server, staff, target)
    row = page.locator(f'#alert-list [data-alert-id="{alert["id"]}"]')
    page.wait_for_timeout(1500)
    expect(row).to_have_count(0)
    assert page.evaluate("window.consoleState.connected") is False

    page.context.set_offline(False)
    expect(page.locator("#conn")).to_have_attribute("data-state", "on", timeout=WAIT_MS)
    expect(row).to_be_visible(timeout=WAIT_MS)
    expect(row).to_contain_text(target["name"])
    expect(row).to_contain_text(ENTERED_ZONE_ZH)
    assert page.evaluate("window.consoleState.reconnects") > before
    assert page.evaluate(f"window.consoleState.alerts.has({alert['id']})")
    assert page.evaluate("window.consoleState.lastSeq") >= alert["seq"]
