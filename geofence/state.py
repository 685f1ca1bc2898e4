"""The per-person state the backend stores between evaluations.

It is small and bounded: a few scalars, two fix snapshots, and per zone only what is not
the default (a clear zone with no recent history takes no space). Evidence lists, episode
histories and the recent-event keys are capped. ``to_dict`` gives plain JSON.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from geofence._json import JSON, JSONDict
from geofence.fixes import (
    INT64_MAX,
    INT64_MIN,
    MAX_DATETIME_US,
    MIN_DATETIME_US,
    datetime_from_us,
    to_epoch_us,
)

__all__ = ["FixPoint", "PersonState", "ZoneEpisodeState"]

STATE_VERSION = 1
# Caps that keep the state bounded whatever happens.
MAX_EVIDENCE = 32
MAX_EPISODE_HISTORY = 8
MAX_RECENT_EVENTS = 32

PHASE_CLEAR = "clear"
PHASE_PENDING = "pending"
PHASE_OPEN = "open"


def _time_out(us: int | None) -> JSON:
    # A phone's clock can put a recorded time anywhere in int64, and the state keeps such
    # times (a stored anchor, an old high-water mark). Those a datetime cannot hold are
    # written as integer microseconds, so that every state reads back as it was written.
    if us is None:
        return None
    if MIN_DATETIME_US <= us <= MAX_DATETIME_US:
        return datetime_from_us(us).isoformat()
    return int(us)


def _time_in(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if not INT64_MIN <= value <= INT64_MAX:
            raise ValueError(f"time {value} is out of the int64 microsecond range")
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO date-time or epoch microseconds, got {value!r}")
    return to_epoch_us(dt.datetime.fromisoformat(value))


@dataclass(frozen=True)
class FixPoint:
    """A compact snapshot of one good fix (WGS-84), kept for teleport and crossing checks."""

    id: str
    at_us: int
    lat: float
    lon: float
    accuracy_m: float

    def to_dict(self) -> JSONDict:
        """JSON form."""
        return {
            "id": self.id,
            "at": _time_out(self.at_us),
            "lat": self.lat,
            "lon": self.lon,
            "accuracy_m": self.accuracy_m,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FixPoint:
        """Inverse of ``to_dict``."""
        at = _time_in(data["at"])
        assert at is not None
        return cls(str(data["id"]), at, float(data["lat"]), float(data["lon"]), float(data["accuracy_m"]))


@dataclass(frozen=True)
class ZoneEpisodeState:
    """Where one zone's breach and approach machines stand for one person.

    ``phase`` is clear, pending (violating fixes seen, not yet confirmed) or open;
    ``since_us`` is the first violating fix of the pending or open episode; ``episodes`` are
    the last few breach intervals (start, end or None while open), used to recognise late
    data that belongs to an episode already reported.
    """

    zone_id: str
    phase: str = PHASE_CLEAR
    since_us: int | None = None
    count: int = 0
    evidence: tuple[str, ...] = ()
    opened_us: int | None = None
    clear_count: int = 0
    clear_ids: tuple[str, ...] = ()
    approach_open: bool = False
    far_count: int = 0
    episodes: tuple[tuple[int, int | None], ...] = ()

    @property
    def is_default(self) -> bool:
        """True when storing this entry would carry no information."""
        return (
            self.phase == PHASE_CLEAR and not self.approach_open and self.far_count == 0 and not self.episodes
        )

    def to_dict(self) -> JSONDict:
        """JSON form."""
        episodes: list[JSON] = [[_time_out(s), _time_out(e)] for s, e in self.episodes]
        return {
            "phase": self.phase,
            "since": _time_out(self.since_us),
            "count": self.count,
            "evidence": list(self.evidence),
            "opened": _time_out(self.opened_us),
            "clear_count": self.clear_count,
            "clear_ids": list(self.clear_ids),
            "approach_open": self.approach_open,
            "far_count": self.far_count,
            "episodes": episodes,
        }

    @classmethod
    def from_dict(cls, zone_id: str, data: Mapping[str, Any]) -> ZoneEpisodeState:
        """Inverse of ``to_dict``."""
        phase = str(data.get("phase", PHASE_CLEAR))
        if phase not in (PHASE_CLEAR, PHASE_PENDING, PHASE_OPEN):
            raise ValueError(f"unknown episode phase {phase!r}")
        episodes = []
        for pair in data.get("episodes", []):
            start = _time_in(pair[0])
            assert start is not None
            episodes.append((start, _time_in(pair[1])))
        return cls(
            zone_id=zone_id,
            phase=phase,
            since_us=_time_in(data.get("since")),
            count=int(data.get("count", 0)),
            evidence=tuple(str(x) for x in data.get("evidence", [])),
            opened_us=_time_in(data.get("opened")),
            clear_count=int(data.get("clear_count", 0)),
            clear_ids=tuple(str(x) for x in data.get("clear_ids", [])),
            approach_open=bool(data.get("approach_open", False)),
            far_count=int(data.get("far_count", 0)),
            episodes=tuple(episodes),
        )


@dataclass(frozen=True)
class PersonState:
    """Everything the engine remembers about one person between calls.

    ``hwm_us``: the latest recorded time processed (fixes at or before it are late).
    ``anchor``: the last good fix (teleport and crossing checks start from it).
    ``chain``/``chain_count``: fixes consistent with each other after a jump, which re-anchor
    the track once there are enough. ``teleport_open``/``mock_open``: integrity episodes in
    progress. ``zones``: non-default per-zone states. ``recent``: short keys of recent events,
    so a re-uploaded batch does not raise its events twice.
    """

    person_id: str
    hwm_us: int | None = None
    anchor: FixPoint | None = None
    chain: FixPoint | None = None
    chain_count: int = 0
    teleport_open: bool = False
    mock_open: bool = False
    zones: tuple[ZoneEpisodeState, ...] = ()
    recent: tuple[str, ...] = field(default=())

    @property
    def high_water_mark(self) -> dt.datetime | None:
        """``hwm_us`` as a datetime (UTC; saturated at datetime's ends, see ``datetime_from_us``)."""
        return None if self.hwm_us is None else datetime_from_us(self.hwm_us)

    def zone(self, zone_id: str) -> ZoneEpisodeState:
        """The state of one zone (a default one if nothing is stored)."""
        for z in self.zones:
            if z.zone_id == zone_id:
                return z
        return ZoneEpisodeState(zone_id)

    def to_dict(self) -> JSONDict:
        """Plain JSON for the backend's JSON column."""
        zones: JSONDict = {z.zone_id: z.to_dict() for z in self.zones}
        recent: list[JSON] = list(self.recent)
        return {
            "v": STATE_VERSION,
            "person_id": self.person_id,
            "hwm": _time_out(self.hwm_us),
            "anchor": None if self.anchor is None else self.anchor.to_dict(),
            "chain": None if self.chain is None else self.chain.to_dict(),
            "chain_count": self.chain_count,
            "teleport_open": self.teleport_open,
            "mock_open": self.mock_open,
            "zones": zones,
            "recent": recent,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PersonState:
        """Inverse of ``to_dict``; raises ValueError on an unknown version."""
        if data.get("v") != STATE_VERSION:
            raise ValueError(f"unsupported PersonState version {data.get('v')!r}")
        zones_raw = data.get("zones") or {}
        return cls(
            person_id=str(data["person_id"]),
            hwm_us=_time_in(data.get("hwm")),
            anchor=None if data.get("anchor") is None else FixPoint.from_dict(data["anchor"]),
            chain=None if data.get("chain") is None else FixPoint.from_dict(data["chain"]),
            chain_count=int(data.get("chain_count", 0)),
            teleport_open=bool(data.get("teleport_open", False)),
            mock_open=bool(data.get("mock_open", False)),
            zones=tuple(ZoneEpisodeState.from_dict(str(k), v) for k, v in sorted(zones_raw.items())),
            recent=tuple(str(x) for x in data.get("recent", [])),
        )
