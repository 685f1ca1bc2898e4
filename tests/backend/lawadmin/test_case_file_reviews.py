"""Case-file reviews: the cross-review never gives a unit its own files; supervisors take part."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.lawadmin import services
from backend.lawadmin.models import CaseFileReview, SocialSupervisor
from tests.openapi_helpers import assert_matches_spec

pytestmark = pytest.mark.django_db


@given(
    units=st.sets(st.integers(min_value=1, max_value=10**6), min_size=2, max_size=60),
    seed=st.integers(0, 2**62),
)
def test_nobody_reviews_their_own_unit_and_everyone_reviews_one(units, seed):
    pairs = services.cross_review_pairs(list(units), seed)
    assert all(reviewed != reviewer for reviewed, reviewer in pairs)
    assert sorted(r for r, _ in pairs) == sorted(units) == sorted(r for _, r in pairs)
    assert services.cross_review_pairs(list(units), seed) == pairs


def test_the_bureau_assigns_and_the_reviewing_unit_records_the_result(
    api, bureau_staff, department, other_department, town_a, reporter_dept
):
    review = CaseFileReview.objects.create(year=2026, title="交叉评查", held_on="2026-08-01")
    units = [department.pk, other_department.pk, town_a.pk]
    response = api(bureau_staff).post(
        f"/api/v1/case-file-reviews/{review.pk}/assign", {"units": units, "seed": 11}
    )
    assert response.status_code == 201, response.content
    assert_matches_spec(response, f"/api/v1/case-file-reviews/{review.pk}/assign", "post")  # a list
    assignments = response.json()
    assert all(a["reviewed_unit"] != a["reviewer_unit"] for a in assignments)
    mine = next(a for a in assignments if a["reviewer_unit"] == department.pk)
    other = next(a for a in assignments if a["reviewer_unit"] != department.pk)
    supervisor = SocialSupervisor.objects.create(name="赵监督", background="entrepreneur")
    body = {"files": 12, "score": "86.5", "findings": "文书不规范", "supervisors": [supervisor.pk]}
    recorded = api(reporter_dept).post(f"/api/v1/case-file-assignments/{mine['id']}/assess", body)
    assert recorded.status_code == 200, recorded.content
    assert recorded.json()["supervisors"] == [supervisor.pk]
    assert (
        api(reporter_dept).post(f"/api/v1/case-file-assignments/{other['id']}/assess", body).status_code
        == 404
    )
    again = api(bureau_staff).post(f"/api/v1/case-file-reviews/{review.pk}/assign", {"units": units})
    assert again.status_code == 400 and "units" in again.json()["errors"]


def test_supervisors_are_the_bureaus_alone(api, reporter_dept, officer_a, bureau_staff):
    SocialSupervisor.objects.create(name="赵监督", background="lawyer")
    assert api(reporter_dept).get("/api/v1/social-supervisors").status_code == 404
    assert api(officer_a).get("/api/v1/social-supervisors").status_code == 404
    assert api(bureau_staff).get("/api/v1/social-supervisors").json()["count"] == 1
