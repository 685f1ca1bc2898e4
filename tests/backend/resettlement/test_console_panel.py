"""The console page carries the resettlement panel, which reads the open resettlement alerts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from backend.resettlement.services import check_deadlines
from tests.conftest import client_for, make_released_person

pytestmark = pytest.mark.django_db


def test_the_console_page_has_the_panel_and_its_script(officer_a: Any) -> None:
    client = Client()
    client.force_login(officer_a)
    page = client.get("/console/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'id="resettlement-panel"' in page
    assert "resettlement/panel.js" in page
    assert "安置帮教预警" in page


def test_the_panel_reads_the_open_alerts_of_the_callers_office(officer_a: Any, office_a: Any) -> None:
    release = timezone.localdate() - dt.timedelta(days=2)
    person = make_released_person(
        office_a, is_key_person=True, release_date=release, expected_release_date=release
    )
    check_deadlines()
    body = client_for(officer_a).get("/api/v1/resettlement-alerts?status=open&limit=50").json()
    assert body["count"] == 3
    row = body["results"][0]
    assert row["released_person_name"] == person.name
    assert row["step_label"] and row["office_name"] == office_a.name
