"""Every phone request is signed with the key the phone registered at enrollment.

A request signed by the phone is answered; a missing, wrong or altered signature, one made too
far from the server's clock, or the same signed request twice is refused with a code the phone
can act on. Uploads stay idempotent when a retry is signed again. The check-in fast path's own
side is in ``tests/backend/monitoring/test_checkin_fast_path.py``.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from backend.monitoring.models import CheckIn
from backend.supervision.signing import (
    SignatureRefused,
    SignedRequest,
    body_digest,
    check_signature,
    load_public_key,
    public_key_text,
    sign_request,
)
from tests.backend.monitoring.helpers import fix
from tests.conftest import (
    PhoneClient,
    device_client,
    enroll_phone,
    new_phone_key,
    phone_signature,
)

pytestmark = pytest.mark.django_db

CHECKINS = "/api/v1/mobile/checkins"
STATUS = "/api/v1/mobile/status"
ME = "/api/v1/mobile/me"


@pytest.fixture
def token(subject_a: Any, officer_a: Any) -> str:
    return enroll_phone(subject_a, officer_a)[1]


def now_ms() -> int:
    return int(time.time() * 1000)


def unsigned(token: str) -> PhoneClient:
    return PhoneClient(token, sign=False)


def post_signed(token: str, path: str, body: bytes, **headers: str) -> Any:
    """A POST of ``body`` signed by the phone of ``token`` (``headers`` replace the signature's)."""
    signed = {**phone_signature(token, "POST", path, body), **headers}
    return unsigned(token).post(path, body, content_type="application/json", **signed)


@pytest.fixture(autouse=True)
def _fast_path_off() -> Any:
    # These requests go through Django's test client, which never meets the WSGI fast path.
    with override_settings(CHECKIN_FAST_PATH=False):
        yield


# ---------------------------------------------------------------------------------------------
# Accepted
# ---------------------------------------------------------------------------------------------


def test_a_signed_upload_status_and_read_are_answered(token: str) -> None:
    phone = device_client(token)
    upload = phone.post(CHECKINS, {"checkins": [fix()]}, format="json")
    assert upload.status_code == 200, upload.content
    assert phone.post(STATUS, {"battery": 80}, format="json").status_code == 200
    assert phone.get(ME).status_code == 200
    assert phone.get("/api/v1/mobile/commands?page=1").status_code == 200  # the query string is signed


def test_a_retry_signed_again_is_accepted_and_stores_nothing_twice(token: str) -> None:
    body = json.dumps({"checkins": [fix(), fix()]}).encode()
    first = post_signed(token, CHECKINS, body)
    retry = post_signed(token, CHECKINS, body)  # the same bytes, signed again: a new time
    assert first.status_code == retry.status_code == 200
    assert [r["status"] for r in retry.json()["results"]] == ["duplicate", "duplicate"]
    assert CheckIn.objects.count() == 2


def test_buffered_fixes_keep_their_recorded_times(token: str) -> None:
    import datetime as dt

    from django.utils import timezone

    three_days_ago = timezone.now() - dt.timedelta(days=3)
    answer = device_client(token).post(CHECKINS, {"checkins": [fix(at=three_days_ago)]}, format="json")
    assert answer.status_code == 200 and answer.json()["results"][0]["status"] == "accepted"
    stored = CheckIn.objects.get()
    assert abs((stored.recorded_at - three_days_ago).total_seconds()) < 1


# ---------------------------------------------------------------------------------------------
# Refused
# ---------------------------------------------------------------------------------------------


def test_an_unsigned_request_is_refused(token: str) -> None:
    for answer in (
        unsigned(token).get(ME),
        unsigned(token).post(CHECKINS, {"checkins": [fix()]}, format="json"),
        unsigned(token).post(STATUS, {"battery": 80}, format="json"),
    ):
        assert answer.status_code == 401
        assert answer.json()["code"] == "signature_required"
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize("what", ["body", "path", "time", "method", "signature", "key"])
def test_an_altered_request_is_refused(token: str, what: str) -> None:
    body = json.dumps({"checkins": [fix()]}).encode()
    headers = phone_signature(token, "POST", CHECKINS, body)
    if what == "body":
        body = body.replace(b'"lat": ', b'"lat": 1')
    elif what == "path":
        headers = phone_signature(token, "POST", STATUS, body)
    elif what == "time":
        headers["HTTP_X_SIGNATURE_TIME"] = str(int(headers["HTTP_X_SIGNATURE_TIME"]) + 1)
    elif what == "method":
        headers = phone_signature(token, "PUT", CHECKINS, body)
    elif what == "signature":
        raw = bytearray(base64.b64decode(headers["HTTP_X_SIGNATURE"]))
        raw[10] ^= 1
        headers["HTTP_X_SIGNATURE"] = base64.b64encode(bytes(raw)).decode()
    elif what == "key":  # signed by another key than the one registered
        headers = {
            "HTTP_" + k.upper().replace("-", "_"): v
            for k, v in sign_request(new_phone_key(), "POST", CHECKINS, body).items()
        }
    answer = unsigned(token).post(CHECKINS, body, content_type="application/json", **headers)
    assert answer.status_code == 401, answer.content
    assert answer.json()["code"] == "signature_invalid"
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize("time_text", ["", "12.5", "-1", "1e12", "١٢٣", "9" * 16])
def test_a_malformed_time_is_refused(token: str, time_text: str) -> None:
    answer = unsigned(token).get(ME, HTTP_X_SIGNATURE_TIME=time_text, HTTP_X_SIGNATURE="AAAA")
    assert answer.status_code == 401 and answer.json()["code"] == "signature_invalid"


@pytest.mark.parametrize("offset_s", [-301, 301, -86_400, 3_600])
def test_a_request_signed_too_far_from_the_server_clock_is_refused_with_the_server_time(
    token: str, offset_s: int
) -> None:
    signed_at = now_ms() + offset_s * 1000
    answer = unsigned(token).get(ME, **phone_signature(token, "GET", ME, time_ms=signed_at))
    assert answer.status_code == 401
    body = answer.json()
    assert body["code"] == "signature_expired"
    assert abs(body["server_time_ms"] - now_ms()) < 5_000
    assert body["server_time"].endswith("Z")


def test_a_request_signed_within_the_window_is_accepted(token: str) -> None:
    for offset_s in (-290, 290):
        signed_at = now_ms() + offset_s * 1000
        assert (
            unsigned(token).get(ME, **phone_signature(token, "GET", ME, time_ms=signed_at)).status_code == 200
        )


@override_settings(PHONE_SIGNATURE_WINDOW_SECONDS=30)
def test_the_window_is_a_setting(token: str) -> None:
    signed_at = now_ms() - 60_000
    answer = unsigned(token).get(ME, **phone_signature(token, "GET", ME, time_ms=signed_at))
    assert answer.json()["code"] == "signature_expired"


def test_a_replayed_request_is_refused(token: str) -> None:
    body = json.dumps({"checkins": [fix()]}).encode()
    headers = phone_signature(token, "POST", CHECKINS, body)
    first = unsigned(token).post(CHECKINS, body, content_type="application/json", **headers)
    again = unsigned(token).post(CHECKINS, body, content_type="application/json", **headers)
    assert first.status_code == 200
    assert again.status_code == 409 and again.json()["code"] == "signature_replayed"
    status_headers = phone_signature(token, "GET", ME)
    assert unsigned(token).get(ME, **status_headers).status_code == 200
    assert unsigned(token).get(ME, **status_headers).status_code == 409
    assert CheckIn.objects.count() == 1


def test_with_the_cache_away_replays_are_still_refused(token: str) -> None:
    """The accepted requests are remembered in the database, not in the cache: Redis away, a signed
    upload is taken, its replay refused, an altered copy refused."""
    from unittest import mock

    import redis.exceptions

    away = redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    body = json.dumps({"checkins": [fix()]}).encode()
    headers = phone_signature(token, "POST", CHECKINS, body)
    with mock.patch("django.core.cache.backends.locmem.LocMemCache.add", side_effect=away):
        taken = unsigned(token).post(CHECKINS, body, content_type="application/json", **headers)
        again = unsigned(token).post(CHECKINS, body, content_type="application/json", **headers)
        altered = unsigned(token).post(CHECKINS, body + b" ", content_type="application/json", **headers)
    assert taken.status_code == 200
    assert again.status_code == 409 and again.json()["code"] == "signature_replayed"
    assert altered.status_code == 401 and altered.json()["code"] == "signature_invalid"
    assert CheckIn.objects.count() == 1


def test_the_remembered_requests_are_forgotten_when_they_leave_the_window(token: str) -> None:
    import datetime as dt

    from django.conf import settings

    from backend.supervision.models import SeenSignature
    from backend.supervision.signing import forget_expired
    from backend.supervision.tasks import forget_seen_signatures

    status_headers = phone_signature(token, "GET", ME)
    assert unsigned(token).get(ME, **status_headers).status_code == 200
    seen = SeenSignature.objects.get()
    window_ends_ms = (
        int(status_headers["HTTP_X_SIGNATURE_TIME"]) + settings.PHONE_SIGNATURE_WINDOW_SECONDS * 1000
    )
    assert seen.expires_at.timestamp() * 1000 == window_ends_ms + 1000  # the window's end, a second over
    assert forget_seen_signatures() == 0  # still inside the window: kept
    assert forget_expired(seen.expires_at) == 0
    assert forget_expired(seen.expires_at + dt.timedelta(milliseconds=1)) == 1
    assert not SeenSignature.objects.exists()


def test_a_revoked_phone_hears_it_is_revoked_even_signed(token: str, subject_a: Any) -> None:
    from backend.supervision.models import Device
    from backend.supervision.services import revoke_device

    revoke_device(Device.objects.get(subject=subject_a), "lost")
    answer = device_client(token).get(ME)
    assert answer.status_code == 401 and answer.json()["code"] == "device_revoked"


def test_the_refusals_speak_the_phones_language(token: str) -> None:
    answer = unsigned(token).get(ME, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert answer.json()["code"] == "signature_required" and "签名" in answer.json()["detail"]


# ---------------------------------------------------------------------------------------------
# Phones enrolled without a key
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def keyless_token(subject_a: Any, officer_a: Any) -> str:
    from backend.supervision.services import enroll_device, issue_enrollment_code

    with override_settings(PHONE_SIGNATURES_REQUIRED=False):
        code = issue_enrollment_code(subject_a, officer_a).code
        return enroll_device(code, {"platform": "android"}).device_token


def test_a_phone_without_a_key_is_told_to_enroll_again(keyless_token: str) -> None:
    for answer in (
        unsigned(keyless_token).get(ME),
        unsigned(keyless_token).post(CHECKINS, {"checkins": [fix()]}, format="json"),
    ):
        assert answer.status_code == 401 and answer.json()["code"] == "reenroll"
    assert not CheckIn.objects.exists()


@override_settings(PHONE_SIGNATURES_REQUIRED=False)
def test_while_signatures_are_not_required_a_phone_without_a_key_is_accepted_unsigned(
    keyless_token: str,
) -> None:
    assert unsigned(keyless_token).get(ME).status_code == 200
    assert unsigned(keyless_token).post(CHECKINS, {"checkins": [fix()]}, format="json").status_code == 200


@override_settings(PHONE_SIGNATURES_REQUIRED=False)
def test_while_signatures_are_not_required_a_phone_with_a_key_must_still_sign(token: str) -> None:
    assert unsigned(token).get(ME).json()["code"] == "signature_required"
    assert device_client(token).get(ME).status_code == 200


# ---------------------------------------------------------------------------------------------
# Any change to a signed request is refused
# ---------------------------------------------------------------------------------------------

_KEY = new_phone_key()
_PUBLIC = public_key_text(_KEY)
_BODY = json.dumps({"sent_at": "2026-12-05T10:00:00+08:00", "checkins": [fix()]}).encode()
_TARGET = "/api/v1/mobile/checkins?x=1"
_FIELDS = ("method", "target", "time", "signature", "body")


def _signed() -> dict[str, bytes]:
    headers = sign_request(_KEY, "POST", _TARGET, _BODY)
    return {
        "method": b"POST",
        "target": _TARGET.encode(),
        "time": headers["X-Signature-Time"].encode(),
        "signature": headers["X-Signature"].encode(),
        "body": _BODY,
    }


def _judge(parts: dict[str, bytes], at_ms: int) -> None:
    check_signature(
        _PUBLIC,
        SignedRequest(
            method=parts["method"].decode("latin-1"),
            target=parts["target"].decode("latin-1"),
            time_text=parts["time"].decode("latin-1"),
            signature=parts["signature"].decode("latin-1"),
            digest=body_digest(parts["body"]),
        ),
        now_ms=at_ms,
    )


@hypothesis_settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_single_byte_change_of_a_signed_request_is_refused(data: Any) -> None:
    original = _signed()
    at_ms = int(original["time"])
    field = data.draw(st.sampled_from(_FIELDS))
    value = bytearray(original[field])
    index = data.draw(st.integers(0, len(value) - 1))
    value[index] = data.draw(st.integers(0, 255).filter(lambda b: b != value[index]))
    with pytest.raises(SignatureRefused):
        _judge({**original, field: bytes(value)}, at_ms)


def test_the_unchanged_request_is_accepted_once() -> None:
    original = _signed()  # signed now: a request never seen before
    at_ms = int(original["time"])
    _judge(original, at_ms)
    from backend.supervision.signing import SignatureReplayed

    with pytest.raises(SignatureReplayed):
        _judge(original, at_ms)


def test_the_guides_worked_example_verifies() -> None:
    """The example of ``mobile_api_spec/README.md``, section 2, read from the guide itself."""
    import re
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    guide = (Path(__file__).resolve().parents[3] / "mobile_api_spec" / "README.md").read_text(
        encoding="utf-8"
    )
    section = guide[guide.index("**Worked example.**") : guide.index("**The time window.**")]
    seed = re.search(r"seed\s+`([0-9a-f]{64})`", section).group(1)  # type: ignore[union-attr]
    public_key = re.search(r"is `([A-Za-z0-9+/=]{44})`", section).group(1)  # type: ignore[union-attr]
    body = re.search(r"```\n(\{.*\})\n```", section).group(1).encode()  # type: ignore[union-attr]
    digest = re.search(r"body digest `([0-9a-f]{64})`", section).group(1)  # type: ignore[union-attr]
    time_text = re.search(r"X-Signature-Time: (\d+)", section).group(1)  # type: ignore[union-attr]
    signature = re.search(r"X-Signature: (\S+)", section).group(1)  # type: ignore[union-attr]

    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed))
    assert public_key_text(key) == public_key
    assert len(body) == 201 and body_digest(body) == digest
    assert f"POST\n/api/v1/mobile/checkins\n{time_text}\n{digest}" in section
    assert sign_request(key, "POST", CHECKINS, body, int(time_text))["X-Signature"] == signature
    # Verified as the server verifies it (the replay record is left alone: the cache may be shared).
    message = f"POST\n{CHECKINS}\n{time_text}\n{digest}".encode()
    load_public_key(public_key).verify(message, base64.b64decode(signature))
