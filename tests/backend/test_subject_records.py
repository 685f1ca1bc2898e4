"""Creating and editing people: scoped offices, validated identity, masked identity numbers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import client_for, make_released_person, valid_id_number

pytestmark = pytest.mark.django_db


def new_subject(office: Any, **overrides: Any) -> dict[str, Any]:
    body = {
        "office": office.pk,
        "name": "张三",
        "gender": "male",
        "id_number": valid_id_number(77),
        "home_address": "甲镇1号",
        "home_lat": 37.15,
        "home_lon": 122.35,
        "case_number": "(2026)测1号",
        "sentence_type": "probation",
        "supervision_start": "2026-01-01",
        "supervision_end": "2026-12-31",
        "supervision_level": "strict",
    }
    body.update(overrides)
    return body


def test_an_officer_creates_a_subject_in_their_office(officer_a: Any, office_a: Any) -> None:
    response = client_for(officer_a).post(
        "/api/v1/subjects", new_subject(office_a, responsible_officer=officer_a.pk), format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "active"


def test_another_office_is_an_unknown_office(officer_a: Any, office_b: Any) -> None:
    response = client_for(officer_a).post("/api/v1/subjects", new_subject(office_b), format="json")
    assert response.status_code == 400
    assert "office" in response.json()["errors"]


def test_a_nonexistent_office_is_a_field_error(officer_a: Any) -> None:
    response = client_for(officer_a).post(
        "/api/v1/subjects", {**new_subject(officer_a.office), "office": 99999}, format="json"
    )
    assert response.status_code == 400 and "office" in response.json()["errors"]


@pytest.mark.parametrize(
    "field, value",
    [
        ("id_number", "371082198503120001"),  # wrong check digit
        ("id_number", "37108219851332001X"),  # impossible date
        ("supervision_end", "2025-01-01"),
        ("sentence_type", "death"),
        ("home_lat", 137.0),
        ("responsible_officer", 424242),
    ],
)
def test_bad_values_are_rejected_by_field(officer_a: Any, office_a: Any, field: str, value: Any) -> None:
    response = client_for(officer_a).post(
        "/api/v1/subjects", new_subject(office_a, **{field: value}), format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_the_responsible_officer_must_work_in_the_office(
    bureau_staff: Any, office_a: Any, officer_b: Any
) -> None:
    response = client_for(bureau_staff).post(
        "/api/v1/subjects", new_subject(office_a, responsible_officer=officer_b.pk), format="json"
    )
    assert response.status_code == 400 and "responsible_officer" in response.json()["errors"]


def test_identity_numbers_are_masked_and_heads_reveal_them_with_a_reason(
    officer_a: Any, head_a: Any, subject_a: Any
) -> None:
    url = f"/api/v1/subjects/{subject_a.pk}"
    masked = client_for(officer_a).get(url).json()["id_number"]
    assert (
        masked != subject_a.id_number
        and masked.startswith("371082")
        and masked.endswith(subject_a.id_number[-4:])
    )
    assert "*" in masked
    assert client_for(head_a).get(url).json()["id_number"] == masked  # masked by default, heads too
    revealed = client_for(head_a).get(url, {"reveal": "id_number", "reason": "核对身份"})
    assert revealed.json()["id_number"] == subject_a.id_number
    assert client_for(officer_a).get(url, {"reveal": "id_number", "reason": "x"}).status_code == 403


def test_subjects_cannot_be_deleted(officer_a: Any, subject_a: Any) -> None:
    assert client_for(officer_a).delete(f"/api/v1/subjects/{subject_a.pk}").status_code == 405


def test_released_persons_have_their_own_records(officer_a: Any, office_a: Any) -> None:
    body = {
        "office": office_a.pk,
        "name": "李四",
        "gender": "male",
        "id_number": valid_id_number(5, "19700101"),
        "home_address": "甲镇2号",
        "release_date": "2026-11-20",
        "prison": "潍北监狱",
        "is_key_person": True,
    }
    response = client_for(officer_a).post("/api/v1/released-persons", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "awaiting"


def test_the_lists_leave_the_home_and_notes_to_the_record_and_mask_the_phone(
    officer_a: Any, office_a: Any, subject_a: Any
) -> None:
    from backend.supervision.models import ReleasedPerson, Subject

    Subject.objects.filter(pk=subject_a.pk).update(phone="13812345678", notes="家属反映近期情绪低落")
    person = make_released_person(office_a, phone="13987654321", home_lat=37.1, home_lon=122.3)
    assert Subject.objects.count() == ReleasedPerson.objects.count() == 1  # each list's one row
    client = client_for(officer_a)
    for path, pk, phone in (
        ("/api/v1/subjects", subject_a.pk, "13812345678"),
        ("/api/v1/released-persons", person.pk, "13987654321"),
    ):
        row = client.get(path).json()["results"][0]
        assert not {"home_address", "home_lat", "home_lon", "notes"} & set(row), path
        assert row["phone"] == phone[:3] + "****" + phone[-4:]
        record = client.get(f"{path}/{pk}").json()  # the record itself keeps them, for its reader
        assert record["phone"] == phone and record["home_address"] and record["home_lat"] is not None


def test_a_released_persons_record_reveals_its_identity_number_like_a_subjects(
    head_a: Any, officer_a: Any, office_a: Any
) -> None:
    from backend.audit.models import AccessLog

    person = make_released_person(office_a)
    url = f"/api/v1/released-persons/{person.pk}"
    assert client_for(head_a).get(url).json()["id_number"] == person.id_number_masked
    assert client_for(head_a).get(url, {"reveal": "id_number"}).status_code == 400  # no reason
    revealed = client_for(head_a).get(url, {"reveal": "id_number", "reason": "办理安置帮教"})
    assert revealed.json()["id_number"] == person.id_number
    assert client_for(officer_a).get(url, {"reveal": "id_number", "reason": "x"}).status_code == 403
    logged = AccessLog.objects.filter(action="reveal", resource="released_person")
    assert sorted(logged.values_list("status_code", flat=True)) == [200, 400, 403]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("release_date", "0001-01-01"),  # its handover deadlines were in local mean time (+08:05:43)
        ("release_date", "1999-12-31"),
        ("release_date", "9999-12-31"),
        ("expected_release_date", "0001-01-01"),
        ("expected_release_date", "9999-12-31"),
    ],
)
def test_a_release_date_outside_the_records_years_is_a_400(
    officer_a: Any, office_a: Any, field: str, value: str
) -> None:
    from backend.supervision.models import ReleasedPerson

    person = make_released_person(office_a)
    response = client_for(officer_a).patch(
        f"/api/v1/released-persons/{person.pk}", {field: value}, format="json"
    )
    assert response.status_code == 400 and field in response.json()["errors"]
    assert ReleasedPerson.objects.filter(pk=person.pk, **{field: value}).exists() is False
