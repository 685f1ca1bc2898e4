"""When a whole SDK call fails before any token is tried, every token gets the same error."""

from __future__ import annotations

import requests

from notifications import Message


def test_refused_service_account_is_permanent_for_every_token_but_forgets_none(
    make_fcm_transport, fake_google
):
    fake_google.token_endpoint_answer = (
        400,
        {"error": "invalid_grant", "error_description": "Invalid JWT Signature."},
    )
    transport = make_fcm_transport()

    results = transport.send(Message(tokens=("a", "b", "c"), title="t", body="b"))

    assert [r.token for r in results] == ["a", "b", "c"]
    assert {(r.ok, r.error.code, r.error.permanent, r.error.forget_token) for r in results} == {
        (False, "AUTH_ERROR", True, False)
    }
    assert fake_google.fcm_requests == []


def test_unreachable_token_endpoint_is_temporary(make_fcm_transport, fake_google):
    fake_google.token_endpoint_answer = requests.exceptions.ConnectionError("Name or service not known")
    transport = make_fcm_transport()

    results = transport.send(Message(tokens=("a", "b"), title="t", body="b"))

    assert all(not r.ok and r.should_retry and not r.should_forget_token for r in results)
    assert fake_google.fcm_requests == []
