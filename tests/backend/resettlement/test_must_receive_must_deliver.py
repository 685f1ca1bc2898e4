"""必接必送: a key person noticed by a prison gets four steps with deadlines; steps are recorded
in order; a step past its deadline raises one resettlement alert, published to the console."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from backend.monitoring.models import ConsoleEvent
from backend.resettlement.models import HandoverStep, ResettlementAlert
from backend.resettlement.services import check_deadlines
from backend.supervision.models import ReleasedPerson
from tests.conftest import client_for, make_released_person
from tests.openapi_helpers import assert_matches_spec

pytestmark = pytest.mark.django_db
STEPS = "/api/v1/handover-steps"


def _key_person(office: Any, days: int = 10, **extra: Any) -> Any:
    release = timezone.localdate() + dt.timedelta(days=days)
    return make_released_person(
        office,
        is_key_person=True,
        release_date=release,
        expected_release_date=release,
        prison="潍北监狱",
        **extra,
    )


def _steps(person: Any) -> dict[str, HandoverStep]:
    return {s.step: s for s in HandoverStep.objects.filter(released_person=person)}


def test_a_key_person_gets_four_steps_with_deadlines(office_a: Any) -> None:
    person = _key_person(office_a)
    steps = _steps(person)
    assert set(steps) == {"notice", "planned", "met", "delivered"}
    assert steps["notice"].done_at is not None
    assert steps["planned"].deadline < steps["met"].deadline < steps["delivered"].deadline
    assert timezone.localtime(steps["met"].deadline).date() == person.expected_release_date
    person.refresh_from_db()
    assert person.handover_deadline == steps["delivered"].deadline


def test_other_persons_get_none(office_a: Any) -> None:
    make_released_person(office_a, is_key_person=False)
    assert not HandoverStep.objects.exists()


def test_steps_are_recorded_in_order_and_the_person_is_received(officer_a: Any, office_a: Any) -> None:
    person = _key_person(office_a, days=0)
    steps = _steps(person)
    client = client_for(officer_a)
    now = timezone.now().isoformat()

    early = client.post(
        f"{STEPS}/{steps['met'].pk}/record", {"done_at": now, "place": "狱门", "people": "张"}
    )
    assert early.status_code == 400 and "step" in early.json()["errors"]
    assert client.post(f"{STEPS}/{steps['planned'].pk}/record", {"done_at": now}).status_code == 200
    nameless = client.post(f"{STEPS}/{steps['met'].pk}/record", {"done_at": now})
    assert nameless.status_code == 400
    assert {"place", "people"} <= set(nameless.json()["errors"])
    met = client.post(
        f"{STEPS}/{steps['met'].pk}/record",
        {"done_at": now, "place": "潍北监狱大门", "people": "张警官、家属"},
    )
    assert met.status_code == 200 and met.json()["place"] == "潍北监狱大门"
    assert client.post(f"{STEPS}/{steps['delivered'].pk}/record", {"done_at": now}).status_code == 200

    person.refresh_from_db()
    assert person.status == ReleasedPerson.Status.RECEIVED
    assert person.received_at is not None


def test_a_step_in_the_future_is_refused(officer_a: Any, office_a: Any) -> None:
    person = _key_person(office_a)
    step = _steps(person)["planned"]
    later = (timezone.now() + dt.timedelta(hours=2)).isoformat()
    response = client_for(officer_a).post(f"{STEPS}/{step.pk}/record", {"done_at": later})
    assert response.status_code == 400 and "done_at" in response.json()["errors"]


def test_a_missed_deadline_raises_one_alert_on_the_console(officer_a: Any, office_a: Any) -> None:
    person = _key_person(office_a, days=-2)  # released two days ago, nothing recorded since the notice

    assert check_deadlines() == 3  # planned, met, delivered
    assert check_deadlines() == 0  # idempotent

    alerts = ResettlementAlert.objects.filter(released_person=person)
    assert set(alerts.values_list("step", flat=True)) == {"planned", "met", "delivered"}
    events = ConsoleEvent.objects.filter(type="resettlement.alert", office=office_a)
    assert events.count() == 3
    assert {e.payload["released_person_id"] for e in events} == {person.pk}
    assert all(a.console_seq for a in alerts)

    # Recording the step resolves its alert.
    step = _steps(person)["planned"]
    client_for(officer_a).post(f"{STEPS}/{step.pk}/record", {"done_at": timezone.now().isoformat()})
    assert alerts.get(step="planned").status == "resolved"


def test_the_deadline_task_runs(office_a: Any) -> None:
    from backend.resettlement.tasks import check_handover_deadlines

    _key_person(office_a, days=-2)
    assert check_handover_deadlines.delay().get() == 3


def test_alerts_are_scoped_and_resolved_with_a_note(officer_a: Any, officer_b: Any, office_a: Any) -> None:
    _key_person(office_a, days=-2)
    check_deadlines()
    alert = ResettlementAlert.objects.first()
    assert alert is not None
    assert client_for(officer_b).get(f"/api/v1/resettlement-alerts/{alert.pk}").status_code == 404
    assert client_for(officer_b).get("/api/v1/resettlement-alerts").json()["count"] == 0
    client = client_for(officer_a)
    assert client.get("/api/v1/resettlement-alerts", {"status": "open"}).json()["count"] == 3
    empty = client.post(f"/api/v1/resettlement-alerts/{alert.pk}/resolve", {"note": " "})
    assert empty.status_code == 400 and "note" in empty.json()["errors"]
    done = client.post(
        f"/api/v1/resettlement-alerts/{alert.pk}/resolve", {"note": "已电话联系家属，次日接回"}
    )
    assert done.status_code == 200 and done.json()["status"] == "resolved"


def test_open_is_only_for_key_persons_from_prison(officer_a: Any, office_a: Any, office_b: Any) -> None:
    plain = make_released_person(office_a)
    client = client_for(officer_a)
    response = client.post(f"{STEPS}/open", {"released_person": plain.pk})
    assert response.status_code == 400 and "released_person" in response.json()["errors"]
    foreign = _key_person(office_b)
    response = client.post(f"{STEPS}/open", {"released_person": foreign.pk})
    assert response.status_code == 400 and "released_person" in response.json()["errors"]
    mine = _key_person(office_a)
    response = client.post(f"{STEPS}/open", {"released_person": mine.pk})
    assert response.status_code == 201 and len(response.json()) == 4
    assert_matches_spec(response, f"{STEPS}/open", "post")  # a list, not a page
