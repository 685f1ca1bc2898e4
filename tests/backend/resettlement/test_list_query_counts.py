"""The list endpoints of education and resettlement run as many queries for ten records as for one."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.backend.resettlement.scoping_ids import education_and_resettlement_ids
from tests.conftest import client_for, make_subject

pytestmark = pytest.mark.django_db
LISTS = [
    "education-sessions",
    "education-enrollments",
    "handover-steps",
    "resettlement-alerts",
    "assistance-teams",
    "assistance-team-members",
    "resettlement-visits",
    "safety-screenings",
]


def _counts(client: Any) -> dict[str, int]:
    counts = {}
    for resource in LISTS:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/api/v1/{resource}").status_code == 200
        counts[resource] = len(queries)
    return counts


def test_list_queries_do_not_grow_with_rows(officer_a: Any, office_a: Any) -> None:
    client = client_for(officer_a)
    education_and_resettlement_ids(make_subject(office_a))
    one = _counts(client)
    for _ in range(9):
        education_and_resettlement_ids(make_subject(office_a))
    assert _counts(client) == one
