"""Whatever a phone or a staff client sends to casework, the answer is a 2xx or a 4xx naming the
field, never a 5xx: Hypothesis draws every field from JSON values of every type and size."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.backend.casework.helpers import leave_body, make_leave

pytestmark = pytest.mark.django_db

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=300)
    | st.sampled_from(
        [
            "",
            "9999-12-31T23:59:59+14:00",
            "0001-01-01T00:00:00-12:00",
            "2026-12-06T08:00:00+08:00",
            "2026-12-06",
            "NaN",
            "1e309",
            "wgs84",
            "bd09",
            "prohibition_breach",
            "\u0000",
        ]
    )
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
POINTS = st.fixed_dictionaries({"lat": VALUES, "lon": VALUES, "crs": VALUES}) | VALUES
SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def assert_judged(answer: Any, fields: set[str]) -> None:
    assert answer.status_code < 500, answer.content[:300]
    if answer.status_code == 400:
        errors = answer.json()["errors"]
        assert errors and all(name.split(".")[0] in fields | {"non_field_errors"} for name in errors), errors


@SLOW
@given(
    field=st.sampled_from(["destination", "destination_point", "radius_m", "reason", "starts_at", "ends_at"]),
    value=POINTS,
    drop=st.booleans(),
)
def test_leave_requests_from_the_phone(phone_a: Any, field: str, value: Any, drop: bool) -> None:
    _device, client = phone_a
    body = leave_body()
    if drop:
        body.pop(field, None)
    else:
        body[field] = value
    answer = client.post("/api/v1/mobile/leave-requests", body, format="json")
    assert_judged(answer, {field, "starts_at", "ends_at"})
    if answer.status_code == 201:
        from backend.casework.models import LeaveRequest

        LeaveRequest.objects.filter(pk=answer.json()["id"]).delete()


@SLOW
@given(
    body=st.fixed_dictionaries(
        {},
        optional={
            "note": VALUES,
            "destination_point": POINTS,
            "radius_m": VALUES,
            "destination_zone": VALUES,
        },
    )
)
def test_leave_approvals(phone_a: Any, bureau_head: Any, api: Any, body: dict[str, Any]) -> None:
    device, _client = phone_a
    leave = make_leave(device)
    answer = api(bureau_head).post(f"/api/v1/leave-requests/{leave.pk}/approve", body, format="json")
    assert_judged(answer, set(body) | {"destination_point", "destination_zone", "radius_m"})
    leave.delete()


@SLOW
@given(
    field=st.sampled_from(["subject", "ground", "reason", "ends_on"]),
    value=VALUES,
)
def test_positioning_order_requests(subject_a: Any, officer_a: Any, api: Any, field: str, value: Any) -> None:
    body = {
        "subject": subject_a.pk,
        "ground": "police_penalty",
        "reason": "受到治安管理处罚",
        "ends_on": "2027-01-10",
    }
    body[field] = value
    answer = api(officer_a).post("/api/v1/positioning-orders", body, format="json")
    assert_judged(answer, {field, "ends_on", "subject"})
    from backend.casework.models import PositioningOrder

    PositioningOrder.objects.all().delete()


@SLOW
@given(ends_on=VALUES, reason=VALUES)
def test_order_extensions(subject_a: Any, bureau_head: Any, api: Any, ends_on: Any, reason: Any) -> None:
    import datetime as dt

    from backend.casework.services import approve_order, request_order

    order = approve_order(
        request_order(
            subject_a, bureau_head, ground="police_penalty", reason="x", ends_on=dt.date(2026, 12, 20)
        ),
        bureau_head,
    )
    answer = api(bureau_head).post(
        f"/api/v1/positioning-orders/{order.pk}/extend", {"ends_on": ends_on, "reason": reason}, format="json"
    )
    assert_judged(answer, {"ends_on", "reason", "status"})
    order.changes.all().delete()
    order.delete()


@SLOW
@given(
    params=st.dictionaries(
        st.sampled_from(["from", "to", "status", "person", "limit", "offset"]),
        st.text(max_size=40),
        max_size=4,
    )
)
def test_query_parameters(subject_a: Any, officer_a: Any, api: Any, params: dict[str, str]) -> None:
    client = api(officer_a)
    for path in (
        "/api/v1/leave-requests",
        "/api/v1/positioning-orders",
        "/api/v1/curfew-checks",
        f"/api/v1/subjects/{subject_a.pk}/positioning-regimes",
    ):
        answer = client.get(path, params)
        assert answer.status_code in (200, 400), (path, params, answer.content[:300])
