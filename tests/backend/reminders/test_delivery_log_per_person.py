"""Staff read the push log of a person at /subjects/{id}/deliveries: office-scoped and audited."""

from __future__ import annotations

from typing import Any

import pytest

from tests.backend.reminders.conftest import DEAD_TOKEN, FakeTransport, add_reminder, long_token
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def url(subject: Any) -> str:
    return f"/api/v1/subjects/{subject.pk}/deliveries"


@pytest.fixture
def logged(phone_a: Any, subject_a: Any, transport: FakeTransport) -> list[Any]:
    from backend.reminders.services import deliver_reminder

    ok = add_reminder(subject_a, "ok")
    deliver_reminder(ok.pk)
    transport.fail_next = [DEAD_TOKEN]
    dead = add_reminder(subject_a, "dead")
    deliver_reminder(dead.pk)
    return [ok, dead]


def test_an_officer_sees_the_push_log_of_a_person_of_their_office(
    officer_a: Any, subject_a: Any, logged: list[Any]
) -> None:
    response = client_for(officer_a).get(url(subject_a))
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert [(r["reminder"], r["result"]) for r in rows] == [(logged[1].pk, "permanent"), (logged[0].pk, "ok")]
    newest = rows[0]
    assert newest["error_code"] == "UNREGISTERED" and newest["token_forgotten"] is True
    assert newest["token_prefix"] == long_token("phone-a")[:8]
    assert newest["reminder_title"] == "测试提醒" and newest["recipient"] == "subject"
    assert long_token("phone-a") not in response.content.decode()


def test_another_offices_person_is_404(officer_b: Any, subject_a: Any, logged: list[Any]) -> None:
    response = client_for(officer_b).get(url(subject_a))
    assert response.status_code == 404
    assert "results" not in response.json()


def test_bureau_staff_see_every_office(
    bureau_head: Any, auditor: Any, subject_a: Any, logged: list[Any]
) -> None:
    for user in (bureau_head, auditor):
        assert len(client_for(user).get(url(subject_a)).json()["results"]) == 2


def test_reads_and_refused_reads_are_in_the_access_log(
    officer_a: Any, officer_b: Any, subject_a: Any, logged: list[Any]
) -> None:
    from backend.audit.models import AccessLog

    client_for(officer_a).get(url(subject_a))
    client_for(officer_b).get(url(subject_a))
    rows = list(AccessLog.objects.filter(resource="delivery").order_by("id"))
    assert [(r.actor, r.object_id, r.outcome) for r in rows] == [
        (officer_a, str(subject_a.pk), "ok"),
        (officer_b, str(subject_a.pk), "not_found"),
    ]
    assert len(rows[0].detail["ids"]) == 2


def test_the_log_can_be_filtered_by_result(officer_a: Any, subject_a: Any, logged: list[Any]) -> None:
    rows = client_for(officer_a).get(url(subject_a), {"result": "ok"}).json()["results"]
    assert [r["result"] for r in rows] == ["ok"]


def test_the_log_needs_a_staff_login(subject_a: Any) -> None:
    assert client_for(None).get(url(subject_a)).status_code == 401


def test_the_list_costs_a_fixed_number_of_queries(
    officer_a: Any, phone_a: Any, subject_a: Any, logged: list[Any], django_assert_max_num_queries: Any
) -> None:
    from backend.reminders.services import deliver_reminder, set_device_push_token

    set_device_push_token(phone_a[0], long_token("phone-a-again"))
    for n in range(10):
        deliver_reminder(add_reminder(subject_a, f"more-{n}").pk)
    with django_assert_max_num_queries(8):
        assert len(client_for(officer_a).get(url(subject_a)).json()["results"]) == 12
