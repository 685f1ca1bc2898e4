"""Real FCM v1 error responses, parsed by firebase-admin, become the right TransportError per token."""

from __future__ import annotations

import time

import pytest

from notifications import Message

# (FCM answer, our code, permanent, forget_token)
CASES = [
    ("UNREGISTERED", "UNREGISTERED", True, True),
    ("SENDER_ID_MISMATCH", "SENDER_ID_MISMATCH", True, True),
    ("INVALID_TOKEN", "INVALID_ARGUMENT", True, True),
    ("INVALID_MESSAGE", "INVALID_ARGUMENT", True, False),
    ("THIRD_PARTY_AUTH_ERROR", "THIRD_PARTY_AUTH_ERROR", True, False),
    ("PERMISSION_DENIED", "PERMISSION_DENIED", True, False),
    ("UNAVAILABLE", "UNAVAILABLE", False, False),
    ("INTERNAL", "INTERNAL", False, False),
    ("QUOTA_EXCEEDED", "QUOTA_EXCEEDED", False, False),
]


def _send_one(fcm_transport):
    return fcm_transport.send(Message(tokens=("token-x",), title="签到提醒", body="请按时签到"))


@pytest.mark.parametrize(("answer", "code", "permanent", "forget"), CASES, ids=[case[0] for case in CASES])
def test_each_fcm_error_maps_to_permanent_or_temporary(
    fcm_transport, fake_google, answer, code, permanent, forget
):
    fake_google.reply("token-x", answer)

    [result] = _send_one(fcm_transport)

    assert not result.ok
    assert result.message_id is None
    assert (result.error.code, result.error.permanent, result.error.forget_token) == (code, permanent, forget)
    assert result.should_retry is (not permanent)
    assert result.should_forget_token is forget


def test_unregistered_token_is_permanent_and_forgotten(fcm_transport, fake_google):
    fake_google.reply("token-x", "UNREGISTERED")

    [result] = _send_one(fcm_transport)

    assert result.error.permanent
    assert result.error.forget_token
    assert "Requested entity was not found." in result.error.message


def test_apns_certificate_failure_does_not_forget_the_token(fcm_transport, fake_google):
    # An expired APNs key on our side must never make the backend delete every iPhone.
    fake_google.reply("token-x", "THIRD_PARTY_AUTH_ERROR")

    [result] = _send_one(fcm_transport)

    assert result.error.permanent
    assert not result.error.forget_token


def test_each_token_in_one_batch_gets_its_own_outcome(fcm_transport, fake_google):
    fake_google.reply("dead", "UNREGISTERED")
    fake_google.reply("busy", "UNAVAILABLE")
    fake_google.reply("alien", "SENDER_ID_MISMATCH")
    fake_google.reply("broken", "INTERNAL")
    tokens = ("ok-1", "dead", "busy", "ok-2", "alien", "broken")

    results = fcm_transport.send(Message(tokens=tokens, title="t", body="b"))

    assert [r.token for r in results] == list(tokens)
    outcome = {r.token: (r.ok, r.error.code if r.error else None, r.should_retry) for r in results}
    assert outcome == {
        "ok-1": (True, None, False),
        "dead": (False, "UNREGISTERED", False),
        "busy": (False, "UNAVAILABLE", True),
        "ok-2": (True, None, False),
        "alien": (False, "SENDER_ID_MISMATCH", False),
        "broken": (False, "INTERNAL", True),
    }


def test_quota_exceeded_honours_retry_after_seconds(fcm_transport, fake_google):
    fake_google.reply("token-x", "QUOTA_EXCEEDED", headers={"Retry-After": "37"})

    [result] = _send_one(fcm_transport)

    assert result.error.code == "QUOTA_EXCEEDED"
    assert result.error.retry_after == 37.0


def test_unavailable_honours_retry_after_http_date(fcm_transport, fake_google):
    # The fixture's clock says 1_700_000_000 = Tue, 14 Nov 2023 22:13:20 GMT.
    fake_google.reply("token-x", "UNAVAILABLE", headers={"Retry-After": "Tue, 14 Nov 2023 22:15:00 GMT"})

    [result] = _send_one(fcm_transport)

    assert result.error.code == "UNAVAILABLE"
    assert result.error.retry_after == 100.0


def test_temporary_error_without_retry_after_leaves_it_unset(fcm_transport, fake_google):
    fake_google.reply("token-x", "INTERNAL")

    [result] = _send_one(fcm_transport)

    assert result.error.retry_after is None


def test_malformed_retry_after_is_ignored(fcm_transport, fake_google):
    fake_google.reply("token-x", "UNAVAILABLE", headers={"Retry-After": "soon"})

    [result] = _send_one(fcm_transport)

    assert result.error.code == "UNAVAILABLE"
    assert result.error.retry_after is None


def test_connection_failure_to_fcm_is_temporary(fcm_transport, fake_google):
    fake_google.reply("token-x", "CONNECTION_ERROR")

    [result] = _send_one(fcm_transport)

    assert (result.error.code, result.error.permanent) == ("UNAVAILABLE", False)


def test_timeout_talking_to_fcm_is_temporary(fcm_transport, fake_google):
    fake_google.reply("token-x", "TIMEOUT")

    [result] = _send_one(fcm_transport)

    assert (result.error.code, result.error.permanent) == ("DEADLINE_EXCEEDED", False)


def test_retry_after_date_without_zone_is_read_as_gmt_on_a_server_in_china(
    fcm_transport, fake_google, monkeypatch
):
    # "-0000" parses without a zone; read as local time it would be off by eight hours here.
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        fake_google.reply(
            "token-x", "UNAVAILABLE", headers={"Retry-After": "Tue, 14 Nov 2023 22:15:00 -0000"}
        )

        [result] = _send_one(fcm_transport)
    finally:
        monkeypatch.undo()
        time.tzset()

    assert result.error.retry_after == 100.0
