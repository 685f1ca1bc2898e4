"""电子定位 (社区矫正法第29条): grounds, at most 3 months, only the bureau head approves, extend with
a new reason, end early, expire by itself; continuous sampling only under an order in force."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from backend.casework import rules

pytestmark = pytest.mark.django_db

URL = "/api/v1/positioning-orders"


def today() -> dt.date:
    return rules.local_date(timezone.now())


def body(person: Any, **extra: Any) -> dict[str, Any]:
    values = {
        "subject": person.pk,
        "ground": "left_county_without_approval",
        "reason": "未经批准离开县域",
        "ends_on": (today() + dt.timedelta(days=30)).isoformat(),
    }
    values.update(extra)
    return values


@pytest.fixture
def monitored(phone_a: Any) -> Any:
    """subject_a with a phone and a monitoring state."""
    from backend.monitoring.models import MonitorState

    device, _client = phone_a
    assert MonitorState.objects.filter(subject=device.subject).exists()
    return device.subject


def test_an_order_is_requested_then_in_force_only_once_the_bureau_head_approves(
    api: Any,
    monitored: Any,
    officer_a: Any,
    head_a: Any,
    bureau_staff: Any,
    bureau_head: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from backend.monitoring.models import MonitorState, PhoneCommand

    created = api(officer_a).post(URL, body(monitored), format="json")
    assert created.status_code == 201, created.json()
    order = created.json()
    assert order["status"] == "pending" and order["starts_at"] is None
    for user in (officer_a, head_a, bureau_staff):
        refused = api(user).post(f"{URL}/{order['id']}/approve", format="json")
        assert refused.status_code == 403 and "局长" in refused.json()["detail"]
    assert MonitorState.objects.get(subject=monitored).sampling_regime == "verification"
    with django_capture_on_commit_callbacks(execute=True):
        approved = api(bureau_head).post(f"{URL}/{order['id']}/approve", format="json")
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "active"
    state = MonitorState.objects.get(subject=monitored)
    assert state.sampling_regime == "continuous"
    assert state.sampling_interval == dt.timedelta(seconds=rules.CONTINUOUS_INTERVAL_S)
    command = PhoneCommand.objects.filter(subject=monitored, kind="sampling").latest("created_at")
    assert command.payload == {"regime": "continuous", "interval_s": rules.CONTINUOUS_INTERVAL_S}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ground": "bad_attitude"}, "ground"),
        ({"ground": ""}, "ground"),
        ({"reason": ""}, "reason"),
        ({"ends_on": "2026-13-01"}, "ends_on"),
        ({"ends_on": "9999-12-31"}, "ends_on"),
        ({"ends_on": "2020-01-01"}, "ends_on"),
        ({"subject": 10**30}, "subject"),
        ({"subject": "x"}, "subject"),
    ],
)
def test_bad_requests_name_the_field(
    api: Any, monitored: Any, officer_a: Any, change: dict[str, Any], field: str
) -> None:
    answer = api(officer_a).post(URL, body(monitored, **change), format="json")
    assert answer.status_code == 400, answer.json()
    assert field in answer.json()["errors"]


def test_three_months_is_the_limit(api: Any, monitored: Any, officer_a: Any) -> None:
    limit = rules.order_limit(today())
    too_long = api(officer_a).post(
        URL, body(monitored, ends_on=(limit + dt.timedelta(days=1)).isoformat()), format="json"
    )
    assert too_long.status_code == 400 and "ends_on" in too_long.json()["errors"]
    assert (
        api(officer_a).post(URL, body(monitored, ends_on=limit.isoformat()), format="json").status_code == 201
    )


def test_one_open_order_at_a_time_and_another_office_gets_a_400(
    api: Any, monitored: Any, officer_a: Any, officer_b: Any
) -> None:
    assert api(officer_a).post(URL, body(monitored), format="json").status_code == 201
    again = api(officer_a).post(URL, body(monitored), format="json")
    assert again.status_code == 400 and "subject" in again.json()["errors"]
    other = api(officer_b).post(URL, body(monitored), format="json")
    assert other.status_code == 400 and "subject" in other.json()["errors"]


def approved_order(subject: Any, bureau_head: Any, days: int = 30) -> Any:
    from backend.casework.services import approve_order, request_order

    order = request_order(
        subject,
        bureau_head,
        ground="police_penalty",
        reason="受到治安管理处罚",
        ends_on=today() + dt.timedelta(days=days),
    )
    return approve_order(order, bureau_head)


def test_an_extension_needs_a_new_reason_and_again_at_most_three_months(
    api: Any, monitored: Any, bureau_head: Any, head_a: Any
) -> None:
    order = approved_order(monitored, bureau_head)
    url = f"{URL}/{order.pk}/extend"
    new_end = rules.order_limit(order.ends_on)
    assert (
        api(head_a)
        .post(url, {"ends_on": new_end.isoformat(), "reason": "仍有风险"}, format="json")
        .status_code
        == 403
    )
    no_reason = api(bureau_head).post(url, {"ends_on": new_end.isoformat()}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["errors"]
    too_far = api(bureau_head).post(
        url, {"ends_on": (new_end + dt.timedelta(days=1)).isoformat(), "reason": "仍有风险"}, format="json"
    )
    assert too_far.status_code == 400 and "ends_on" in too_far.json()["errors"]
    shorter = api(bureau_head).post(url, {"ends_on": order.ends_on.isoformat(), "reason": "x"}, format="json")
    assert shorter.status_code == 400
    ok = api(bureau_head).post(url, {"ends_on": new_end.isoformat(), "reason": "仍有风险"}, format="json")
    assert ok.status_code == 200, ok.json()
    assert ok.json()["ends_on"] == new_end.isoformat()
    assert [c["kind"] for c in ok.json()["changes"]] == ["approved", "extended"]
    assert ok.json()["changes"][1]["previous_ends_on"] == order.ends_on.isoformat()


def test_ending_early_goes_back_to_verification(
    api: Any, monitored: Any, bureau_head: Any, head_a: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from backend.monitoring.models import MonitorState

    with django_capture_on_commit_callbacks(execute=True):
        order = approved_order(monitored, bureau_head)
    assert MonitorState.objects.get(subject=monitored).sampling_regime == "continuous"
    assert api(head_a).post(f"{URL}/{order.pk}/end", {"reason": "x"}, format="json").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        ended = api(bureau_head).post(f"{URL}/{order.pk}/end", {"reason": "风险解除"}, format="json")
    assert ended.status_code == 200 and ended.json()["status"] == "ended"
    assert MonitorState.objects.get(subject=monitored).sampling_regime == "verification"
    assert (
        api(bureau_head).post(f"{URL}/{order.pk}/end", {"reason": "again"}, format="json").status_code == 400
    )


def test_an_order_expires_by_itself(
    monitored: Any, bureau_head: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from backend.casework.models import PositioningOrder
    from backend.casework.services import expire_orders, order_in_force
    from backend.monitoring.models import MonitorState

    with django_capture_on_commit_callbacks(execute=True):
        order = approved_order(monitored, bureau_head)
    assert order_in_force(monitored.pk) == order
    later = order.ends_at + dt.timedelta(seconds=1)
    assert order_in_force(monitored.pk, later) is None  # no longer in force, whoever looks
    PositioningOrder.objects.filter(pk=order.pk).update(ends_at=timezone.now() - dt.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_orders() == 1
    assert expire_orders() == 0
    order.refresh_from_db()
    assert order.status == "expired"
    assert [c.kind for c in order.changes.all()] == ["approved", "expired"]
    assert MonitorState.objects.get(subject=monitored).sampling_regime == "verification"


def test_the_regime_of_a_fix_follows_from_the_orders_time_range(
    api: Any, monitored: Any, bureau_head: Any, officer_a: Any, officer_b: Any
) -> None:
    from backend.casework.models import PositioningOrder

    order = approved_order(monitored, bureau_head)
    start = timezone.now() - dt.timedelta(hours=10)
    PositioningOrder.objects.filter(pk=order.pk).update(
        starts_at=start, ends_at=start + dt.timedelta(hours=4), status="ended"
    )
    since = start - dt.timedelta(hours=2)
    until = start + dt.timedelta(hours=8)
    answer = api(officer_a).get(
        f"/api/v1/subjects/{monitored.pk}/positioning-regimes",
        {"from": since.isoformat(), "to": until.isoformat()},
    )
    assert answer.status_code == 200, answer.json()
    periods = answer.json()["periods"]
    assert [p["regime"] for p in periods] == ["verification", "continuous", "verification"]
    assert periods[1]["order"] == order.pk
    assert answer.json()["regime_now"] == "verification"
    assert api(officer_b).get(f"/api/v1/subjects/{monitored.pk}/positioning-regimes").status_code == 404
    bad = api(officer_a).get(f"/api/v1/subjects/{monitored.pk}/positioning-regimes", {"from": "yesterday"})
    assert bad.status_code == 400 and "from" in bad.json()["errors"]


def test_another_office_cannot_see_or_act_on_an_order(
    api: Any, monitored: Any, bureau_head: Any, officer_b: Any
) -> None:
    order = approved_order(monitored, bureau_head)
    assert api(officer_b).get(f"{URL}/{order.pk}").status_code == 404
    assert api(officer_b).post(f"{URL}/{order.pk}/end", {"reason": "x"}, format="json").status_code == 404
    assert api(officer_b).get(URL).json()["results"] == []


def test_the_track_shows_the_regime_of_each_fix(
    api: Any, monitored: Any, bureau_head: Any, officer_a: Any, phone_a: Any
) -> None:
    from backend.casework.models import PositioningOrder
    from tests.backend.monitoring.helpers import post_checkins, track

    _device, client = phone_a
    start = timezone.now() - dt.timedelta(hours=5)
    fixes = track([(37.15, 122.35)] * 5, start=start, step_s=3600)  # one fix an hour
    assert post_checkins(client, fixes).status_code == 200
    order = approved_order(monitored, bureau_head)
    # In force from 2.5 h to 0.5 h before now: the fixes of hours 3 and 4 were taken under it.
    PositioningOrder.objects.filter(pk=order.pk).update(
        starts_at=start + dt.timedelta(hours=2.5), ends_at=start + dt.timedelta(hours=4.5), status="ended"
    )
    points = api(officer_a).get(f"/api/v1/subjects/{monitored.pk}/track").json()
    assert [p["regime"] for p in points] == ["verification"] * 3 + ["continuous"] * 2
