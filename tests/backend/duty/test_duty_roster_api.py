"""The duty roster's API: scoped to the caller's offices, edited by office heads (their office's)
and bureau roles (all), read by officers and auditors; bad input is a field-level 400."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.backend.duty.conftest import shift

pytestmark = pytest.mark.django_db
URL = "/api/v1/duty/shifts"


def body(office: Any, user: Any, hours: float = 12, **extra: Any) -> dict[str, Any]:
    starts = timezone.now().replace(microsecond=0) + dt.timedelta(hours=1)
    return {
        "office": office.pk,
        "user": user.pk,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + dt.timedelta(hours=hours)).isoformat(),
        **extra,
    }


def test_an_office_head_puts_an_officer_of_the_office_on_duty(
    api: Any, head_a: Any, officer_a: Any, office_a: Any
) -> None:
    from backend.audit.models import AccessLog
    from backend.duty.models import DutyShift

    answer = api(head_a).post(URL, body(office_a, officer_a, note=" 夜班 "), format="json")
    assert answer.status_code == 201, answer.content
    created = DutyShift.objects.get()
    assert (created.user, created.office, created.note, created.created_by) == (
        officer_a,
        office_a,
        "夜班",
        head_a,
    )
    assert answer.json()["user_name"] == "测officer_a" and answer.json()["office_name"] == office_a.name
    assert AccessLog.objects.filter(resource="duty_shift", action="create", actor=head_a).exists()


def test_an_officer_reads_the_roster_but_may_not_change_it(
    api: Any, officer_a: Any, head_a: Any, office_a: Any
) -> None:
    existing = shift(office_a, head_a)
    client = api(officer_a)
    assert [row["id"] for row in client.get(URL).json()["results"]] == [existing.pk]
    assert client.post(URL, body(office_a, officer_a), format="json").status_code == 403
    assert client.delete(f"{URL}/{existing.pk}").status_code == 403


def test_another_offices_shift_is_not_found_and_not_listed(
    api: Any, head_a: Any, officer_b: Any, office_b: Any
) -> None:
    other = shift(office_b, officer_b)
    client = api(head_a)
    assert client.get(URL).json()["results"] == []
    assert client.get(f"{URL}/{other.pk}").status_code == 404
    assert client.patch(f"{URL}/{other.pk}", {"note": "x"}, format="json").status_code == 404
    # Nor may a head put anyone on another office's roster (the office is not one they may name).
    answer = client.post(URL, body(office_b, officer_b), format="json")
    assert answer.status_code == 400 and "office" in answer.json()["errors"]


def test_only_the_offices_own_staff_stand_its_duty(
    api: Any, head_a: Any, office_a: Any, officer_b: Any, bureau_staff: Any
) -> None:
    answer = api(bureau_staff).post(URL, body(office_a, officer_b), format="json")
    assert answer.status_code == 400 and "user" in answer.json()["errors"]


def test_bureau_roles_keep_every_roster_and_the_bureaus(
    api: Any,
    bureau_staff: Any,
    bureau: Any,
    office_a: Any,
    officer_a: Any,
    officer_b: Any,
    office_b: Any,
    auditor: Any,
) -> None:
    client = api(bureau_staff)
    assert client.post(URL, body(bureau, bureau_staff), format="json").status_code == 201
    assert client.post(URL, body(office_a, officer_a), format="json").status_code == 201
    assert client.post(URL, body(office_b, officer_b), format="json").status_code == 201
    assert len(client.get(URL).json()["results"]) == 3
    # An officer cannot stand bureau duty; the auditor reads everything and changes nothing.
    answer = client.post(URL, body(bureau, officer_a), format="json")
    assert answer.status_code == 400 and "user" in answer.json()["errors"]
    assert len(api(auditor).get(URL).json()["results"]) == 3
    assert api(auditor).post(URL, body(bureau, bureau_staff), format="json").status_code == 403


def test_who_is_on_duty_at_a_time(api: Any, head_a: Any, officer_a: Any, office_a: Any) -> None:
    now = timezone.now()
    day = shift(office_a, officer_a, starts=now - dt.timedelta(hours=2), hours=4)
    shift(office_a, head_a, starts=now + dt.timedelta(hours=2), hours=4)
    answer = api(head_a).get(URL, {"at": now.isoformat()})
    assert [row["id"] for row in answer.json()["results"]] == [day.pk]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"ends_at": "2026-01-01T00:00:00+08:00"}, "ends_at"),  # before it starts
        ({"hours": 24 * 40}, "ends_at"),  # longer than a month
        ({"starts_at": "9999-12-31T23:59:59Z"}, "starts_at"),  # outside the time window
        ({"starts_at": "not a time"}, "starts_at"),
        ({"user": 2**70}, "user"),
        ({"office": "\x00"}, "office"),
        ({"note": "x" * 201}, "note"),
    ],
)
def test_bad_shifts_are_refused_by_field(
    api: Any, head_a: Any, officer_a: Any, office_a: Any, change: dict[str, Any], field: str
) -> None:
    data = body(office_a, officer_a, hours=change.pop("hours", 12))
    data.update(change)
    answer = api(head_a).post(URL, data, format="json")
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["errors"]


def test_bad_filters_are_refused_by_field(api: Any, head_a: Any) -> None:
    answer = api(head_a).get(URL, {"at": "99999-01-01", "office": "1e30"})
    assert answer.status_code == 400
    assert {"at", "office"} <= set(answer.json()["errors"])


def test_a_head_moves_and_ends_a_shift(api: Any, head_a: Any, officer_a: Any, office_a: Any) -> None:
    from backend.duty.models import DutyShift

    existing = shift(office_a, officer_a)
    client = api(head_a)
    answer = client.patch(f"{URL}/{existing.pk}", {"user": head_a.pk}, format="json")
    assert answer.status_code == 200, answer.content
    assert DutyShift.objects.get().user == head_a
    assert client.delete(f"{URL}/{existing.pk}").status_code == 204
    assert not DutyShift.objects.exists()


def test_staff_see_the_periodic_jobs_and_when_they_ran(api: Any, officer_a: Any, auditor: Any) -> None:
    for user in (officer_a, auditor):
        answer = api(user).get("/api/v1/periodic-jobs", {"limit": 100})
        assert answer.status_code == 200
        jobs = {row["name"]: row for row in answer.json()["results"]}
        assert jobs["detect-offline-phones"]["schedule"] == "每 300 秒"  # the request language's
        assert jobs["escalate-alerts"]["task"] == "backend.duty.tasks.escalate_unacknowledged_alerts"
        assert jobs["escalate-alerts"]["description"].startswith("预警升级")
    assert api(officer_a).post("/api/v1/periodic-jobs", {}, format="json").status_code == 405


def test_the_roster_list_costs_the_same_queries_for_many_shifts(
    api: Any, head_a: Any, officer_a: Any, office_a: Any, django_assert_max_num_queries: Any
) -> None:
    for hours in range(30):
        shift(
            office_a,
            officer_a if hours % 2 else head_a,
            starts=timezone.now() + dt.timedelta(hours=hours),
            hours=1,
        )
    with django_assert_max_num_queries(8):
        answer = api(head_a).get(URL)
    assert answer.json()["count"] == 30
