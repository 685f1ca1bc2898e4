"""Starting, following, reading, reviewing and exporting screenings through the API."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.backend.screening.helpers import QUARTER, add_alerts, add_phone, backdate, run_screening
from tests.conftest import make_released_person, make_staff, make_subject
from tests.openapi_helpers import assert_matches_spec

pytestmark = pytest.mark.django_db


@pytest.fixture
def county(office_a: Any, office_b: Any, officer_a: Any, officer_b: Any, own_factors: None) -> dict[str, Any]:
    people = {}
    for office, tag in ((office_a, "a"), (office_b, "b")):
        quiet = make_subject(office)
        risky = make_subject(office)
        released = make_released_person(office, is_key_person=True)
        for person in (quiet, risky, released):
            backdate(person)
        add_phone(quiet)
        add_phone(risky)
        add_alerts(risky, "lost_contact", 4)
        add_alerts(risky, "curfew", 6)
        people[tag] = {"quiet": quiet, "risky": risky, "released": released}
    return people


def _run_started_by_api(api: Any, user: Any, body: dict[str, Any]) -> Any:
    from backend.screening.services import plan_screening, work_on

    answer = api(user).post("/api/v1/screenings", body, format="json")
    assert answer.status_code == 201, answer.content
    plan_screening(answer.json()["id"])
    work_on(answer.json()["id"])
    return answer.json()


def test_bureau_staff_screen_every_office_and_read_status_and_results(
    api: Any, bureau_staff: Any, county: dict[str, Any]
) -> None:
    started = _run_started_by_api(api, bureau_staff, {"quarter": QUARTER})
    assert started["status"] == "queued" and started["office"] is None and started["rule_version"] == 1
    status = api(bureau_staff).get(f"/api/v1/screenings/{started['id']}").json()
    assert status["status"] == "finished" and status["progress"] == 1.0
    assert status["total"] == status["done"] == 6
    assert status["counts"]["high"] == 2 and status["counts"]["review"] == 2
    answer = api(bureau_staff).get(f"/api/v1/screenings/{started['id']}/results")
    # Not reviewed yet: no override band ("") and no reviewer (null), as the spec allows.
    assert_matches_spec(answer, f"/api/v1/screenings/{started['id']}/results", "get")
    rows = answer.json()["results"]
    assert len(rows) == 6
    assert rows[0]["override_band"] == "" and rows[0]["reviewed_by_name"] is None
    top = rows[0]
    assert top["band"] == "high" and top["needs_review"] and top["review_reasons"] == ["high"]
    lost = next(f for f in top["factors"] if f["code"] == "lost_contact_episodes")
    assert lost["value"] == 4 and lost["points"] == 3 and lost["contribution"] == 9
    assert lost["facts"] == {"lost_contact": 4} and lost["label"]
    kinds = {row["person_kind"] for row in rows}
    assert kinds == {"subject", "released"}


def test_an_office_head_screens_their_own_office_only(
    api: Any, head_a: Any, office_b: Any, county: dict[str, Any]
) -> None:
    started = _run_started_by_api(api, head_a, {"quarter": QUARTER})
    assert started["office"] == head_a.office_id
    rows = api(head_a).get(f"/api/v1/screenings/{started['id']}/results").json()["results"]
    assert {row["office"] for row in rows} == {head_a.office_id}
    refused = api(head_a).post("/api/v1/screenings", {"office": office_b.pk}, format="json")
    assert refused.status_code == 400 and "office" in refused.json()["errors"]


@pytest.mark.parametrize("role", ["officer", "auditor", "reporter"])
def test_others_may_not_start_one(api: Any, office_a: Any, bureau: Any, role: str) -> None:
    user = make_staff(
        f"u_{role}", role, office_a if role == "officer" else bureau if role == "auditor" else None
    )
    assert api(user).post("/api/v1/screenings", {}, format="json").status_code == 403


def test_another_office_sees_a_county_run_cut_to_its_own_people(
    api: Any, bureau_staff: Any, officer_b: Any, head_a: Any, county: dict[str, Any]
) -> None:
    county_run = _run_started_by_api(api, bureau_staff, {"quarter": QUARTER})
    office_run = _run_started_by_api(api, head_a, {"quarter": QUARTER})
    rows = api(officer_b).get(f"/api/v1/screenings/{county_run['id']}/results").json()["results"]
    assert {row["office"] for row in rows} == {officer_b.office_id}
    # Office A's own run is not office B's business: 404, not 403.
    assert api(officer_b).get(f"/api/v1/screenings/{office_run['id']}").status_code == 404
    assert api(officer_b).get(f"/api/v1/screenings/{office_run['id']}/results").status_code == 404
    listed = {row["id"] for row in api(officer_b).get("/api/v1/screenings").json()["results"]}
    assert listed == {county_run["id"]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quarter": "2026Q5"}, "quarter"),
        ({"quarter": "1999Q4"}, "quarter"),
        ({"quarter": "2999Q1"}, "quarter"),
        ({"quarter": "2026Q4\x00"}, "quarter"),
        ({"quarter": 2026}, "quarter"),
        ({"office": 10**30}, "office"),
        ({"office": "x"}, "office"),
        ({"office": 999_999}, "office"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    api: Any, bureau_staff: Any, body: dict[str, Any], field: str
) -> None:
    answer = api(bureau_staff).post("/api/v1/screenings", body, format="json")
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["errors"]


def test_a_lone_surrogate_is_a_400(api: Any, bureau_staff: Any) -> None:
    body = '{"quarter": "\\ud800"}'
    answer = api(bureau_staff).post("/api/v1/screenings", body, content_type="application/json")
    assert answer.status_code == 400


def test_results_filters_refuse_bad_values(api: Any, bureau_staff: Any, county: dict[str, Any]) -> None:
    run = _run_started_by_api(api, bureau_staff, {"quarter": QUARTER})
    base = f"/api/v1/screenings/{run['id']}/results"
    assert api(bureau_staff).get(base + "?band=purple").status_code == 400
    assert api(bureau_staff).get(base + "?office=1e30").status_code == 400
    high = api(bureau_staff).get(base + "?band=high&needs_review=true").json()["results"]
    assert len(high) == 2


def test_change_since_last_quarter_and_band_rises_are_to_review(office_a: Any, own_factors: None) -> None:
    from backend.screening.models import ScreeningResult
    from tests.backend.screening.helpers import IN_PREVIOUS, PREVIOUS_QUARTER

    subject = make_subject(office_a)
    backdate(subject, IN_PREVIOUS.replace(month=4))
    add_phone(subject, enrolled_at=IN_PREVIOUS.replace(month=4))
    add_alerts(subject, "lost_contact", 2)  # 6 points in Q3: medium
    run_screening(PREVIOUS_QUARTER)
    run = run_screening()
    result = ScreeningResult.objects.get(screening=run)
    assert result.previous_band == "low" and result.previous_score == 0
    assert result.change == 6 and result.band == "medium"
    assert result.needs_review and result.review_reasons == ["rose"]


def test_a_reviewer_concludes_and_an_override_needs_its_reason(
    api: Any, bureau_staff: Any, officer_a: Any, officer_b: Any, county: dict[str, Any]
) -> None:
    run = _run_started_by_api(api, bureau_staff, {"quarter": QUARTER})
    row = api(officer_a).get(f"/api/v1/screenings/{run['id']}/results?band=high").json()["results"][0]
    url = f"/api/v1/screenings/{run['id']}/results/{row['id']}/review"
    refused = api(officer_a).post(url, {"conclusion": "谈话", "override_band": "low"}, format="json")
    assert refused.status_code == 400 and "override_reason" in refused.json()["errors"]
    assert api(officer_a).post(url, {"conclusion": " "}, format="json").status_code == 400
    done = api(officer_a).post(
        url,
        {"conclusion": "已谈话", "override_band": "medium", "override_reason": "失联系手机故障"},
        format="json",
    )
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["final_band"] == "medium" and body["band"] == "high" and body["reviewed_by"] == officer_a.pk
    # Another office's person is not found for office B's officer.
    assert api(officer_b).post(url, {"conclusion": "x"}, format="json").status_code == 404


def test_the_ledger_is_an_audited_xlsx_of_the_callers_people(
    api: Any, bureau_staff: Any, officer_a: Any, county: dict[str, Any]
) -> None:
    import openpyxl

    from backend.audit.models import AccessLog

    run = _run_started_by_api(api, bureau_staff, {"quarter": QUARTER})
    answer = api(officer_a).get(f"/api/v1/screenings/{run['id']}/export.xlsx")
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(answer.streaming_content)), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert "风险排查" in rows[0][0]
    assert rows[1][0] == "司法所" and len(rows[1]) == 16
    assert len(rows) == 2 + 3  # office A's three people
    assert {r[0] for r in rows[2:]} == {"甲司法所"}
    factors = [r[8] for r in rows[2:]]
    assert any("疑似脱管: 4 → 3×3" in text for text in factors)  # the facts behind the score
    assert any("重点人员: 1 → 1×3" in text for text in factors)
    log = AccessLog.objects.filter(resource="screening", action="export").get()
    assert log.actor == officer_a and log.detail["rows"] == 3
    assert api(officer_a).get("/api/v1/screenings/999999/export.xlsx").status_code == 404


def test_a_ledger_asked_for_by_its_type_that_is_not_there_is_a_json_404(api: Any, officer_a: Any) -> None:
    """The error of a file download is in the error shape, whatever type the client asked for."""
    for query, headers in (
        ("?format=xlsx", {}),
        ("", {"HTTP_ACCEPT": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}),
    ):
        answer = api(officer_a).get(f"/api/v1/screenings/999999/export.xlsx{query}", **headers)
        assert answer.status_code == 404
        assert answer["Content-Type"] == "application/json"
        assert answer.json()["code"] == "not_found"


def test_the_rule_table_says_which_factors_have_data(api: Any, officer_a: Any, own_factors: None) -> None:
    answer = api(officer_a).get("/api/v1/screening-rules")
    assert answer.status_code == 200
    sections = {s["person_kind"]: s for s in answer.json()["sections"]}
    subject = {f["code"]: f for f in sections["subject"]["factors"]}
    assert subject["lost_contact_episodes"]["has_data"] and subject["lost_contact_episodes"]["weight"] == 3
    assert not subject["sanctions"]["has_data"] and subject["sanctions"]["source"] == "archives"
    released = {f["code"]: f for f in sections["released"]["factors"]}
    assert released["key_person"]["has_data"] and not released["resettlement_visits"]["has_data"]


def test_the_results_page_costs_the_same_queries_whatever_its_rows(
    api: Any, bureau_staff: Any, county: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    run = _run_started_by_api(api, bureau_staff, {"quarter": QUARTER})
    with django_assert_max_num_queries(8):
        rows = api(bureau_staff).get(f"/api/v1/screenings/{run['id']}/results").json()["results"]
    assert len(rows) == 6


@pytest.mark.parametrize(
    "body",
    [
        '{"conclusion": "a\\u0000b"}',
        '{"conclusion": "\\ud800"}',
        '{"conclusion": "ok", "override_band": "purple", "override_reason": "x"}',
        '{"conclusion": ["x"]}',
        '{"conclusion": "' + "x" * 2001 + '"}',
        "[" * 5000,
    ],
)
def test_a_bad_review_is_a_400(api: Any, bureau_staff: Any, county: dict[str, Any], body: str) -> None:
    run = _run_started_by_api(api, bureau_staff, {"quarter": QUARTER})
    row = api(bureau_staff).get(f"/api/v1/screenings/{run['id']}/results").json()["results"][0]
    url = f"/api/v1/screenings/{run['id']}/results/{row['id']}/review"
    answer = api(bureau_staff).post(url, body, content_type="application/json")
    assert answer.status_code == 400, answer.content


@pytest.mark.parametrize(
    "query",
    ["office=99999999999999999999", "office=1e30", "status=done", "quarter=" + "9" * 50, "quarter=%00"],
)
def test_the_run_list_refuses_bad_filters(api: Any, bureau_staff: Any, query: str) -> None:
    answer = api(bureau_staff).get("/api/v1/screenings?" + query)
    assert answer.status_code in (200, 400), answer.content
    if answer.status_code == 200:
        assert answer.json()["results"] == []
