"""Legal publicity: units report their own activities, only accepted ones count, the quarterly
ranking lists every unit (silent ones last), the year is measured against last year."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/publicity/activities"


def activity(unit: Any, day: dt.date, status: str = "accepted", audience: int = 50) -> Any:
    from backend.publicity.models import Activity

    return Activity.objects.create(
        unit=unit,
        held_on=day,
        kind="lecture",
        topic="民法典",
        audience=audience,
        place="文化站",
        status=status,
    )


def test_a_reporter_reports_for_their_own_unit_only(reporter_a: Any, town_a: Any, town_b: Any) -> None:
    client = client_for(reporter_a)
    body = {
        "held_on": str(timezone.localdate()),
        "kind": "campaign",
        "topic": "防诈骗",
        "audience": 120,
        "place": "集市",
    }
    created = client.post(URL, body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["unit"] == town_a.pk and created.json()["status"] == "draft"
    other = client.post(URL, {**body, "unit": town_b.pk}, format="json")
    assert other.status_code == 400 and "unit" in other.json()["errors"]
    submitted = client.post(f"{URL}/{created.json()['id']}/submit")
    assert submitted.json()["status"] == "submitted"


def test_an_office_sees_its_town_and_not_another(officer_a: Any, officer_b: Any, town_a: Any) -> None:
    record = activity(town_a, timezone.localdate())
    assert client_for(officer_a).get(f"{URL}/{record.pk}").status_code == 200
    assert client_for(officer_b).get(f"{URL}/{record.pk}").status_code == 404


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("held_on", "2999-01-01"),
        ("held_on", "1900-01-01"),
        ("audience", 10**9),
        ("audience", -1),
        ("kind", "rave"),
    ],
)
def test_impossible_values_are_refused_by_field(reporter_a: Any, field: str, value: Any) -> None:
    body = {
        "held_on": str(timezone.localdate()),
        "kind": "lecture",
        "topic": "t",
        "audience": 1,
        "place": "p",
    }
    answer = client_for(reporter_a).post(URL, {**body, field: value}, format="json")
    assert answer.status_code == 400 and field in answer.json()["errors"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.dictionaries(
        st.sampled_from(["held_on", "kind", "topic", "audience", "place", "unit", "volunteers"]),
        st.one_of(st.none(), st.integers(), st.text(max_size=30), st.lists(st.integers(), max_size=3)),
    )
)
def test_no_body_makes_a_server_error(reporter_a: Any, body: dict[str, Any]) -> None:
    assert client_for(reporter_a).post(URL, body, format="json").status_code < 500


def test_the_quarter_ranking_counts_accepted_events_and_lists_silent_units(
    bureau_staff: Any, town_a: Any, town_b: Any, department: Any
) -> None:
    day = dt.date(2026, 2, 10)
    for _ in range(3):
        activity(town_a, day)
    activity(town_b, day, audience=500)
    activity(town_b, day, status="submitted")  # not yet accepted: does not count
    activity(town_b, dt.date(2026, 4, 1))  # next quarter
    answer = client_for(bureau_staff).get(f"{URL}/ranking", {"year": 2026, "quarter": 1})
    rows = answer.json()["rows"]
    assert [(row["unit_name"], row["events"], row["rank"]) for row in rows] == [
        ("甲镇", 3, 1),
        ("乙镇", 1, 2),
        ("市场监督管理局", 0, 3),
    ]
    assert client_for(bureau_staff).get(f"{URL}/ranking", {"quarter": 5}).status_code == 400


def test_equal_units_share_a_rank(bureau_staff: Any, town_a: Any, town_b: Any) -> None:
    day = dt.date(2026, 5, 5)
    activity(town_a, day, audience=10)
    activity(town_b, day, audience=10)
    rows = client_for(bureau_staff).get(f"{URL}/ranking", {"year": 2026, "quarter": 2}).json()["rows"]
    assert [row["rank"] for row in rows] == [1, 1]


def test_growth_is_measured_against_last_year_to_the_same_day(town_a: Any) -> None:
    from backend.publicity.services import growth_percent

    for _ in range(4):
        activity(town_a, dt.date(2025, 3, 1))
    activity(town_a, dt.date(2025, 9, 1))  # after the same day last year: not in the base
    for _ in range(5):
        activity(town_a, dt.date(2026, 3, 1))
    assert growth_percent(2026, dt.date(2026, 6, 30)) == 25.0
    assert growth_percent(2024, dt.date(2024, 6, 30)) is None


def test_the_events_indicator_counts_accepted_events_by_unit_and_month(town_a: Any, town_b: Any) -> None:
    from backend.publicity.indicators import events_progress

    activity(town_a, dt.date(2025, 1, 5))
    activity(town_a, dt.date(2025, 3, 5))
    activity(town_b, dt.date(2025, 3, 6))
    activity(town_b, dt.date(2025, 3, 7), status="draft")
    progress = events_progress(2025)
    assert progress.value == 3
    assert progress.by_unit == {town_a.pk: 2, town_b.pk: 1}
    assert progress.by_month[1] == 1 and progress.by_month[2] == 1 and progress.by_month[3] == 3
    assert progress.by_month[12] == 3


def test_the_ledger_is_an_xlsx_of_the_listed_activities(bureau_staff: Any, town_a: Any) -> None:
    activity(town_a, dt.date(2026, 1, 2))
    answer = client_for(bureau_staff).get(f"{URL}/ledger")
    assert answer.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(answer.streaming_content))).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=3)]
    assert rows[0][0] == "甲镇" and rows[0][4] == 50


def test_a_demonstration_village_must_be_a_village(officer_a: Any, village_a: Any, town_a: Any) -> None:
    url = "/api/v1/publicity/demonstration-villages"
    body = {"level": "provincial", "year": 2026, "status": "submitted"}
    client = client_for(officer_a)  # the town's justice office puts its villages forward
    assert client.post(url, {**body, "unit": town_a.pk}, format="json").status_code == 400
    assert client.post(url, {**body, "unit": village_a.pk}, format="json").status_code == 201


def test_the_summary_gives_the_year_against_the_target(bureau_staff: Any, town_a: Any) -> None:
    activity(town_a, dt.date(2026, 1, 2))
    data = client_for(bureau_staff).get(f"{URL}/summary", {"year": 2026}).json()
    assert data["events"] == 1 and data["target"] == 5000 and data["growth_target_percent"] == 20
