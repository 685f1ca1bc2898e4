"""The console's Leaflet map in a real browser, without and with a base layer of tiles.

Without ``MAP_TILE_URL`` the page asks nothing of any other host (every other request is blocked
and recorded, and the Content-Security-Policy refuses images from elsewhere). With it, tiles come
from a tile server started here (any ``/{z}/{x}/{y}.png`` answers a generated street-grid PNG) and
are drawn under the offices, zones, positions and alert highlighting. Both cases raise a live alert
so that the screenshots show a zone, a highlighted person and Chinese labels.
"""

from __future__ import annotations

import math
import re
import struct
import threading
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.integration.conftest import ARTIFACTS, LiveServer, serve_uvicorn, staff_client
from tests.integration.realservices import free_port
from tests.integration.test_console_browser import (
    fonts_drawing,
    log_in_on_page,
    raise_entered_zone_alert,
    subject_to_watch,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

WAIT_MS = 30_000
TILE_PATH = re.compile(r"^/(\d+)/(\d+)/(\d+)\.png$")
# Records what the page's Content-Security-Policy refused, before any script of the page runs.
RECORD_CSP_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.cspViolations.push(e.effectiveDirective + " " + e.blockedURI));
"""


# ---------------------------------------------------------------------------------------------
# A tile server and a console configured to use it
# ---------------------------------------------------------------------------------------------


def street_grid_png(size: int = 256) -> bytes:
    """A tile that looks like streets: pale land, white side streets, one yellow main road."""

    def pixel(x: int, y: int) -> bytes:
        if 120 <= y < 132:
            return b"\xf6\xcf\x65"  # main road
        if x % 64 < 6 or y % 64 < 6:
            return b"\xff\xff\xff"  # side streets
        return b"\xe8\xe6\xdc"  # land

    rows = b"".join(b"\x00" + b"".join(pixel(x, y) for x in range(size)) for y in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class TileServer:
    """``/{z}/{x}/{y}.png`` on a free local port; remembers every request (path and Referer)."""

    def __init__(self) -> None:
        png = street_grid_png()
        self.requests: list[tuple[str, str]] = []
        requests = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append((self.path, self.headers.get("Referer", "")))
                if TILE_PATH.match(self.path):
                    self.send_response(200)
                    self.send_header("Content-Type", "image/png")
                    self.send_header("Content-Length", str(len(png)))
                    self.send_header("Cache-Control", "no-store")
                    self.end_headers()
                    self.wfile.write(png)
                else:
                    self.send_error(404)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def tiles(self) -> list[tuple[int, int, int]]:
        return [
            tuple(int(n) for n in match.groups())
            for path, _ in self.requests  # type: ignore[misc]
            if (match := TILE_PATH.match(path))
        ]


@pytest.fixture(scope="module")
def tile_server() -> Iterator[TileServer]:
    server = TileServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()


@pytest.fixture(scope="module")
def tiled_server(live_asgi_server: LiveServer, tile_server: TileServer) -> Iterator[LiveServer]:
    """A second uvicorn on the same database and Redis, its console map over the local tile server."""
    env = {
        **live_asgi_server.env,
        "MAP_TILE_URL": tile_server.url + "/{z}/{x}/{y}.png",
        "MAP_TILE_ATTRIBUTION": "© 测试底图",
        "MAP_TILE_MAX_ZOOM": "18",
    }
    with serve_uvicorn(env, "live-server-tiles.log") as server:
        yield server


@pytest.fixture
def open_page(request: pytest.FixtureRequest, browser: Any) -> Iterator[Callable[[LiveServer], Any]]:
    """``open_page(server)``: a fresh Chinese desktop page on ``server`` that records CSP refusals."""
    contexts: list[Any] = []
    lines: list[str] = []

    def open_on(server: LiveServer) -> Any:
        context = browser.new_context(
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            viewport={"width": 1440, "height": 900},
            base_url=server.url,
        )
        context.add_init_script(RECORD_CSP_VIOLATIONS)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.on("console", lambda message: lines.append(f"console.{message.type}: {message.text}"))
        page.on("pageerror", lambda error: lines.append(f"page error: {error}"))
        return page

    yield open_on
    for context in contexts:
        context.close()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"browser-{request.node.name}.log").write_text("\n".join(lines) + "\n", encoding="utf-8")


def zoom_after_click(page: Any, button: str) -> float:
    """Click a map button; the map's zoom once it has settled."""
    page.evaluate(
        "() => { window.zoomed = new Promise((settled) =>"
        " consoleState.map.once('zoomend', () => settled(consoleState.map.getZoom()))); }"
    )
    page.locator(button).click()
    return page.evaluate("() => window.zoomed")  # type: ignore[no-any-return]


