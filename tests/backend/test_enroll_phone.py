"""Enrollment codes are one-time, expire in 24 h, and exchange for a revocable device token."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import client_for, device_client, new_phone_key, remember_phone_key

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _forget_the_enroll_throttle() -> None:
    """The enroll throttle (20 a minute per address) counts every test's enrollments in the
    cache; these tests are not testing it. Only the test client's count is forgotten (the cache
    may be a Redis other processes use)."""
    from django.core.cache import cache

    cache.delete("throttle_enroll_127.0.0.1")


DEVICE = {
    "platform": "android",
    "model": "HUAWEI Mate 60",
    "os_version": "HarmonyOS 4",
    "app_version": "1.2.0",
    "push_token": "fcm-token-1",
}


def issue_code(officer: Any, subject: Any) -> str:
    response = client_for(officer).post(f"/api/v1/subjects/{subject.pk}/enrollment-code")
    assert response.status_code == 201, response.content
    return response.json()["code"]


def enroll(code: str, device: dict[str, Any] | None = None, **headers: str) -> Any:
    """The enroll call of a phone that makes a key pair (unless ``device`` names a ``public_key``,
    ``None`` included); the key is kept for ``device_client`` to sign with."""
    from backend.supervision.signing import public_key_text

    key = new_phone_key()
    sent = {"public_key": public_key_text(key), **(device or DEVICE)}
    response = client_for(None).post(
        "/api/v1/mobile/enroll", {"code": code, "device": sent}, format="json", **headers
    )
    if response.status_code == 201:
        remember_phone_key(response.json()["device_token"], key)
    return response


def test_a_code_enrolls_a_phone_and_the_token_authenticates_it(officer_a: Any, subject_a: Any) -> None:
    code = issue_code(officer_a, subject_a)
    response = enroll(code)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["me"]["subject_id"] == subject_a.pk
    me = device_client(body["device_token"]).get("/api/v1/mobile/me")
    assert me.status_code == 200
    assert me.json()["name"] == subject_a.name
    assert me.json()["device_id"] == body["device_id"]


def test_the_token_and_the_code_are_stored_only_as_hashes(officer_a: Any, subject_a: Any) -> None:
    from backend.supervision.models import Device, EnrollmentCode

    code = issue_code(officer_a, subject_a)
    token = enroll(code).json()["device_token"]
    device = Device.objects.get(subject=subject_a)
    assert device.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(Device.objects.values().get(pk=device.pk))
    assert code not in str(list(EnrollmentCode.objects.values()))


def test_a_code_works_only_once(officer_a: Any, subject_a: Any) -> None:
    code = issue_code(officer_a, subject_a)
    assert enroll(code).status_code == 201
    second = enroll(code)
    assert second.status_code == 400
    assert second.json()["code"] == "code_used"
    assert "code" in second.json()["errors"]


def test_an_expired_code_is_refused(officer_a: Any, subject_a: Any) -> None:
    from backend.supervision.models import EnrollmentCode

    code = issue_code(officer_a, subject_a)
    EnrollmentCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = enroll(code)
    assert response.status_code == 400
    assert response.json()["code"] == "code_expired"


def test_a_code_expires_after_24_hours(officer_a: Any, subject_a: Any) -> None:
    from backend.supervision.models import EnrollmentCode

    issue_code(officer_a, subject_a)
    record = EnrollmentCode.objects.get()
    assert abs((record.expires_at - record.created_at) - dt.timedelta(hours=24)) < dt.timedelta(seconds=5)


def test_a_new_code_replaces_the_unused_one(officer_a: Any, subject_a: Any) -> None:
    first = issue_code(officer_a, subject_a)
    second = issue_code(officer_a, subject_a)
    assert enroll(first).json()["code"] == "code_replaced"
    assert enroll(second).status_code == 201


def test_an_unknown_code_is_a_field_error_not_a_500(db: Any) -> None:
    response = enroll("NOPE-NOPE")
    assert response.status_code == 400
    assert response.json()["errors"]["code"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "code"),
        ({"code": "ABC"}, "device"),
        ({"code": "ABC", "device": {"platform": "symbian"}}, "device.platform"),
        ({"code": "ABC", "device": "android"}, "device.non_field_errors"),
        ([1, 2], "non_field_errors"),
    ],
)
def test_malformed_enrollment_bodies_get_field_errors(db: Any, body: Any, field: str) -> None:
    response = client_for(None).post("/api/v1/mobile/enroll", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()


def test_invalid_json_is_a_400(db: Any) -> None:
    response = client_for(None).post("/api/v1/mobile/enroll", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_enrolling_a_new_phone_revokes_the_old_one(officer_a: Any, subject_a: Any) -> None:
    old_token = enroll(issue_code(officer_a, subject_a)).json()["device_token"]
    new_token = enroll(
        issue_code(officer_a, subject_a), {**DEVICE, "model": "iPhone 15", "platform": "ios"}
    ).json()["device_token"]
    assert device_client(old_token).get("/api/v1/mobile/me").status_code == 401
    assert device_client(new_token).get("/api/v1/mobile/me").status_code == 200
    devices = client_for(officer_a).get(f"/api/v1/subjects/{subject_a.pk}/devices").json()["results"]
    assert [d["revoked_at"] is None for d in devices] == [True, False]


def test_staff_can_revoke_a_phone(officer_a: Any, subject_a: Any) -> None:
    token = enroll(issue_code(officer_a, subject_a)).json()["device_token"]
    response = client_for(officer_a).post(
        f"/api/v1/subjects/{subject_a.pk}/revoke-device", {"reason": "手机丢失"}, format="json"
    )
    assert response.status_code == 200
    assert device_client(token).get("/api/v1/mobile/me").status_code == 401


def test_ending_supervision_revokes_the_phone_and_refuses_new_codes(officer_a: Any, subject_a: Any) -> None:
    token = enroll(issue_code(officer_a, subject_a)).json()["device_token"]
    assert client_for(officer_a).post(f"/api/v1/subjects/{subject_a.pk}/end-supervision").status_code == 200
    assert device_client(token).get("/api/v1/mobile/me").status_code == 401
    assert client_for(officer_a).post(f"/api/v1/subjects/{subject_a.pk}/enrollment-code").status_code == 400


def test_me_tells_nothing_about_anyone_else(officer_a: Any, subject_a: Any, subject_b: Any) -> None:
    token = enroll(issue_code(officer_a, subject_a)).json()["device_token"]
    body = device_client(token).get("/api/v1/mobile/me").json()
    flat = str(body)
    assert subject_b.name not in flat
    assert subject_a.id_number not in flat  # not even its own identity number
    assert set(body) == {
        "subject_id",
        "name",
        "status",
        "supervision_level",
        "supervision_start",
        "supervision_end",
        "office",
        "responsible_officer",
        "device_id",
    }


def test_me_names_an_officer_without_a_full_name_by_role_never_by_username(
    officer_a: Any, subject_a: Any
) -> None:
    type(officer_a).objects.filter(pk=officer_a.pk).update(first_name="", last_name="", phone="0536-1234567")
    token = enroll(issue_code(officer_a, subject_a)).json()["device_token"]
    officer = device_client(token).get("/api/v1/mobile/me").json()["responsible_officer"]
    assert officer_a.username not in str(officer)  # half of a staff sign-in, not the phone's business
    assert officer == {"name": officer_a.get_role_display(), "phone": "0536-1234567"}


def test_a_phone_cannot_use_staff_endpoints(officer_a: Any, subject_a: Any) -> None:
    token = enroll(issue_code(officer_a, subject_a)).json()["device_token"]
    assert device_client(token).get("/api/v1/subjects").status_code in (401, 403)


def test_a_malformed_device_header_is_a_401(db: Any) -> None:
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION="Device")
    assert client.get("/api/v1/mobile/me").status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Device not-a-token")
    assert client.get("/api/v1/mobile/me").status_code == 401


# ---------------------------------------------------------------------------------------------
# The phone's signing key (backend/supervision/signing.py)
# ---------------------------------------------------------------------------------------------


def test_the_phones_public_key_is_kept_and_its_requests_must_be_signed(
    officer_a: Any, subject_a: Any
) -> None:
    from backend.supervision.models import Device

    response = enroll(issue_code(officer_a, subject_a))
    assert response.status_code == 201
    device = Device.objects.get(subject=subject_a)
    assert len(base64.b64decode(device.public_key)) == 32
    token = response.json()["device_token"]
    assert device_client(token, sign=False).get("/api/v1/mobile/me").json()["code"] == "signature_required"


@pytest.mark.parametrize(
    ("public_key", "problem"),
    [
        (None, "Send the phone's Ed25519 public key"),
        ("", "This field may not be blank."),
        ("not base64!", "not valid base64"),
        (base64.b64encode(b"\x01" * 31).decode(), "must be 32 bytes"),
        (base64.b64encode(b"\x01" * 33).decode(), "must be 32 bytes"),
        (base64.b64encode(b"\xff" * 32).decode(), "not an Ed25519 public key"),  # not on the curve
        (base64.b64encode(b"\x00" * 32).decode(), "not an Ed25519 public key"),  # of small order
        (base64.b64encode((1).to_bytes(32, "little")).decode(), "not an Ed25519 public key"),  # neutral
        (base64.urlsafe_b64encode(b"\xfb" * 32).decode(), "not valid base64"),  # the URL-safe alphabet
    ],
)
def test_a_missing_or_bad_public_key_is_a_field_error_and_uses_no_code(
    officer_a: Any, subject_a: Any, public_key: Any, problem: str
) -> None:
    code = issue_code(officer_a, subject_a)
    response = enroll(code, {**DEVICE, "public_key": public_key}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    assert problem in response.json()["errors"]["device.public_key"][0]
    assert enroll(code).status_code == 201  # the code was not spent


def test_without_required_signatures_a_phone_may_enroll_without_a_key(
    officer_a: Any, subject_a: Any, settings: Any
) -> None:
    from backend.supervision.models import Device

    settings.PHONE_SIGNATURES_REQUIRED = False
    response = enroll(issue_code(officer_a, subject_a), {**DEVICE, "public_key": None})
    assert response.status_code == 201
    assert Device.objects.get(subject=subject_a).public_key == ""
    # Staff see which phones do not sign (to give their persons a new code before signing is required).
    listed = client_for(officer_a).get(f"/api/v1/subjects/{subject_a.pk}/devices").json()["results"]
    assert [d["signs_requests"] for d in listed] == [False]
    enroll(issue_code(officer_a, subject_a))
    listed = client_for(officer_a).get(f"/api/v1/subjects/{subject_a.pk}/devices").json()["results"]
    assert [d["signs_requests"] for d in listed] == [True, False]
    bad = enroll(issue_code(officer_a, subject_a), {**DEVICE, "public_key": "AAAA"})
    assert bad.status_code == 400 and "device.public_key" in bad.json()["errors"]
