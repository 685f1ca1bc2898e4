"""The console page: served to anyone, in Chinese by default, self-contained (nothing from outside)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client, override_settings

from backend.monitoring.views import tile_origins

pytestmark = pytest.mark.django_db

# The SVG namespace is an identifier the script passes to createElementNS, never fetched.
NAMESPACES = {"http://www.w3.org/2000/svg"}
EXTERNAL = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s"'<>)]*""", re.IGNORECASE)
REFERENCES = re.compile(r"""\b(?:src|href|action)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)


def get_console(**headers: Any) -> Any:
    return Client().get("/console/", **headers)


def referenced_static_files(html: str) -> list[str]:
    return [url for url in REFERENCES.findall(html) if url.startswith("/static/")]


def test_it_serves_the_console_to_anyone() -> None:
    response = get_console()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "csrftoken" in response.cookies


def test_it_speaks_chinese_by_default() -> None:
    html = get_console().content.decode()
    assert '<html lang="zh-Hans">' in html
    for text in (
        "实时预警台",
        "工作人员登录",
        "待处理预警",
        "误报",
        "口头警告",
        "提请训诫",
        "提请警告",
        "上报",
    ):
        assert text in html


def test_it_speaks_english_when_asked() -> None:
    html = get_console(HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in html
    assert "Live alert console" in html
    assert "工作人员登录" not in html


def test_it_gives_the_script_its_configuration() -> None:
    html = get_console().content.decode()
    raw = re.search(r'<script id="console-config" type="application/json">(.*?)</script>', html, re.S)
    assert raw is not None
    config = json.loads(raw.group(1))
    assert config["api"] == "/api/v1"
    assert config["ws"] == "/ws/console/"
    assert config["tiles"] == {"urls": [], "subdomains": ["a", "b", "c"], "attribution": "", "maxZoom": 18}
    assert config["labels"]["kind"]["entered_zone"] == "进入禁止区域"
    assert set(config["labels"]["resolution"]) == {
        "false_alarm",
        "verbal_warning",
        "reprimand_proposal",
        "warning_proposal",
        "escalated",
        "other",
    }


def test_it_references_only_its_own_static_files_and_they_exist() -> None:
    html = get_console().content.decode()
    static = referenced_static_files(html)
    assert {
        "/static/console/console.js",
        "/static/console/console.css",
        "/static/leaflet/leaflet.js",
        "/static/leaflet/leaflet.css",
    } <= set(static)
    # Leaflet before the console's script (both deferred, so they run in this order), and its
    # stylesheet before the console's, which restyles its shapes and controls.
    assert static.index("/static/leaflet/leaflet.js") < static.index("/static/console/console.js")
    assert static.index("/static/leaflet/leaflet.css") < static.index("/static/console/console.css")
    for url in static:
        assert finders.find(url.removeprefix("/static/")), f"{url} is referenced but missing"
    for url in REFERENCES.findall(html):
        assert url.startswith(("/", "#", "data:")), f"{url} is not served by this site"


def test_it_loads_nothing_from_outside() -> None:
    html = get_console().content.decode()
    assert EXTERNAL.findall(html) == []
    for name in ("console/console.js", "console/console.css"):
        path = finders.find(name)
        assert path, name
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        found = set(EXTERNAL.findall(text)) - NAMESPACES
        assert found == set(), f"{name} refers to {found}"
        assert "@import" not in text and "fonts.googleapis" not in text


def test_its_font_stack_names_the_common_chinese_system_fonts() -> None:
    path = finders.find("console/console.css")
    assert path
    with open(path, encoding="utf-8") as handle:
        css = handle.read()
    stack = re.search(r"--font:\s*([^;]+);", css)
    assert stack is not None and "font: 14px/1.5 var(--font)" in css
    families = [name.strip().strip('"') for name in stack.group(1).split(",")]
    chinese = [
        "PingFang SC",
        "Hiragino Sans GB",
        "Microsoft YaHei",
        "Noto Sans CJK SC",
        "Source Han Sans SC",
        "WenQuanYi Micro Hei",
    ]
    assert [name for name in families if name in chinese] == chinese
    assert families[-1] == "sans-serif"


def test_the_root_url_leads_to_the_console() -> None:
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"] == "/console/"


def test_it_serves_the_leaflet_that_the_pinned_package_ships() -> None:
    path = finders.find("leaflet/leaflet.js")
    assert path and "site-packages" in path, path
    with open(path, encoding="utf-8") as handle:
        assert "Leaflet 1.9.3," in handle.read(300)
    for image in ("layers.png", "layers-2x.png", "marker-icon.png"):  # what leaflet.css refers to
        assert finders.find(f"leaflet/images/{image}"), image


def directives(response: Any) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";"))}


def test_its_content_security_policy_allows_this_server_alone_without_tiles() -> None:
    policy = directives(get_console())
    assert policy["default-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["connect-src"] == ["'self'", "ws://testserver"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert "script-src" not in policy and "style-src" not in policy  # 'self' only, from default-src


TIANDITU = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}"
    "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=KEY"
)


@override_settings(
    MAP_TILE_URLS=[TIANDITU.replace("{layer}", "vec"), TIANDITU.replace("{layer}", "cva")],
    MAP_TILE_SUBDOMAINS=["0", "1", "2"],
    MAP_TILE_ATTRIBUTION="© 天地图",
    MAP_TILE_MAX_ZOOM=18,
)
def test_a_configured_base_layer_reaches_the_script_and_its_hosts_the_policy() -> None:
    response = get_console()
    html = response.content.decode()
    raw = re.search(r'<script id="console-config" type="application/json">(.*?)</script>', html, re.S)
    assert raw is not None
    tiles = json.loads(raw.group(1))["tiles"]
    assert tiles["urls"][1].startswith("https://t{s}.tianditu.gov.cn/cva_w/wmts?") and tiles["urls"][
        1
    ].endswith("&tk=KEY")
    assert tiles["subdomains"] == ["0", "1", "2"] and tiles["attribution"] == "© 天地图"
    assert directives(response)["img-src"] == [
        "'self'",
        "data:",
        "https://t0.tianditu.gov.cn",
        "https://t1.tianditu.gov.cn",
        "https://t2.tianditu.gov.cn",
    ]


def test_tile_origins_keep_ports_and_ignore_paths_and_queries() -> None:
    assert tile_origins(["http://127.0.0.1:8081/{z}/{x}/{y}.png"], ["a"]) == ["http://127.0.0.1:8081"]
    assert tile_origins(["https://{s}.tiles.example.org/{z}/{x}/{y}.png?v={s}"], ["a", "b"]) == [
        "https://a.tiles.example.org",
        "https://b.tiles.example.org",
    ]
    assert tile_origins([], ["a"]) == []
