"""The console map's base layer comes from the environment: none by default, refused when malformed.

Each case loads ``backend.config.settings`` in a fresh interpreter (settings are read once per
process) with only PATH, HOME, a temporary VAR_DIR and what the test sets.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PROJECT = Path(__file__).resolve().parents[2]
PRINT_TILE_SETTINGS = """
import django, json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")
django.setup()
from django.conf import settings
from django.contrib.staticfiles import finders
print(json.dumps({name: getattr(settings, name) for name in
                  ("MAP_TILE_URLS", "MAP_TILE_SUBDOMAINS", "MAP_TILE_ATTRIBUTION", "MAP_TILE_MAX_ZOOM")}
                 | {"leaflet": finders.find("leaflet/leaflet.js")}))
"""
TIANDITU_VEC = (
    "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec"
    "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=KEY"
)


def run_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "VAR_DIR": str(tmp_path / "var"),
    }
    return subprocess.run(
        [sys.executable, "-c", PRINT_TILE_SETTINGS],
        cwd=PROJECT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def load(tmp_path: Path, **env: str) -> dict[str, Any]:
    result = run_settings(tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_there_is_no_base_layer_by_default_and_leaflet_is_served(tmp_path: Path) -> None:
    settings = load(tmp_path)
    assert settings["MAP_TILE_URLS"] == []
    assert settings["MAP_TILE_ATTRIBUTION"] == "" and settings["MAP_TILE_MAX_ZOOM"] == 18
    assert settings["leaflet"] and settings["leaflet"].endswith("leaflet/static/leaflet/leaflet.js")


def test_it_reads_tianditu_layers_with_their_subdomains(tmp_path: Path) -> None:
    cva = TIANDITU_VEC.replace("vec", "cva")
    settings = load(
        tmp_path,
        MAP_TILE_URL=f"{TIANDITU_VEC}\n  {cva}",
        MAP_TILE_SUBDOMAINS="0,1,2,3,4,5,6,7",
        MAP_TILE_ATTRIBUTION="© 天地图",
        MAP_TILE_MAX_ZOOM="18",
    )
    assert settings["MAP_TILE_URLS"] == [TIANDITU_VEC, cva]
    assert settings["MAP_TILE_SUBDOMAINS"] == list("01234567")
    assert settings["MAP_TILE_ATTRIBUTION"] == "© 天地图"


@pytest.mark.parametrize(
    "env",
    [
        {"MAP_TILE_URL": "tiles.example.org/{z}/{x}/{y}.png"},
        {"MAP_TILE_URL": "ftp://tiles.example.org/{z}/{x}/{y}.png"},
        {"MAP_TILE_URL": "https://tiles.example.org/{z}/{x}.png"},
        {"MAP_TILE_URL": "https://{s}.tiles.example.org/{z}/{x}/{y}.png", "MAP_TILE_SUBDOMAINS": ""},
        {"MAP_TILE_MAX_ZOOM": "0"},
        {"MAP_TILE_MAX_ZOOM": "high"},
    ],
)
def test_it_refuses_a_malformed_base_layer(tmp_path: Path, env: dict[str, str]) -> None:
    result = run_settings(tmp_path, **env)
    assert result.returncode != 0, f"the settings loaded with {env}"
    last = result.stderr.strip().splitlines()[-1]
    assert "ImproperlyConfigured" in last and "MAP_TILE_" in last, last
