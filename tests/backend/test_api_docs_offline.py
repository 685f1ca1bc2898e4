"""The API docs work without internet: Swagger UI comes from this server, not from a CDN.

A county bureau's network may have no way out; the docs page was blank there when its scripts
came from a CDN. Every script, stylesheet and icon the page names must be a local static file that
the server actually serves, and nothing on the page may point outside.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db

EXTERNAL = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s"'<>)]*""", re.IGNORECASE)
REFERENCES = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)


def docs_page() -> str:
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_docs_page_names_no_url_outside_this_server() -> None:
    html = docs_page()
    assert EXTERNAL.findall(html) == []
    for url in REFERENCES.findall(html):
        assert url.startswith("/"), f"{url} is not served by this site"


def test_every_asset_of_the_docs_page_is_a_static_file_this_server_serves() -> None:
    html = docs_page()
    assets = REFERENCES.findall(html)
    names = {url.rsplit("/", 1)[-1] for url in assets}
    assert {"swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"} <= names
    client = Client()
    for url in assets:
        assert url.startswith("/static/"), url
        assert finders.find(url.removeprefix("/static/")), f"{url} is referenced but missing"
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"".join(response.streaming_content if response.streaming else [response.content])


def test_swagger_ui_does_not_send_the_schema_to_an_online_validator() -> None:
    # Swagger UI's default validatorUrl is swagger.io's; null turns the badge and its request off.
    assert '"validatorUrl": null' in docs_page()


def test_the_schema_the_page_loads_is_ours() -> None:
    html = docs_page()
    assert 'url: "/api/schema/"' in html
    assert Client().get("/api/schema/").status_code == 200
