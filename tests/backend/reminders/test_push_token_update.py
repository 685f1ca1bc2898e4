"""Phones and staff keep their push tokens current: PUT /mobile/push-token and PUT /staff/push-token."""

from __future__ import annotations

from typing import Any

import pytest

from tests.backend.reminders.conftest import long_token
from tests.conftest import client_for, device_client, enroll_phone, make_subject

pytestmark = pytest.mark.django_db

URL = "/api/v1/mobile/push-token"
STAFF_URL = "/api/v1/staff/push-token"


def test_a_phone_replaces_its_push_token(subject_a: Any, officer_a: Any) -> None:
    device, token = enroll_phone(subject_a, officer_a)
    response = device_client(token).put(URL, {"push_token": "fcm-new-token"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"has_push_token": True}
    device.refresh_from_db()
    assert device.push_token == "fcm-new-token"


@pytest.mark.parametrize("empty", ["", None])
def test_an_empty_or_null_token_clears_it(subject_a: Any, officer_a: Any, empty: Any) -> None:
    device, token = enroll_phone(subject_a, officer_a)
    device_client(token).put(URL, {"push_token": "fcm-token"}, format="json")
    response = device_client(token).put(URL, {"push_token": empty}, format="json")
    assert response.status_code == 200
    assert response.json() == {"has_push_token": False}
    device.refresh_from_db()
    assert device.push_token == ""


def test_the_push_token_field_is_required(subject_a: Any, officer_a: Any) -> None:
    _device, token = enroll_phone(subject_a, officer_a)
    response = device_client(token).put(URL, {}, format="json")
    assert response.status_code == 400
    assert "push_token" in response.json()["errors"]


def test_a_token_taken_by_another_phone_is_removed_from_the_old_record(
    office_a: Any, officer_a: Any, subject_a: Any
) -> None:
    # The same app installation (a phone handed on) must not get its previous owner's reminders.
    other_device, other_token = enroll_phone(make_subject(office_a, officer_a), officer_a)
    device_client(other_token).put(URL, {"push_token": "shared-install"}, format="json")
    device, token = enroll_phone(subject_a, officer_a)
    device_client(token).put(URL, {"push_token": "shared-install"}, format="json")
    other_device.refresh_from_db()
    device.refresh_from_db()
    assert (device.push_token, other_device.push_token) == ("shared-install", "")


def test_updating_the_token_needs_a_device_token(officer_a: Any) -> None:
    assert client_for(None).put(URL, {"push_token": "x"}, format="json").status_code == 401
    # A staff login is not a phone.
    assert client_for(officer_a).put(URL, {"push_token": "x"}, format="json").status_code in (401, 403)


def test_a_new_token_queues_again_the_reminders_that_could_not_be_pushed(
    subject_a: Any, officer_a: Any, transport: Any
) -> None:
    from backend.reminders.models import Reminder
    from backend.reminders.services import deliver_reminder
    from tests.backend.reminders.conftest import add_reminder

    _device, token = enroll_phone(subject_a, officer_a)
    reminder = add_reminder(subject_a)
    assert deliver_reminder(reminder.pk).status == Reminder.PushStatus.NO_TOKEN  # type: ignore[union-attr]
    device_client(token).put(URL, {"push_token": long_token("fresh")}, format="json")
    reminder.refresh_from_db()
    assert reminder.push_status == Reminder.PushStatus.PENDING
    assert deliver_reminder(reminder.pk).status == Reminder.PushStatus.SENT  # type: ignore[union-attr]
    assert transport.sent[-1].tokens == (long_token("fresh"),)


def test_a_staff_member_registers_a_push_token(officer_a: Any) -> None:
    from backend.reminders.models import StaffPushToken

    response = client_for(officer_a).put(
        STAFF_URL, {"push_token": long_token("duty"), "platform": "android"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["platform"] == "android"
    assert body["token_prefix"] == long_token("duty")[:8]
    assert "push_token" not in body
    record = StaffPushToken.objects.get()
    assert (record.user, record.token, record.forgotten_at) == (officer_a, long_token("duty"), None)


def test_registering_the_same_token_again_updates_it_in_place(officer_a: Any) -> None:
    from backend.reminders.models import StaffPushToken

    client = client_for(officer_a)
    client.put(STAFF_URL, {"push_token": "t-1", "platform": "android"}, format="json")
    client.put(STAFF_URL, {"push_token": "t-1", "platform": "harmony"}, format="json")
    assert list(StaffPushToken.objects.values_list("token", "platform")) == [("t-1", "harmony")]


def test_a_duty_phone_token_moves_to_whoever_logs_in_on_it(officer_a: Any, head_a: Any) -> None:
    from backend.reminders.models import StaffPushToken

    client_for(officer_a).put(STAFF_URL, {"push_token": "duty-phone", "platform": "android"}, format="json")
    client_for(head_a).put(STAFF_URL, {"push_token": "duty-phone", "platform": "android"}, format="json")
    assert StaffPushToken.objects.get(token="duty-phone").user == head_a


def test_a_staff_member_can_remove_a_token_and_register_it_again(officer_a: Any) -> None:
    from backend.reminders.models import StaffPushToken

    client = client_for(officer_a)
    client.put(STAFF_URL, {"push_token": "t-2", "platform": "ios"}, format="json")
    assert client.delete(STAFF_URL, {"push_token": "t-2"}, format="json").status_code == 204
    client.put(STAFF_URL, {"push_token": "t-3", "platform": "android"}, format="json")
    assert client.delete(f"{STAFF_URL}?push_token=t-3").status_code == 204
    assert StaffPushToken.objects.get(token="t-2").forgotten_at is not None
    client.put(STAFF_URL, {"push_token": "t-2", "platform": "ios"}, format="json")
    assert StaffPushToken.objects.get(token="t-2").forgotten_at is None


def test_staff_token_registration_validates_and_needs_a_login(officer_a: Any, auditor: Any) -> None:
    assert (
        client_for(None).put(STAFF_URL, {"push_token": "t", "platform": "android"}, format="json").status_code
        == 401
    )
    bad = client_for(officer_a).put(STAFF_URL, {"push_token": "t", "platform": "nokia"}, format="json")
    assert bad.status_code == 400 and "platform" in bad.json()["errors"]
    # Even a read-only auditor may register their own phone: it is not a record.
    assert (
        client_for(auditor)
        .put(STAFF_URL, {"push_token": "t-aud", "platform": "ios"}, format="json")
        .status_code
        == 200
    )
