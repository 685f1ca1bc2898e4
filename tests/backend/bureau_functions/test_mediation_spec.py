"""Mediation answers as the published spec says (found by the fuzz run, tests/fuzz): a refused
session on a closed dispute has the JSON error shape, and the agreement is served with the
documented content type."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.backend.bureau_functions.test_mediation import DISPUTES, PNG, dispute
from tests.conftest import client_for
from tests.openapi_helpers import assert_matches_spec

pytestmark = pytest.mark.django_db


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    closed=st.sampled_from(["resolved", "failed", "escalated"]),
    body=st.fixed_dictionaries({"held_on": st.dates().map(str)}, optional={"notes": st.text(max_size=50)}),
)
def test_a_session_of_a_closed_dispute_is_refused_in_the_error_shape(
    officer_a: Any, town_a: Any, closed: str, body: dict[str, Any]
) -> None:
    record = dispute(town_a, status=closed)
    answer = client_for(officer_a).post(f"{DISPUTES}/{record.pk}/sessions", body, format="json")
    assert answer.status_code == 400
    assert_matches_spec(answer, f"{DISPUTES}/{{id}}/sessions", "post")
    assert "status" in answer.json()["errors"]


@pytest.mark.parametrize(
    ("name", "content"),
    [("协议.png", PNG), ("协议.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n")],
)
def test_the_agreement_is_served_with_the_documented_content_type(
    officer_a: Any, town_a: Any, name: str, content: bytes
) -> None:
    record = dispute(town_a)
    client = client_for(officer_a)
    upload = SimpleUploadedFile(name, content)
    stored = client.post(f"{DISPUTES}/{record.pk}/agreement", {"file": upload}, format="multipart")
    assert stored.status_code == 200, stored.content
    download = client.get(f"{DISPUTES}/{record.pk}/agreement")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/octet-stream"
    assert b"".join(download.streaming_content) == content


def test_expert_requests_match_their_own_schema(officer_a: Any, town_a: Any, department: Any) -> None:
    """Their component once shared its name with the request form of business's experts."""
    from backend.mediation.models import Mediator

    Mediator.objects.create(
        unit=department, name="丙专家", background="lawyer", is_expert=True, expert_field="fishery"
    )
    client = client_for(officer_a)
    orders = "/api/v1/mediation/expert-requests"
    created = client.post(orders, {"dispute": dispute(town_a, "fishery").pk}, format="json")
    assert created.status_code == 201, created.content
    assert_matches_spec(created, orders, "post")
    url = f"{orders}/{created.json()['id']}"
    assert_matches_spec(client.get(orders), orders, "get")
    assert_matches_spec(client.get(url), f"{orders}/{{id}}", "get")
    done = client.post(f"{url}/complete", {"resolved": True, "outcome": "ok"}, format="json")
    assert done.status_code == 200
    assert_matches_spec(done, f"{orders}/{{id}}/complete", "post")
