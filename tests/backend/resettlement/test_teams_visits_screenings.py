"""Assistance teams (five years), members with roles, visits and quarterly screenings: scoped,
audited, field-level 400s; the rates per office; the figures the risk screening reads."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.audit.models import AccessLog
from backend.resettlement.models import SafetyScreening, Visit
from backend.resettlement.services import recent_incidents, recent_visits
from tests.conftest import client_for, make_released_person

pytestmark = pytest.mark.django_db
R = "/api/v1"


def test_a_team_lasts_five_years_and_takes_named_members(officer_a: Any, office_a: Any) -> None:
    person = make_released_person(office_a, release_date=dt.date(2026, 10, 1))
    client = client_for(officer_a)
    team = client.post(f"{R}/assistance-teams", {"released_person": person.pk}, format="json")
    assert team.status_code == 201, team.json()
    assert team.json()["period_end"] == "2031-10-01"
    again = client.post(f"{R}/assistance-teams", {"released_person": person.pk}, format="json")
    assert again.status_code == 400 and "released_person" in again.json()["errors"]
    for name, role in (("王主任", "cadre"), ("李某", "family"), ("张警官", "police"), ("赵某", "volunteer")):
        member = client.post(
            f"{R}/assistance-team-members", {"team": team.json()["id"], "name": name, "role": role}
        )
        assert member.status_code == 201
    bad = client.post(
        f"{R}/assistance-team-members", {"team": team.json()["id"], "name": "x", "role": "mayor"}
    )
    assert bad.status_code == 400 and "role" in bad.json()["errors"]
    members = client.get(f"{R}/assistance-teams/{team.json()['id']}").json()["members"]
    assert {m["role"] for m in members} == {"cadre", "family", "police", "volunteer"}


def test_other_offices_records_are_404_and_not_choices(officer_a: Any, office_b: Any) -> None:
    person = make_released_person(office_b)
    visit = Visit.objects.create(released_person=person, visited_on=dt.date(2026, 11, 1), place="家中")
    client = client_for(officer_a)
    assert client.get(f"{R}/resettlement-visits/{visit.pk}").status_code == 404
    assert client.get(f"{R}/resettlement-visits").json()["count"] == 0
    response = client.post(
        f"{R}/resettlement-visits", {"released_person": person.pk, "visited_on": "2026-11-02", "place": "x"}
    )
    assert response.status_code == 400 and "released_person" in response.json()["errors"]


def test_visits_are_recorded_and_reads_audited(officer_a: Any, office_a: Any) -> None:
    person = make_released_person(office_a)
    client = client_for(officer_a)
    response = client.post(
        f"{R}/resettlement-visits",
        {"released_person": person.pk, "visited_on": "2026-11-20", "place": "家中", "notes": "就业稳定"},
    )
    assert response.status_code == 201, response.json()
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    late = client.post(
        f"{R}/resettlement-visits", {"released_person": person.pk, "visited_on": future, "place": "家中"}
    )
    assert late.status_code == 400 and "visited_on" in late.json()["errors"]
    client.get(f"{R}/resettlement-visits/{response.json()['id']}")
    assert AccessLog.objects.filter(resource="resettlement_visit", action="read").exists()


def test_one_screening_a_quarter(officer_a: Any, office_a: Any) -> None:
    person = make_released_person(office_a)
    client = client_for(officer_a)
    body = {
        "released_person": person.pk,
        "year": 2026,
        "quarter": 3,
        "hazard": "low",
        "screened_on": "2026-09-20",
    }
    assert client.post(f"{R}/safety-screenings", body).status_code == 201
    again = client.post(f"{R}/safety-screenings", body)
    assert again.status_code == 400 and "quarter" in again.json()["errors"]
    ahead = client.post(f"{R}/safety-screenings", {**body, "year": 2099, "quarter": 1})
    assert ahead.status_code == 400 and "quarter" in ahead.json()["errors"]
    bad = client.post(f"{R}/safety-screenings", {**body, "quarter": 5, "hazard": "extreme"})
    assert bad.status_code == 400 and {"quarter", "hazard"} <= set(bad.json()["errors"])


def test_the_rates_per_office(bureau_head: Any, officer_a: Any, office_a: Any, office_b: Any) -> None:
    start = dt.date(2026, 1, 1)
    make_released_person(office_a, release_date=dt.date(2026, 3, 1), received_at=timezone.now())
    make_released_person(office_a, release_date=dt.date(2026, 4, 1))
    make_released_person(office_b, release_date=dt.date(2026, 5, 1), received_at=timezone.now())
    response = client_for(bureau_head).get(
        f"{R}/resettlement-rates", {"start": start.isoformat(), "end": "2026-06-30"}
    )
    assert response.status_code == 200
    rows = {row["office"]: row for row in response.json()}
    assert rows[office_a.pk]["handover_rate"] == 0.5 and rows[office_a.pk]["released"] == 2
    assert rows[office_b.pk]["handover_rate"] == 1.0
    assert rows[office_a.pk]["pickup_rate"] is None
    mine = (
        client_for(officer_a)
        .get(f"{R}/resettlement-rates", {"start": "2026-01-01", "end": "2026-06-30"})
        .json()
    )
    assert [row["office"] for row in mine] == [office_a.pk]
    backwards = client_for(officer_a).get(
        f"{R}/resettlement-rates", {"start": "2026-06-30", "end": "2026-01-01"}
    )
    assert backwards.status_code == 400 and "end" in backwards.json()["errors"]
    far = client_for(officer_a).get(f"{R}/resettlement-rates", {"start": "9999-12-31"})
    assert far.status_code == 400


def test_the_screening_figures_answer_everyone(office_a: Any) -> None:
    quiet, busy = make_released_person(office_a), make_released_person(office_a)
    Visit.objects.create(released_person=busy, visited_on=dt.date(2026, 11, 3), place="家中")
    Visit.objects.create(released_person=busy, visited_on=dt.date(2026, 8, 3), place="家中")
    SafetyScreening.objects.create(
        released_person=busy,
        year=2026,
        quarter=4,
        hazard="medium",
        incidents=2,
        screened_on=dt.date(2026, 11, 3),
    )
    window = (dt.date(2026, 10, 1), dt.date(2027, 1, 1))
    assert recent_visits([quiet.pk, busy.pk], *window) == {quiet.pk: 0, busy.pk: 1}
    assert recent_incidents([quiet.pk, busy.pk], *window) == {quiet.pk: 0, busy.pk: 2}


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    field=st.sampled_from(["visited_on", "place", "visitors", "notes", "released_person"]),
    value=st.one_of(
        st.text(max_size=20),
        st.integers(min_value=-(10**25), max_value=10**25),
        st.floats(allow_nan=False, allow_infinity=False),
        st.none(),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        st.sampled_from(["9999-12-31", "0001-01-01", "2026-02-30", "\x00"]),
    ),
)
def test_any_visit_field_is_a_201_or_a_named_400(
    officer_a: Any, office_a: Any, field: str, value: Any
) -> None:
    person = make_released_person(office_a)
    body = {"released_person": person.pk, "visited_on": "2026-11-20", "place": "家中", field: value}
    response = client_for(officer_a).post(f"{R}/resettlement-visits", body, format="json")
    assert response.status_code in (201, 400), response.content
    if response.status_code == 400:
        assert response.json()["errors"]
