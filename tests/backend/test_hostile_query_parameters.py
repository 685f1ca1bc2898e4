"""Every query parameter of every operation answers hostile values with a 4xx or a filtered
page, never a 500: numbers past any column, floats where ids go, times at the ends of the
calendar and past them, NUL, and text where numbers go."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIRequestFactory

from tests.conftest import client_for
from tests.openapi_helpers import load_spec

pytestmark = pytest.mark.django_db

OPERATIONS = sorted(
    (path, [p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"])
    for path, item in load_spec()["paths"].items()
    for method, operation in item.items()
    if method == "get"
    and "{" not in path
    and any(p.get("in") == "query" for p in operation.get("parameters", []))
)

HOSTILE = st.one_of(
    st.sampled_from(
        [
            "99999999999999999999",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775809",
            "-2.4e228",
            "1e23",
            "1e308",
            "NaN",
            "-1",
            "0",
            "0x10",
            "",
            " ",
            "\x00",
            "a\x00",
            "true",
            "9999-12-31T23:59:59-01:00",
            "0001-01-01T00:00:00+01:00",
            "9999-12-31",
            "0001-01-01",
            "2026-13-45T25:61:61Z",
            "2026-12-05T10:00:00+25:00",
            "\ud800",
            "0306-06-07T12:00:58+16:18",
            "2026-06-07T12:00:58+16:18",
            "2026-06-07T12:00:58-23:59",
        ]
    ),
    st.integers().map(str),
    st.floats().map(repr),
    st.datetimes().map(lambda d: d.isoformat() + "-01:00"),
    st.text(max_size=8),
)


@pytest.mark.parametrize(("path", "names"), OPERATIONS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_hostile_query_values_never_reach_the_database_unchecked(
    bureau_head: Any, subject_a: Any, path: str, names: list[str], data: Any
) -> None:
    chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
    query = {name: data.draw(HOSTILE) for name in chosen}
    client = client_for(bureau_head)
    client.raise_request_exception = False
    response = client.get(f"{path}?{urlencode(query, errors='surrogatepass')}")
    assert response.status_code < 500, (query, response.content[:300])
    if response.status_code >= 400:
        assert set(response.json()) >= {"detail", "code"}


def test_a_page_holds_at_most_the_maximum_however_large_the_limit() -> None:
    from rest_framework.request import Request

    from backend.core.api import MAX_PAGE_SIZE, Pagination

    for limit in ("9223372036854775807", "99999999999999999999", str(MAX_PAGE_SIZE + 1)):
        request = Request(APIRequestFactory().get("/", {"limit": limit, "offset": "99999999999999999999"}))
        pagination = Pagination()
        assert pagination.get_limit(request) == MAX_PAGE_SIZE
        assert pagination.get_offset(request) <= 10**12
