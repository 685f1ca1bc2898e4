"""The admin shows no secret: not a phone's push token, token hash or key, not an enrollment code's
hash, not a staff member's authenticator key, and no page of DRF's (unused) tokens."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from tests.conftest import enroll_phone, signed_in_client

pytestmark = pytest.mark.django_db


def test_a_phone_page_shows_its_token_prefix_but_no_push_token_hash_or_key(
    sysadmin: Any, officer_a: Any, subject_a: Any
) -> None:
    device, _token = enroll_phone(subject_a, officer_a)
    device.push_token = "fcm-push-token-that-would-let-the-reader-message-the-phone"
    device.save(update_fields=["push_token"])
    page = signed_in_client(sysadmin).get(f"/admin/supervision/device/{device.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert device.token_prefix in html
    for secret in (device.push_token, device.token_hash, device.public_key):
        assert secret not in html


def test_an_enrollment_code_page_does_not_show_the_codes_hash(
    sysadmin: Any, officer_a: Any, subject_a: Any
) -> None:
    from backend.supervision.models import EnrollmentCode
    from backend.supervision.services import issue_enrollment_code

    issued = issue_enrollment_code(subject_a, officer_a)
    record = EnrollmentCode.objects.get(subject=subject_a, used_at__isnull=True, revoked_at__isnull=True)
    page = signed_in_client(sysadmin).get(f"/admin/supervision/enrollmentcode/{record.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert record.code_hash not in html and issued.code not in html
    assert hashlib.sha256(issued.code.encode()).hexdigest() not in html


def test_an_authenticator_page_shows_neither_its_key_nor_its_qr_code(sysadmin: Any, officer_a: Any) -> None:
    device = officer_a.otp_device
    client = signed_in_client(sysadmin)
    page = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert page.status_code == 200
    assert device.key not in page.content.decode()
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/").status_code == 403
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/").status_code == 403


def test_drf_tokens_have_no_admin_page(sysadmin: Any) -> None:
    assert signed_in_client(sysadmin).get("/admin/authtoken/tokenproxy/").status_code == 404
