"""``GET /api/v1/released-persons/ledger.xlsx``: one row per key person the caller may see, through
the shared ledger writer, recorded as an export. The path wins over supervision's router."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from django.urls import resolve

from backend.audit.models import AccessLog
from backend.resettlement.services import create_team
from tests.conftest import client_for, make_released_person

pytestmark = pytest.mark.django_db
LEDGER = "/api/v1/released-persons/ledger.xlsx"


def _rows(response: Any) -> list[tuple[Any, ...]]:
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return list(sheet.iter_rows(min_row=3, values_only=True))


def test_the_path_is_the_ledgers() -> None:
    assert resolve(LEDGER).url_name == "key-person-ledger"


def test_an_officer_gets_their_offices_key_persons(officer_a: Any, office_a: Any, office_b: Any) -> None:
    mine = make_released_person(office_a, is_key_person=True, prison="潍北监狱")
    create_team(mine)
    make_released_person(office_a, is_key_person=False)
    make_released_person(office_b, is_key_person=True)

    response = client_for(officer_a).get(LEDGER)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = _rows(response)
    assert [row[1] for row in rows] == [mine.name]
    assert rows[0][3] == mine.id_number_masked  # an officer sees identity numbers masked
    log = AccessLog.objects.get(resource="key_person_ledger")
    assert (log.action, log.detail["rows"]) == ("export", 1)


def test_the_bureau_head_sees_every_office_masked_and_full_numbers_only_with_a_reason(
    bureau_head: Any, office_a: Any, office_b: Any
) -> None:
    a = make_released_person(office_a, is_key_person=True)
    make_released_person(office_b, is_key_person=True)
    client = client_for(bureau_head)
    rows = _rows(client.get(LEDGER))
    assert len(rows) == 2
    assert a.id_number_masked in [row[3] for row in rows] and a.id_number not in [row[3] for row in rows]

    assert client.get(LEDGER, {"reveal": "id_number"}).status_code == 400  # no reason given
    rows = _rows(client.get(LEDGER, {"reveal": "id_number", "reason": "移交公安机关核对"}))
    assert a.id_number in [row[3] for row in rows]
    reveal = AccessLog.objects.get(resource="key_person_ledger", action="reveal", status_code=200)
    assert reveal.reason == "移交公安机关核对"
    export = AccessLog.objects.filter(resource="key_person_ledger", action="export").latest("pk")
    assert (export.detail["id_numbers"], export.reason) == ("full", "移交公安机关核对")


def test_an_officer_cannot_reveal_the_ledgers_identity_numbers(officer_a: Any, office_a: Any) -> None:
    make_released_person(office_a, is_key_person=True)
    answer = client_for(officer_a).get(LEDGER, {"reveal": "id_number", "reason": "想看"})
    assert answer.status_code == 403
    assert AccessLog.objects.get(resource="key_person_ledger", action="reveal").status_code == 403


def test_anonymous_gets_nothing(db: Any) -> None:
    assert client_for(None).get(LEDGER).status_code in (401, 403)


def test_a_released_person_id_still_reads_the_person(officer_a: Any, office_a: Any) -> None:
    person = make_released_person(office_a)
    assert client_for(officer_a).get(f"/api/v1/released-persons/{person.pk}").json()["id"] == person.pk
