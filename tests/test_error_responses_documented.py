"""The published contract documents every error an operation can answer, in the one error shape:
a change may be refused (400), a body may be too large (413) or not JSON (415), a path id may
name nothing (404), credentials may be missing (401) or insufficient (403)."""

from __future__ import annotations

import pytest

from tests.openapi_helpers import load_spec

OPERATIONS = [
    (path, method, operation)
    for path, item in load_spec()["paths"].items()
    for method, operation in item.items()
    if method in {"get", "post", "put", "patch", "delete"}
]


@pytest.mark.parametrize(
    ("path", "method", "operation"), OPERATIONS, ids=[f"{m} {p}" for p, m, _ in OPERATIONS]
)
def test_each_operation_documents_the_errors_it_can_answer(path: str, method: str, operation: dict) -> None:
    expected = set()
    if method != "get" or any(p.get("in") == "query" for p in operation.get("parameters", [])):
        expected.add("400")
    if "requestBody" in operation:
        expected |= {"413", "415"}
    if "{" in path:
        expected.add("404")
    if any(operation.get("security") or []):
        expected |= {"401", "403"}
    responses = operation["responses"]
    assert expected <= set(responses), f"{method} {path} lacks {sorted(expected - set(responses))}"
    for status in expected:
        content = responses[status].get("content", {}).get("application/json", {})
        assert content, f"{method} {path} {status} has no JSON body documented"


def test_the_error_shape_is_a_component_with_detail_and_code() -> None:
    error = load_spec()["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"detail", "code"} and "errors" in error["properties"]


def test_every_operation_documents_the_servers_414_for_a_request_line_too_long() -> None:
    """gunicorn refuses a request line past 4094 bytes with 414 in HTML, before the API sees it."""
    spec = load_spec()
    assert spec["components"]["responses"]["RequestLineTooLong"]["content"] == {
        "text/html": {"schema": {"type": "string"}}
    }
    lacking = [
        f"{method} {path}" for path, method, operation in OPERATIONS if "414" not in operation["responses"]
    ]
    assert lacking == []
