"""A home confirmed at the edge of the coordinate range (found by the fuzz run, tests/fuzz): the
curfew zone's circle around it would reach past longitude ±180 or latitude ±90, which the zone
engine refuses. That is a 400 on ``home_point`` in the JSON error shape and nothing is stored,
never a server error."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

EDGE = 0.001  # degrees: well inside the curfew radius of the border

edge_points = st.one_of(
    st.builds(
        lambda lat, lon: {"lat": lat, "lon": lon},
        st.floats(-89, 89),
        st.one_of(st.floats(180 - EDGE, 180), st.floats(-180, -180 + EDGE)),
    ),
    st.builds(
        lambda lat, lon: {"lat": lat, "lon": lon},
        st.one_of(st.floats(90 - EDGE, 90), st.floats(-90, -90 + EDGE)),
        st.floats(-179, 179),
    ),
)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(point=edge_points)
def test_a_home_at_the_edge_of_the_map_is_refused_not_a_server_error(
    api: Any, subject_a: Any, officer_a: Any, point: dict[str, float]
) -> None:
    from backend.supervision.models import SupervisionPolicy

    SupervisionPolicy.objects.filter(level=subject_a.supervision_level).update(curfew_applies=True)
    subject_a.refresh_from_db()
    before = (subject_a.home_lat, subject_a.home_lon)
    answer = api(officer_a).post(
        f"/api/v1/subjects/{subject_a.pk}/home-zones", {"home_point": point}, format="json"
    )
    assert answer.status_code in (200, 400), answer.content
    if answer.status_code == 400:
        body = answer.json()
        assert body["code"] and "home_point" in body["errors"]
        subject_a.refresh_from_db()
        assert (subject_a.home_lat, subject_a.home_lon) == before