def tile_of(lat: float, lon: float, zoom: int) -> tuple[int, int]:
    """The Web Mercator tile (x, y) holding a point at a zoom."""
    n = 2**zoom
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def check_the_map_draws_the_office(page: Any, server: LiveServer, username: str) -> dict[str, Any]:
    """Log in, raise a live alert, and check what the map shows; the alert."""
    from playwright.sync_api import expect

    staff = staff_client(server, username)
    try:
        target = subject_to_watch(staff)
        log_in_on_page(page, username)
        assert page.evaluate("L.version") == "1.9.3"
        expect(page.locator("#layer-offices path.office")).to_have_count(1)
        expect(page.locator("#layer-offices .office-label")).to_have_count(1)
        alert = raise_entered_zone_alert(server, staff, target)
    finally:
        staff.close()
    zone = page.locator(f'#layer-zones path[data-zone-id="{alert["zone"]["id"]}"]')
    expect(zone).to_have_count(1, timeout=WAIT_MS)
    expect(zone).to_have_class(re.compile(r"\bzone--exclusion\b"))
    person = page.locator(f'#layer-positions [data-subject-id="{target["id"]}"]')
    expect(person).to_have_class(re.compile(r"\bperson--alert\b"), timeout=WAIT_MS)
    expect(person.locator(".pulse")).to_have_count(1)
    expect(person.locator(".person-label")).to_have_text(target["name"])
    expect(page.locator("#layer-accuracy path.accuracy").first).to_be_attached()
    expect(page.locator("#map-stats")).to_contain_text("定位")
    # The office's name is drawn with a CJK font, as on the rest of the page.
    fonts = fonts_drawing(page, "#layer-offices .office-label span")
    assert fonts and all("CJK" in f or "Han" in f or "Hei" in f or "PingFang" in f for f in fonts), fonts
    return alert


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------


def test_without_a_tile_url_the_map_asks_nothing_of_any_other_host(
    live_asgi_server: LiveServer, tile_server: TileServer, open_page: Callable[[LiveServer], Any]
) -> None:
    from playwright.sync_api import expect

    page = open_page(live_asgi_server)
    ours = urlsplit(live_asgi_server.url).netloc
    outside: list[str] = []

    def only_this_server(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).scheme in {"http", "https"} and urlsplit(url).netloc != ours:
            outside.append(url)
            route.abort()
        else:
            route.continue_()

    page.context.route("**/*", only_this_server)
    response = page.goto("/console/")
    assert response is not None
    assert "img-src 'self' data:;" in response.headers["content-security-policy"]

    check_the_map_draws_the_office(page, live_asgi_server, "chishan_officer")
    expect(page.locator(".leaflet-tile")).to_have_count(0)
    expect(page.locator(".leaflet-control-attribution")).to_have_count(0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.mouse.move(1, 1)  # no hover tooltip in the picture
    page.screenshot(path=str(ARTIFACTS / "console-map.png"))

    # The map's own controls, and a click on a person, still do what the hand-drawn map did.
    fitted = page.evaluate("consoleState.map.getZoom()")
    assert zoom_after_click(page, "#zoom-in") == fitted + 1
    assert zoom_after_click(page, "#zoom-fit") == fitted
    page.locator("#layer-positions .person").first.click()
    expect(page.locator("#person-card")).to_be_visible()
    expect(page.locator("#layer-positions .person.is-selected")).to_have_count(1)
    page.wait_for_function("() => document.querySelectorAll('#layer-track .track-point').length >= 1")
    page.locator("#person-close").click()
    expect(page.locator("#person-card")).to_be_hidden()
    expect(page.locator("#layer-track path")).to_have_count(0)

    # An image from the tile server is refused by the policy before any request leaves.
    page.evaluate(f"new Image().src = {tile_server.url + '/1/1/1.png'!r}")
    page.wait_for_function("() => window.cspViolations.length > 0")
    assert page.evaluate("window.cspViolations") == [f"img-src {tile_server.url}/1/1/1.png"]
    assert outside == []
    assert tile_server.requests == []


def test_with_a_tile_url_the_map_draws_tiles_under_its_layers(
    tiled_server: LiveServer, tile_server: TileServer, open_page: Callable[[LiveServer], Any]
) -> None:
    from playwright.sync_api import expect

    page = open_page(tiled_server)
    response = page.goto("/console/")
    assert response is not None
    assert f"img-src 'self' data: {tile_server.url};" in response.headers["content-security-policy"]

    check_the_map_draws_the_office(page, tiled_server, "gangwan_officer")
    loaded = page.locator("#map img.leaflet-tile.leaflet-tile-loaded")
    expect(loaded.first).to_be_visible(timeout=WAIT_MS)
    assert page.evaluate(
        "[...document.querySelectorAll('#map img.leaflet-tile-loaded')]"
        ".every((img) => img.complete && img.naturalWidth === 256)"
    )
    expect(page.locator(".leaflet-control-attribution")).to_have_text("© 测试底图")
    expect(page.locator("#map")).to_have_class(re.compile(r"\bhas-tiles\b"))
    # The tile under the centre of the view was asked for, at the zoom the tiles are drawn at,
    # and with this server's origin as the referrer (tile services check a key's domain by it).
    centre = page.evaluate(
        "(() => { const c = consoleState.map.getCenter();"
        " return [c.lat, c.lng, Math.round(consoleState.map.getZoom())]; })()"
    )
    zoom = centre[2]
    assert (zoom, *tile_of(centre[0], centre[1], zoom)) in tile_server.tiles()
    assert {referer for _, referer in tile_server.requests} == {tiled_server.url + "/"}
    assert page.evaluate("window.cspViolations") == []
    page.mouse.move(1, 1)
    page.wait_for_timeout(300)  # let the last tiles fade in
    page.screenshot(path=str(ARTIFACTS / "console-map-tiles.png"))
