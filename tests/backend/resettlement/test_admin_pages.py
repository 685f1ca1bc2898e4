"""The admin pages of education and resettlement answer in Chinese, scoped to the officer's office."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from tests.backend.resettlement.scoping_ids import education_and_resettlement_ids
from tests.conftest import make_released_person

pytestmark = pytest.mark.django_db
PAGES = [
    "education/educationsession",
    "education/enrollment",
    "education/attendancerule",
    "resettlement/handoverstep",
    "resettlement/resettlementalert",
    "resettlement/assistanceteam",
    "resettlement/visit",
    "resettlement/safetyscreening",
]


def test_every_page_lists_in_chinese_and_scoped(officer_a: Any, subject_a: Any, subject_b: Any) -> None:
    mine = education_and_resettlement_ids(subject_a)
    theirs = education_and_resettlement_ids(subject_b)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(officer_a)
    for page in PAGES:
        response = client.get(f"/admin/{page}/")
        assert response.status_code == 200, page
    body = client.get("/admin/resettlement/resettlementalert/").content.decode()
    assert "安置帮教预警" in body
    assert (
        client.get(f"/admin/education/educationsession/{mine['education-sessions']}/change/").status_code
        == 200
    )
    other = client.get(f"/admin/education/educationsession/{theirs['education-sessions']}/change/")
    assert other.status_code in (302, 404)


def test_a_team_entered_in_the_admin_lasts_five_years(sysadmin: Any, office_a: Any) -> None:
    from backend.resettlement.models import AssistanceTeam

    person = make_released_person(office_a)
    client = Client()
    client.force_login(sysadmin)
    response = client.post(
        "/admin/resettlement/assistanceteam/add/",
        {
            "released_person": person.pk,
            "period_start": "2026-10-01",
            "members-TOTAL_FORMS": "0",
            "members-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert AssistanceTeam.objects.get(released_person=person).period_end == dt.date(2031, 10, 1)
