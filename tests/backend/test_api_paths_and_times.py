"""Paths and times the API cannot take answer in its error shape: an id that is not a number (or
any path under the API that names nothing) is a JSON 404 whatever the method, and a time a
record would keep outside 1970-2100 is a field-level 400, so nothing comes back in an odd form."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import client_for, make_released_person
from tests.openapi_helpers import load_spec

pytestmark = pytest.mark.django_db

OPERATIONS = sorted(
    (path, method)
    for path, item in load_spec()["paths"].items()
    if "{id}" in path
    for method in item
    if method in {"get", "post", "put", "patch", "delete"}
)
NOT_IDS = st.one_of(
    st.sampled_from(["0.5", "AAA", "null", "-1", "1e3", "%00", "..", "９"]),
    st.text(
        st.characters(whitelist_categories=["L", "P", "S"], blacklist_characters="/?#%\\"),
        min_size=1,
        max_size=8,
    ).filter(lambda t: not t.isdigit()),
)


@pytest.mark.parametrize(("template", "method"), OPERATIONS)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(not_an_id=NOT_IDS)
def test_a_path_with_an_id_that_is_not_a_number_is_a_json_404(
    bureau_head: Any, template: str, method: str, not_an_id: str
) -> None:
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    # As a script calls it: a token, and CSRF checks on as in production.
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=bureau_head)[0].key}")
    client.raise_request_exception = False
    response = getattr(client, method)(
        template.replace("{id}", not_an_id), {}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 404, (template, not_an_id, response.status_code)
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_a_deadline_outside_the_window_is_refused_and_one_inside_is_kept_in_utc(
    bureau_head: Any, office_a: Any
) -> None:
    person = make_released_person(office_a)
    client = client_for(bureau_head)
    url = f"/api/v1/released-persons/{person.pk}"
    for bad in ("0495-07-08T21:13:02.687Z", "9999-12-31T23:59:59-01:00", "2100-01-01T00:00:00Z"):
        response = client.patch(url, {"handover_deadline": bad}, format="json")
        assert response.status_code == 400 and "handover_deadline" in response.json()["errors"], bad
    response = client.patch(url, {"handover_deadline": "2026-12-05T10:00:00+16:18"}, format="json")
    assert response.status_code == 200
    assert response.json()["handover_deadline"] == "2026-12-05T01:42:00+08:00"
