"""deliver() retries only what failed temporarily, and stops when it should."""

from __future__ import annotations

import random
from typing import ClassVar

import pytest

from notifications import DeliveryResult, Message, RetryPolicy, Transport, TransportError, deliver

UNAVAILABLE = TransportError("unavailable", code="UNAVAILABLE", permanent=False)
UNREGISTERED = TransportError("gone", code="UNREGISTERED", permanent=True, forget_token=True)


class ScriptedTransport(Transport):
    """Answers each token from a script: a list of outcomes, the last one repeating."""

    name: ClassVar[str] = "scripted"

    def __init__(self, script: dict[str, list[TransportError | None]]) -> None:
        self.script = script
        self.sent: list[tuple[str, ...]] = []

    def send(self, message: Message) -> list[DeliveryResult]:
        self.sent.append(message.tokens)
        results = []
        for token in message.tokens:
            outcomes = self.script.get(token, [None])
            outcome = outcomes.pop(0) if len(outcomes) > 1 else outcomes[0]
            if outcome is None:
                results.append(DeliveryResult.delivered(token, f"id-{token}-{len(self.sent)}"))
            else:
                results.append(DeliveryResult.failed(token, outcome))
        return results


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


POLICY = RetryPolicy(max_attempts=4, base_delay_s=1.0, max_delay_s=30.0)


def _message(*tokens: str) -> Message:
    return Message(tokens=tokens, title="请按时签到", body="距签到截止还有十分钟")


def test_only_temporarily_failed_tokens_are_sent_again():
    transport = ScriptedTransport({"dead": [UNREGISTERED], "busy": [UNAVAILABLE, None]})
    sleep = Sleeps()

    results = deliver(transport, _message("ok", "dead", "busy"), POLICY, sleep=sleep, rng=random.Random(1))

    assert transport.sent == [("ok", "dead", "busy"), ("busy",)]
    assert [(r.token, r.ok) for r in results] == [("ok", True), ("dead", False), ("busy", True)]
    assert results[1].error is UNREGISTERED
    assert len(sleep) == 1


def test_gives_up_after_max_attempts_and_reports_the_last_temporary_error():
    transport = ScriptedTransport({"busy": [UNAVAILABLE]})
    sleep = Sleeps()

    [result] = deliver(transport, _message("busy"), POLICY, sleep=sleep, rng=random.Random(1))

    assert transport.sent == [("busy",)] * POLICY.max_attempts
    assert len(sleep) == POLICY.max_attempts - 1
    assert result.should_retry
    assert result.error is UNAVAILABLE


def test_single_attempt_policy_never_retries():
    transport = ScriptedTransport({"busy": [UNAVAILABLE]})
    sleep = Sleeps()

    deliver(transport, _message("busy"), RetryPolicy(max_attempts=1), sleep=sleep)

    assert transport.sent == [("busy",)]
    assert sleep == []


def test_nothing_is_retried_when_everything_succeeded_or_failed_for_good():
    transport = ScriptedTransport({"dead": [UNREGISTERED]})
    sleep = Sleeps()

    deliver(transport, _message("ok", "dead"), POLICY, sleep=sleep)

    assert transport.sent == [("ok", "dead")]
    assert sleep == []


def test_waits_grow_with_each_attempt_within_the_policy():
    transport = ScriptedTransport({"busy": [UNAVAILABLE]})
    sleep = Sleeps()

    deliver(transport, _message("busy"), POLICY, sleep=sleep, rng=random.Random(3))

    assert len(sleep) == 3
    for attempt, seconds in enumerate(sleep, start=1):
        assert 0.0 <= seconds <= min(POLICY.max_delay_s, POLICY.base_delay_s * 2 ** (attempt - 1))


def test_retry_after_from_the_provider_is_waited_out():
    quota = TransportError("quota", code="QUOTA_EXCEEDED", permanent=False, retry_after=12.0)
    transport = ScriptedTransport({"a": [quota, None], "b": [UNAVAILABLE, None]})
    sleep = Sleeps()

    results = deliver(transport, _message("a", "b"), POLICY, sleep=sleep, rng=random.Random(1))

    assert sleep == [12.0]
    assert all(r.ok for r in results)


def test_retry_after_longer_than_the_policy_allows_is_left_to_the_caller():
    quota = TransportError("quota", code="QUOTA_EXCEEDED", permanent=False, retry_after=3600.0)
    transport = ScriptedTransport({"a": [quota, None]})
    sleep = Sleeps()

    [result] = deliver(transport, _message("a"), POLICY, sleep=sleep)

    assert transport.sent == [("a",)]
    assert sleep == []
    assert result.should_retry
    assert result.error.retry_after == 3600.0


def test_transport_raising_for_the_whole_call_counts_as_that_error_for_each_token():
    class FlakyProvider(Transport):
        name: ClassVar[str] = "flaky"

        def __init__(self) -> None:
            self.calls = 0

        def send(self, message: Message) -> list[DeliveryResult]:
            self.calls += 1
            if self.calls == 1:
                raise TransportError("gateway down", code="UNAVAILABLE", permanent=False)
            return [DeliveryResult.delivered(token, "ok") for token in message.tokens]

    transport = FlakyProvider()

    results = deliver(transport, _message("a", "b"), POLICY, sleep=Sleeps())

    assert transport.calls == 2
    assert all(r.ok for r in results)


def test_transport_that_loses_a_token_is_a_bug_not_a_delivery():
    class Lossy(Transport):
        name: ClassVar[str] = "lossy"

        def send(self, message: Message) -> list[DeliveryResult]:
            return [DeliveryResult.delivered(message.tokens[0], "ok")]

    with pytest.raises(RuntimeError, match="no result for 1 token"):
        deliver(Lossy(), _message("a", "b"), POLICY, sleep=Sleeps())


def test_through_real_fcm_the_unavailable_token_is_retried_and_the_dead_one_is_not(
    fcm_transport, fake_google
):
    fake_google.reply("busy", "UNAVAILABLE", "OK")
    fake_google.reply("dead", "UNREGISTERED")
    sleep = Sleeps()

    results = deliver(
        fcm_transport, _message("ok", "busy", "dead"), POLICY, sleep=sleep, rng=random.Random(1)
    )

    assert sorted(fake_google.sent_tokens()[:3]) == ["busy", "dead", "ok"]
    assert fake_google.sent_tokens()[3:] == ["busy"]
    assert [(r.token, r.ok) for r in results] == [("ok", True), ("busy", True), ("dead", False)]
    assert results[2].should_forget_token
    assert len(sleep) == 1
