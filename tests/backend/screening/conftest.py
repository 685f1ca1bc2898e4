from __future__ import annotations

from collections.abc import Iterator

import pytest

OWN_SOURCES = {"monitoring", "reminders", "supervision"}


@pytest.fixture(autouse=True)
def _registry_restored() -> Iterator[None]:
    """Each test leaves the factor registry as it found it."""
    from backend.screening import factors

    saved = dict(factors._factors)
    yield
    factors._factors.clear()
    factors._factors.update(saved)


@pytest.fixture
def own_factors() -> None:
    """Only the factors this app reads itself: the scores do not depend on which modules are installed."""
    from backend.screening import factors

    for code, factor in list(factors._factors.items()):
        if factor.source not in OWN_SOURCES:
            del factors._factors[code]
