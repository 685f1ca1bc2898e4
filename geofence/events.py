"""Events the engine emits; the backend turns them into alerts."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from geofence._json import JSON, JSONDict

__all__ = ["EventKind", "GeofenceEvent"]


class EventKind(enum.StrEnum):
    """What happened.

    BREACH_OPENED / BREACH_CLOSED bracket one breach episode of one zone. CROSSING: two
    consecutive good fixes outside an exclusion zone whose straight segment passes through
    it. APPROACH: the first good fix of an approach episode within an exclusion zone's
    approach buffer. MOCK_LOCATION and TELEPORT are integrity signals, one per episode.
    """

    BREACH_OPENED = "breach_opened"
    BREACH_CLOSED = "breach_closed"
    CROSSING = "crossing"
    APPROACH = "approach"
    MOCK_LOCATION = "mock_location"
    TELEPORT = "teleport"


# Order of events at the same instant: integrity first, then warnings, then breaches.
KIND_ORDER: dict[EventKind, int] = {
    EventKind.TELEPORT: 0,
    EventKind.MOCK_LOCATION: 1,
    EventKind.APPROACH: 2,
    EventKind.CROSSING: 3,
    EventKind.BREACH_OPENED: 4,
    EventKind.BREACH_CLOSED: 5,
}


@dataclass(frozen=True)
class GeofenceEvent:
    """One event about one person.

    ``at`` is the recorded time of the fix that produced it (UTC); ``fix_ids`` are the
    evidence; ``late`` means it describes the past: its fixes arrived out of order (older
    than what the state had already processed) or more than ``QualityConfig.late_after_s``
    after they were recorded. ``detail`` is JSON-serialisable.
    """

    kind: EventKind
    person_id: str
    zone_id: str | None
    at: dt.datetime
    fix_ids: tuple[str, ...]
    late: bool = False
    detail: Mapping[str, JSON] = field(default_factory=dict)

    def sort_key(self) -> tuple[dt.datetime, int, str, tuple[str, ...]]:
        """Deterministic order: time, kind, zone, evidence."""
        return (self.at, KIND_ORDER[self.kind], self.zone_id or "", self.fix_ids)

    def to_dict(self) -> JSONDict:
        """JSON form for the backend and the websocket payloads."""
        return {
            "kind": self.kind.value,
            "person_id": self.person_id,
            "zone_id": self.zone_id,
            "at": self.at.isoformat(),
            "fix_ids": list(self.fix_ids),
            "late": self.late,
            "detail": dict(self.detail),
        }
