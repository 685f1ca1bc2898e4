"""The evaluator goes on when the shared cache (Redis) that carries the zones' generation is away:
it reads zones from the database every round instead, and drops what it kept once Redis is back."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
import redis.exceptions

from backend.monitoring import zones

pytestmark = pytest.mark.django_db

AWAY = redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


@pytest.fixture(autouse=True)
def fresh_generation() -> Any:
    zones._generation[:] = [0.0, -1.0]
    zones._cache_away[0] = False
    yield
    zones._generation[:] = [0.0, -1.0]
    zones._cache_away[0] = False


def test_every_round_gets_its_own_generation_while_redis_is_away(subject_a: Any) -> None:
    zones.zones_for(subject_a)
    assert zones.cached_zones(subject_a.pk) is not None
    zones._generation[1] = -1.0  # the last read is older than GENERATION_MAX_AGE_S
    with mock.patch.object(zones.cache, "get", side_effect=AWAY):
        first, second = zones.zones_generation(), zones.zones_generation()
        assert first < 0 and second < 0 and first != second  # nothing kept is reused
        assert zones.cached_zones(subject_a.pk) is None
        assert zones.zones_for(subject_a) == []  # still evaluable: from the database


def test_an_edit_while_redis_is_away_is_seen_and_the_old_lists_dropped_when_it_returns(
    subject_a: Any,
) -> None:
    from backend.monitoring.models import Zone

    before = zones.zones_generation()
    assert zones.zones_for(subject_a, before) == []
    with (
        mock.patch.object(zones.cache, "set", side_effect=AWAY),
        mock.patch.object(zones.cache, "get", side_effect=AWAY),
    ):
        Zone.objects.create(
            office_id=subject_a.office_id,
            subject=subject_a,
            name="家",
            kind="inclusion",
            geometry={"type": "Point", "coordinates": [122.36, 37.16]},
            radius_m=300,
        )
        zones.zones_changed()  # cannot share the new generation: logged, not raised
        zones._generation[1] = -1.0
        assert len(zones.zones_for(subject_a, zones.zones_generation())) == 1
    zones._generation[1] = -1.0
    back = zones.zones_generation()
    assert len(zones.zones_for(subject_a, back)) == 1  # not the list kept before the outage


def test_the_shared_generation_is_not_a_counter_a_restarted_redis_would_repeat() -> None:
    zones.zones_changed()
    zones._generation[1] = -1.0
    first = zones.zones_generation()
    zones.zones_changed()
    zones._generation[1] = -1.0
    assert zones.zones_generation() != first
    assert first not in (0, 1)
