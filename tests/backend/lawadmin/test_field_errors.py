"""Whatever a client sends to the module's forms, the answer is a 201 or a 400 naming fields, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import client_for

pytestmark = pytest.mark.django_db

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(["2026-03-01", "9999-12-31", "0001-01-01", "1e309", "\x00", "-1", "won", "market"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
FORMS = {
    "/api/v1/litigation-cases": [
        "unit",
        "case_number",
        "court",
        "cause",
        "plaintiff",
        "served_on",
        "reported_on",
        "stage",
        "outcome",
        "decided_on",
        "is_key",
        "key_reason",
    ],
    "/api/v1/contract-catalogues": ["unit", "year", "quarter", "contracts", "reviewed", "notes"],
    "/api/v1/enforcement-officers": ["unit", "name", "certificate_no", "field", "is_active"],
    "/api/v1/study-records": ["officer", "date", "hours", "topic"],
    "/api/v1/hearing-attendances": [
        "unit",
        "held_on",
        "court",
        "case_number",
        "attendees",
        "leader_attended",
    ],
    "/api/v1/ability-tests": ["year", "title", "held_on", "sample_ratio"],
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(sorted(FORMS)), data=st.data())
def test_a_bad_field_is_a_400_that_names_it(bureau_staff: Any, department: Any, path: str, data: Any) -> None:
    fields = FORMS[path]
    body = data.draw(st.dictionaries(st.sampled_from(fields), VALUES, max_size=len(fields)))
    response = client_for(bureau_staff).post(path, body, format="json")
    assert response.status_code in (201, 400), (path, body, response.content[:300])
    if response.status_code == 400:
        errors = response.json()["errors"]
        assert set(errors) <= {*fields, "non_field_errors"}, errors
