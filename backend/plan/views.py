"""The plan dashboard's page (/plan/) and the chart library it draws with, served from the project.

The page is a shell: its script signs in through the console's session (the same login), reads
``/api/v1/plan/indicators`` and draws the charts with plotly.js, which comes from the pinned
``plotly`` Python package's own copy — nothing is fetched from a CDN.
"""

from __future__ import annotations

from pathlib import Path

import plotly
from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.http import require_safe

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
PLOTLY_VERSION = plotly.__version__


def content_security_policy() -> str:
    # plotly.js sets style attributes on the elements it draws: inline styles are allowed on this
    # page (scripts still come from this server only).
    return (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


@require_safe
def plan_page(request: HttpRequest) -> HttpResponse:
    english = (translation.get_language() or settings.LANGUAGE_CODE).lower().startswith("en")
    response = render(
        request,
        "plan/plan.html",
        {
            "english": english,
            "html_lang": "en" if english else "zh-Hans",
            "plotly_version": PLOTLY_VERSION,
            "this_year": timezone.localdate().year,
        },
    )
    response["Content-Security-Policy"] = content_security_policy()
    return response


@require_safe
def plotly_js(request: HttpRequest, version: str) -> FileResponse:
    """plotly.min.js from the installed package; the version in the path lets it be cached for good."""
    if version != PLOTLY_VERSION or not PLOTLY_JS.exists():
        raise Http404
    response = FileResponse(PLOTLY_JS.open("rb"), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
