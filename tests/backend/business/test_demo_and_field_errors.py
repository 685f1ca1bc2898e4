"""The demo year loads on the bureau's units; bad fields are 400s naming them, never 500s."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_the_demo_year_loads_and_one_lawyer_is_vetoed(bureau):
    from django.utils import timezone

    from backend.bureau.demo import load_units
    from backend.business import demo, services
    from backend.business.models import AdviserHiring, LawFirm, Sanction

    load_units()
    line = demo.load()
    assert LawFirm.objects.count() == 6, line
    assert AdviserHiring.objects.count() >= 14
    vetoing = Sanction.objects.get(veto=True)
    assert services.vetoes_against(vetoing.lawyer, timezone.localdate()).exists()
    assert demo.load() == "legal services for business already loaded"


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=20),
    st.sampled_from(["2026-03-01", "9999-12-31", "\x00", "downgrade", "kept", "A", "government"]),
    st.lists(st.integers(), max_size=2),
)
FORMS = {
    "/api/v1/lawyer-sanctions": ["firm", "lawyer", "kind", "decided_on", "reason", "veto"],
    "/api/v1/adviser-hirings": ["unit", "lawyer", "kind", "starts_on", "ends_on"],
    "/api/v1/certificate-requirements": [
        "unit",
        "service_item",
        "certificate",
        "decision",
        "legal_basis",
        "progress",
        "decided_on",
    ],
    "/api/v1/lawyers": ["firm", "name", "license_no", "phone", "is_active"],
    "/api/v1/law-firm-assessments": ["firm", "year", "result"],
}


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(sorted(FORMS)), data=st.data())
def test_a_bad_field_is_a_400_that_names_it(
    bureau_staff: Any, firm: Any, lawyer: Any, department: Any, path: str, data: Any
) -> None:
    fields = FORMS[path]
    body = data.draw(st.dictionaries(st.sampled_from(fields), VALUES, max_size=len(fields)))
    response = client_for(bureau_staff).post(path, body, format="json")
    assert response.status_code in (201, 400), (path, body, response.content[:300])
    if response.status_code == 400:
        assert set(response.json()["errors"]) <= {*fields, "non_field_errors"}, response.json()
