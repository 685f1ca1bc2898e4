"""Every operation of the published contract that takes a body answers hostile bodies with a
4xx in the API's error shape: nesting past the limit, text that cannot be stored (NUL, a lone
surrogate) anywhere in the body, bodies past the size limit, and bodies that are not JSON."""

from __future__ import annotations

import json
import re
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.core.json_input import MAX_JSON_DEPTH
from tests.backend.archives.scoping_ids import archive_ids
from tests.backend.bureau.records import bureau_record_ids
from tests.backend.bureau_functions.records import bureau_function_ids, office_record_ids
from tests.backend.resettlement.scoping_ids import education_and_resettlement_ids
from tests.conftest import client_for, device_client, enroll_phone, make_released_person
from tests.openapi_helpers import load_spec

pytestmark = pytest.mark.django_db

OPERATIONS = sorted(
    (path, method)
    for path, item in load_spec()["paths"].items()
    for method, operation in item.items()
    if isinstance(operation, dict) and "requestBody" in operation
)


@pytest.fixture
def callers(subject_a: Any, officer_a: Any, bureau_head: Any, office_a: Any) -> dict[str, Any]:
    """A client and the ids to put in each path: a phone for the mobile API, the bureau head
    for the staff API, nobody for what takes no credentials."""
    from django.utils import timezone

    from backend.monitoring.services import raise_alert
    from tests.backend.monitoring.helpers import circle_zone

    _device, token = enroll_phone(subject_a, officer_a)
    alert = raise_alert(
        subject_a, kind="offline", severity="warning", occurred_at=timezone.now(), dedupe_key="x"
    )
    ids = {
        "subjects": subject_a.pk,
        "zones": circle_zone(subject_a, 37.1, 122.3, 200).pk,
        "alerts": alert.pk,
        "released-persons": make_released_person(office_a).pk,
        "offices": office_a.pk,
        **archive_ids(subject_a, officer_a),
        **education_and_resettlement_ids(subject_a),
    }
    ids.update(bureau_record_ids())
    ids.update(bureau_function_ids())
    ids.update(office_record_ids(subject_a))
    return {"phone": device_client(token), "staff": client_for(bureau_head), "ids": ids}


def call(
    callers: dict[str, Any], path: str, method: str, body: bytes, content_type: str = "application/json"
) -> Any:
    from backend.accounts.api.views import LoginView
    from backend.supervision.api.views import EnrollView

    if "{id}" in path:
        # The collection is the path up to the id ("learning/classes"), or its first part ("subjects").
        collection = path.split("/api/v1/", 1)[1].split("/{id}")[0]
        ids = callers["ids"]
        path = path.replace("{id}", str(ids.get(collection, ids.get(collection.split("/")[0], 1))))
    path = re.sub(r"\{[a-z_]+\}", "1", path)  # a second parameter (a result of a screening…)
    client = callers["phone"] if "/mobile/" in path else callers["staff"]
    client.raise_request_exception = False
    # Hundreds of bodies from one client: the login and enrollment throttles would answer 429.
    with (
        mock.patch.object(EnrollView, "throttle_classes", []),
        mock.patch.object(LoginView, "throttle_classes", []),
    ):
        return getattr(client, method)(path, data=body, content_type=content_type)


def assert_error_shape(response: Any, status: int | None = None) -> dict[str, Any]:
    assert response.status_code < 500, response.content[:300]
    if status is not None:
        assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    answer = response.json()
    assert isinstance(answer.get("detail"), str) and isinstance(answer.get("code"), str)
    return answer


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_a_body_nested_past_the_limit_is_refused_before_it_is_parsed(
    callers: dict[str, Any], path: str, method: str
) -> None:
    for depth in (MAX_JSON_DEPTH + 1, 100_000):
        body = b'{"a":' + b"[" * depth + b"]" * depth + b"}"
        answer = assert_error_shape(call(callers, path, method, body), 400)
        assert answer["code"] == "too_deep"


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_a_body_past_the_size_limit_is_a_413(callers: dict[str, Any], path: str, method: str) -> None:
    from django.conf import settings as django_settings

    body = json.dumps({"name": "x" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)}).encode()
    assert assert_error_shape(call(callers, path, method, body), 413)["code"] == "too_large"


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_a_body_that_is_not_json_is_a_415(callers: dict[str, Any], path: str, method: str) -> None:
    response = call(callers, path, method, b'{"checkins": []}', content_type="text/plain")
    assert assert_error_shape(response, 415)["code"] == "unsupported_media_type"


BAD_TEXT = st.sampled_from(["\x00", "a\x00b", "\ud800", "x\udfff", "\udc00\ud800"])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@st.composite
def bodies_with_bad_text(draw: Any) -> tuple[str, Any]:
    """A JSON object holding one bad string somewhere (a value or a key, at any depth)."""
    bad = draw(BAD_TEXT)
    value: Any = bad
    for _level in range(draw(st.integers(0, 4))):
        value = draw(
            st.sampled_from(
                [lambda v: [v], lambda v: {"k": v}, lambda v: {v: 1} if isinstance(v, str) else [v]]
            )
        )(value)
    body = draw(
        st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "note",
                    "checkins",
                    "geometry",
                    "schedule",
                    "reason",
                    "resolution",
                    "code",
                    "token",
                    "username",
                    "platform",
                ]
            ),
            JSON_VALUES,
            max_size=3,
        )
    )
    body[
        draw(
            st.sampled_from(["name", "note", "geometry", "schedule", "reason", "code", "token", "model", "x"])
        )
    ] = value
    return bad, body


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=bodies_with_bad_text())
def test_text_that_cannot_be_stored_is_refused_wherever_it_is(
    callers: dict[str, Any], path: str, method: str, case: tuple[str, Any]
) -> None:
    _bad, body = case
    response = call(callers, path, method, json.dumps(body).encode())
    assert response.status_code < 500, response.content[:300]
    if response.status_code >= 400:
        assert_error_shape(response)
