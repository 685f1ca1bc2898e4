"""The per-token router refuses a default provider it has no transport for, and closes every transport."""

from __future__ import annotations

import pytest

from notifications import ConsoleTransport
from notifications.routing import RoutingTransport


def test_a_default_provider_without_a_transport_is_refused() -> None:
    with pytest.raises(ValueError, match="default provider 'hms'"):
        RoutingTransport({"fcm": ConsoleTransport()}, default="hms")


def test_closing_the_router_closes_each_transport() -> None:
    closed: list[str] = []

    class Closing(ConsoleTransport):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.label = name

        def close(self) -> None:
            closed.append(self.label)

    RoutingTransport({"fcm": Closing("fcm"), "hms": Closing("hms")}, default="fcm").close()
    assert sorted(closed) == ["fcm", "hms"]
