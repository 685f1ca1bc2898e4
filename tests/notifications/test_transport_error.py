"""TransportError and DeliveryResult keep their promises to the backend."""

from __future__ import annotations

import pickle

import pytest

from notifications import (
    DeliveryResult,
    TransportError,
    longest_retry_after,
    tokens_to_forget,
    tokens_to_retry,
)


def test_forgetting_a_token_implies_the_error_is_permanent():
    with pytest.raises(ValueError, match="forget_token"):
        TransportError("x", code="UNREGISTERED", permanent=False, forget_token=True)


def test_negative_retry_after_is_refused():
    with pytest.raises(ValueError, match="retry_after"):
        TransportError("x", code="UNAVAILABLE", permanent=False, retry_after=-1)


def test_error_survives_pickling_for_celery():
    error = TransportError("quota", code="QUOTA_EXCEEDED", permanent=False, retry_after=30.0)

    copy = pickle.loads(pickle.dumps(error))

    assert copy == error
    assert (copy.code, copy.permanent, copy.forget_token, copy.retry_after) == (
        "QUOTA_EXCEEDED",
        False,
        False,
        30.0,
    )


def test_delivered_result_cannot_carry_an_error():
    with pytest.raises(ValueError):
        DeliveryResult(token="a", ok=True, error=TransportError("x", code="X", permanent=True))


def test_failed_result_needs_its_error():
    with pytest.raises(ValueError):
        DeliveryResult(token="a", ok=False)


def test_backend_helpers_sort_tokens_into_retry_and_forget():
    results = [
        DeliveryResult.delivered("ok", "id"),
        DeliveryResult.failed(
            "dead", TransportError("x", code="UNREGISTERED", permanent=True, forget_token=True)
        ),
        DeliveryResult.failed("apns", TransportError("x", code="THIRD_PARTY_AUTH_ERROR", permanent=True)),
        DeliveryResult.failed(
            "busy", TransportError("x", code="UNAVAILABLE", permanent=False, retry_after=5.0)
        ),
        DeliveryResult.failed(
            "quota", TransportError("x", code="QUOTA_EXCEEDED", permanent=False, retry_after=40.0)
        ),
    ]

    assert tokens_to_retry(results) == ("busy", "quota")
    assert tokens_to_forget(results) == ("dead",)
    assert longest_retry_after(results) == 40.0


def test_no_retry_after_when_no_temporary_failure_gave_one():
    results = [DeliveryResult.failed("busy", TransportError("x", code="INTERNAL", permanent=False))]

    assert longest_retry_after(results) is None
