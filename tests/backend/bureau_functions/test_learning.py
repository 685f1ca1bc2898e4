"""Staff learning is the bureau's own module; leaders review lectures, never their own, once."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import client_for

pytestmark = pytest.mark.django_db

LECTURES = "/api/v1/learning/lectures"


def test_offices_and_unit_reporters_do_not_see_the_module(officer_a: Any, reporter_a: Any) -> None:
    for user in (officer_a, reporter_a):
        for url in (LECTURES, "/api/v1/learning/classes", "/api/v1/learning/trips"):
            assert client_for(user).get(url).status_code == 404


def test_a_lecture_is_reviewed_by_leaders_once_and_never_by_its_speaker(
    bureau_staff: Any, bureau_head: Any, auditor: Any
) -> None:
    created = client_for(bureau_staff).post(
        LECTURES,
        {"held_on": "2026-03-06", "speaker": bureau_staff.pk, "topic": "电子定位的适用条件"},
        format="json",
    )
    assert created.status_code == 201, created.content
    reviews = f"{LECTURES}/{created.json()['id']}/reviews"
    assert (
        client_for(bureau_staff).post(reviews, {"score": 90, "comment": "好"}, format="json").status_code
        == 403
    )
    first = client_for(bureau_head).post(reviews, {"score": 90, "comment": "案例充分"}, format="json")
    assert first.status_code == 201
    again = client_for(bureau_head).post(reviews, {"score": 95, "comment": "再评"}, format="json")
    assert again.status_code == 400
    assert (
        client_for(bureau_head).post(reviews, {"score": 101, "comment": "x"}, format="json").status_code
        == 400
    )
    assert client_for(auditor).post(reviews, {"score": 80, "comment": "x"}, format="json").status_code == 403
    own = client_for(bureau_head).post(
        LECTURES, {"held_on": "2026-03-13", "speaker": bureau_head.pk, "topic": "t"}, format="json"
    )
    own_review = client_for(bureau_head).post(
        f"{LECTURES}/{own.json()['id']}/reviews", {"score": 1, "comment": "x"}, format="json"
    )
    assert own_review.status_code == 400
    detail = client_for(bureau_staff).get(f"{LECTURES}/{created.json()['id']}").json()
    assert [review["score"] for review in detail["reviews"]] == [90]


def test_attendance_is_recorded_per_person(bureau_staff: Any, officer_a: Any, reporter_a: Any) -> None:
    created = client_for(bureau_staff).post(
        "/api/v1/learning/classes",
        {
            "topic": "行政诉讼应诉实务",
            "held_on": "2026-03-10",
            "lecturer": "教授",
            "lecturer_kind": "scholar",
            "hours": 3,
        },
        format="json",
    )
    url = f"/api/v1/learning/classes/{created.json()['id']}/attendance"
    entries = [{"staff": bureau_staff.pk, "present": True}, {"staff": officer_a.pk, "present": False}]
    answer = client_for(bureau_staff).post(url, {"entries": entries}, format="json")
    assert answer.json()["attendance"] == {"present": 1, "absent": 1}
    changed = client_for(bureau_staff).post(
        url, {"entries": [{"staff": officer_a.pk, "present": True}]}, format="json"
    )
    assert changed.json()["attendance"] == {"present": 2, "absent": 0}
    outsider = client_for(bureau_staff).post(
        url, {"entries": [{"staff": reporter_a.pk, "present": True}]}, format="json"
    )
    assert outsider.status_code == 400


def test_a_trip_ends_after_it_starts(bureau_staff: Any) -> None:
    body = {"destination": "枫桥", "starts_on": "2026-05-03", "ends_on": "2026-05-01", "topics": "调解"}
    answer = client_for(bureau_staff).post("/api/v1/learning/trips", body, format="json")
    assert answer.status_code == 400 and "ends_on" in answer.json()["errors"]


def test_the_lectures_indicator_counts_the_year(bureau_staff: Any) -> None:
    import datetime as dt

    from backend.learning.indicators import lectures_progress
    from backend.learning.models import StaffLecture

    for day in (dt.date(2025, 1, 3), dt.date(2025, 1, 10), dt.date(2025, 6, 6), dt.date(2024, 12, 27)):
        StaffLecture.objects.create(held_on=day, speaker=bureau_staff, topic="t")
    progress = lectures_progress(2025)
    assert progress.value == 3 and progress.by_month[1] == 2 and progress.by_month[12] == 3
