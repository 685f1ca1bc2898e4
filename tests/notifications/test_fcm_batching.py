"""Large recipient lists are split into firebase-admin calls of at most 500 tokens."""

from __future__ import annotations

import pytest
from firebase_admin import messaging

from notifications import Message


@pytest.fixture
def multicast_calls(monkeypatch):
    """The token counts of each send_each_for_multicast call, still running the real SDK."""
    calls: list[int] = []
    real = messaging.send_each_for_multicast

    def spy(multicast, dry_run=False, app=None):
        calls.append(len(multicast.tokens))
        return real(multicast, dry_run=dry_run, app=app)

    monkeypatch.setattr(messaging, "send_each_for_multicast", spy)
    return calls


def test_1200_tokens_go_out_in_three_calls_of_at_most_500(fcm_transport, fake_google, multicast_calls):
    tokens = tuple(f"device-{n:04d}" for n in range(1200))

    results = fcm_transport.send(
        Message(tokens=tokens, title="集中教育通知", body="本周六上午在矫正基地集中教育")
    )

    assert multicast_calls == [500, 500, 200]
    # firebase-admin's send_each makes one HTTP request per token (FCM v1 has no batch endpoint).
    assert len(fake_google.fcm_requests) == 1200
    assert sorted(fake_google.sent_tokens()) == list(tokens)
    assert [r.token for r in results] == list(tokens)
    assert all(r.ok for r in results)


def test_failures_keep_their_token_across_batch_boundaries(make_fcm_transport, fake_google, multicast_calls):
    # Batches of 3 exercise the same boundaries as batches of 500, at a fraction of the threads.
    transport = make_fcm_transport(batch_size=3)
    tokens = tuple(f"device-{n}" for n in range(8))
    fake_google.reply("device-2", "UNREGISTERED")  # last of the first batch
    fake_google.reply("device-3", "UNAVAILABLE")  # first of the second batch
    fake_google.reply("device-7", "INVALID_TOKEN")  # last of all

    results = transport.send(Message(tokens=tokens, title="t", body="b"))

    assert multicast_calls == [3, 3, 2]
    assert [r.token for r in results] == list(tokens)
    failed = {r.token: r.error.code for r in results if not r.ok}
    assert failed == {"device-2": "UNREGISTERED", "device-3": "UNAVAILABLE", "device-7": "INVALID_ARGUMENT"}


def test_smaller_batch_size_splits_accordingly(make_fcm_transport, fake_google, multicast_calls):
    transport = make_fcm_transport(batch_size=2)

    transport.send(Message(tokens=("a", "b", "c", "d", "e"), title="t", body="b"))

    assert multicast_calls == [2, 2, 1]


@pytest.mark.parametrize("batch_size", [0, 501])
def test_batch_size_outside_fcm_limits_is_refused(service_account_file, app_name, batch_size):
    from notifications.fcm import FCMTransport

    with pytest.raises(ValueError, match="batch_size"):
        FCMTransport(service_account_file, app_name=app_name, batch_size=batch_size)
