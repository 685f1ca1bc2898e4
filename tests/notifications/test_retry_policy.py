"""RetryPolicy.delay_for: exponential backoff with full jitter, bounded, deferring to retry_after."""

from __future__ import annotations

import random
import statistics

import pytest

from notifications import RetryPolicy


class TopOfRange(random.Random):
    """An rng whose uniform(a, b) always returns b, exposing the backoff ceiling."""

    def uniform(self, a: float, b: float) -> float:
        return b


POLICY = RetryPolicy(max_attempts=8, base_delay_s=2.0, max_delay_s=60.0)


def test_ceiling_doubles_each_attempt_until_the_maximum():
    ceilings = [POLICY.delay_for(attempt, rng=TopOfRange()) for attempt in range(1, 8)]

    assert ceilings == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]


@pytest.mark.parametrize("attempt", [1, 2, 3, 5, 6, 30])
def test_every_delay_stays_between_zero_and_the_ceiling(attempt):
    rng = random.Random(attempt)
    ceiling = min(60.0, 2.0 * 2 ** (attempt - 1))

    delays = [POLICY.delay_for(attempt, rng=rng) for _ in range(2000)]

    assert min(delays) >= 0.0
    assert max(delays) <= ceiling
    # Full jitter spreads over the whole range, not just near the ceiling.
    assert min(delays) < ceiling * 0.05
    assert max(delays) > ceiling * 0.95


def test_delays_are_jittered_uniformly_not_fixed():
    rng = random.Random(7)

    delays = [POLICY.delay_for(4, rng=rng) for _ in range(4000)]

    assert len(set(delays)) > 3990
    assert statistics.mean(delays) == pytest.approx(8.0, rel=0.05)  # half of the 16 s ceiling


def test_same_seed_gives_the_same_delays():
    first = [POLICY.delay_for(3, rng=random.Random(42)) for _ in range(5)]
    second = [POLICY.delay_for(3, rng=random.Random(42)) for _ in range(5)]

    assert first == second


def test_huge_attempt_number_neither_overflows_nor_exceeds_the_maximum():
    assert POLICY.delay_for(100_000, rng=TopOfRange()) == 60.0


def test_longer_retry_after_wins_even_above_the_maximum():
    assert POLICY.delay_for(1, rng=TopOfRange(), retry_after=30.0) == 30.0
    assert POLICY.delay_for(1, rng=TopOfRange(), retry_after=600.0) == 600.0


def test_shorter_retry_after_does_not_shorten_the_backoff():
    assert POLICY.delay_for(5, rng=TopOfRange(), retry_after=1.0) == 32.0


def test_attempt_counts_from_one():
    with pytest.raises(ValueError, match="attempt"):
        POLICY.delay_for(0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"max_attempts": 0}, "max_attempts"),
        ({"base_delay_s": 0}, "base_delay_s"),
        ({"base_delay_s": 10, "max_delay_s": 5}, "max_delay_s"),
    ],
)
def test_nonsensical_policy_is_refused(kwargs, field):
    with pytest.raises(ValueError, match=field):
        RetryPolicy(**kwargs)
