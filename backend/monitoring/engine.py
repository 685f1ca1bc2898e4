"""The bridge between stored check-ins and the pure ``geofence`` engine: fixes in columns, the
vectorised evaluation of a round, and the engine states kept between rounds. The zones it
evaluates against come from ``backend.monitoring.zones``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
import numpy as np
from numpy.typing import NDArray

import geofence as gf
from backend.monitoring.checkin_input import FixInput
from backend.monitoring.zones import cached_zones, zones_for, zones_generation
from backend.supervision.models import Subject
from geofence.crs import CRS_CODES, convert_codes_to_wgs84, to_wgs84
from geofence.fixes import (
    QUALITY_BY_CODE,
    QUALITY_CODES,
    datetime_from_us,
    static_quality,
    static_quality_one,
    to_epoch_us,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EngineEvent:
    kind: str  # breach_opened, breach_closed, crossing, approach, mock_location, teleport
    zone_id: int | None
    at: dt.datetime
    fix_ids: list[str]
    late: bool
    detail: dict[str, Any]

    @property
    def episode_key(self) -> str:
        return self.at.isoformat()


# One quality policy for ingest and evaluation (the engine's documented defaults).
QUALITY = gf.QualityConfig()


_CODE_OF = {quality.value: code for quality, code in QUALITY_CODES.items()}
_CRS_CODE = {crs.value: code for crs, code in CRS_CODES.items()}
_QUALITY_VALUE = tuple(quality.value for quality in QUALITY_BY_CODE)


@dataclass(frozen=True)
class StoredFixes:
    """Stored check-ins in columns, as the evaluator reads them back: id order, WGS-84, epoch µs."""

    id: NDArray[np.int64]
    subject_id: NDArray[np.int64]
    client_id: list[str]
    recorded_us: NDArray[np.int64]
    received_us: NDArray[np.int64]
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    accuracy_m: NDArray[np.float64]
    mock: NDArray[np.bool_]
    quality: NDArray[np.int8]  # the class stored at receipt (geofence quality codes)
    battery: list[float | None]
    charging: list[bool | None]

    COLUMNS = (
        "id",
        "subject_id",
        "client_id",
        "recorded_at",
        "received_at",
        "lat",
        "lon",
        "accuracy_m",
        "mock_location",
        "quality",
        "battery",
        "charging",
    )

    @classmethod
    def from_rows(cls, rows: list[tuple[Any, ...]]) -> StoredFixes:
        """From rows in ``COLUMNS`` order (times already in epoch microseconds)."""
        cols: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [()] * len(cls.COLUMNS)
        return cls(
            np.array(cols[0], np.int64),
            np.array(cols[1], np.int64),
            [str(c) for c in cols[2]],
            np.array(cols[3], np.int64),
            np.array(cols[4], np.int64),
            np.array(cols[5], np.float64),
            np.array(cols[6], np.float64),
            np.array(cols[7], np.float64),
            np.array(cols[8], bool),
            np.array([_CODE_OF[q] for q in cols[9]], np.int8),
            list(cols[10]),
            list(cols[11]),
        )

    def __len__(self) -> int:
        return len(self.client_id)

    def take(self, rows: list[int]) -> StoredFixes:
        """The fixes at ``rows``, in that order."""
        index = np.asarray(rows, np.int64)
        return StoredFixes(
            self.id[index],
            self.subject_id[index],
            [self.client_id[r] for r in rows],
            self.recorded_us[index],
            self.received_us[index],
            self.lat[index],
            self.lon[index],
            self.accuracy_m[index],
            self.mock[index],
            self.quality[index],
            [self.battery[r] for r in rows],
            [self.charging[r] for r in rows],
        )


@dataclass(frozen=True)
class BatchResult:
    """New engine states and events per subject, and each fix's final class (quality codes)."""

    states: dict[int, gf.PersonState]
    events: dict[int, list[EngineEvent]]
    quality: NDArray[np.int8]


SCALAR_RECEIPT_MAX = 8


def at_receipt(fixes: list[FixInput], received_at: dt.datetime) -> list[tuple[float, float, str]]:
    """WGS-84 position and fix class of each fix as received (``(lat, lon, quality)``).

    The classes decided by one fix alone (low accuracy, future, stale, null island, out of
    range, mock); the evaluator may later find a teleport and store that instead.
    """
    n = len(fixes)
    if n <= SCALAR_RECEIPT_MAX:  # most uploads carry a fix or two: plain Python is ten times faster
        now_us = to_epoch_us(received_at)
        out = []
        for fix in fixes:
            code = static_quality_one(
                fix.lat,
                fix.lon,
                fix.accuracy_m,
                to_epoch_us(fix.recorded_at),
                now_us,
                fix.mock_location,
                now_us,
                QUALITY,
            )
            lat, lon = (fix.lat, fix.lon) if fix.crs == gf.Crs.WGS84 else to_wgs84(fix.lat, fix.lon, fix.crs)
            out.append((lat, lon, _QUALITY_VALUE[code]))
        return out
    column = dict(zip(FixInput._fields, zip(*fixes, strict=True), strict=True))  # one C-level pass per column
    lats, lons = np.array(column["lat"], np.float64), np.array(column["lon"], np.float64)
    recorded = np.fromiter(map(to_epoch_us, column["recorded_at"]), np.int64, n)
    received_us = to_epoch_us(received_at)
    codes = static_quality(
        lats,
        lons,
        np.array(column["accuracy_m"], np.float64),
        recorded,
        np.full(n, received_us, np.int64),
        np.array(column["mock_location"], bool),
        received_us,
        QUALITY,
    )
    # The engine's own vectorised normalisation of a mixed batch (GCJ-02 and BD-09 inverses).
    wlat, wlon = convert_codes_to_wgs84(
        lats, lons, np.fromiter(map(_CRS_CODE.__getitem__, column["crs"]), np.int8, n)
    )
    return list(
        zip(wlat.tolist(), wlon.tolist(), map(_QUALITY_VALUE.__getitem__, codes.tolist()), strict=True)
    )


def evaluate_batch(
    subjects: dict[int, Subject], states: dict[int, gf.PersonState | None], fixes: StoredFixes
) -> BatchResult:
    """Run the engine on the new fixes of several subjects at once (vectorised across them).

    ``states`` are the persons' engine states (``None``: nothing evaluated yet). ``now`` is the
    latest receive time of the batch, so a fix is judged stale or from the future against the
    time it reached the server, not against when the evaluator got to it.
    """
    by_subject = sorted(set(fixes.subject_id.tolist()))
    generation = zones_generation()
    zone_sets = {str(pk): zones_for(subjects[pk], generation) for pk in by_subject}
    previous = {str(pk): state for pk in by_subject if (state := states.get(pk)) is not None}
    now = datetime_from_us(int(fixes.received_us.max()))
    if not any(zone_sets.values()):
        # No zones at all in this batch (the vectorised evaluator needs at least one): the
        # integrity rules (mock location, teleports) still run, person by person.
        new_states, geo_events, codes = _without_zones(previous, fixes, now)
    else:
        evaluator = _batch_evaluator(zone_sets)
        index = np.zeros(max(by_subject) + 1, np.int64)
        for pk in by_subject:
            index[pk] = evaluator.person_index[str(pk)]
        n = len(fixes)
        batch = gf.FixBatch(
            ids=fixes.client_id,
            person=index[fixes.subject_id],
            recorded_us=fixes.recorded_us,
            received_us=fixes.received_us,
            lat=fixes.lat,
            lon=fixes.lon,
            accuracy_m=fixes.accuracy_m,
            crs=np.zeros(n, np.int8),
            mock=fixes.mock,
        )
        result = evaluator.evaluate(previous, batch, now=now)
        new_states, geo_events, codes = result.states, result.events, result.quality
    events: dict[int, list[EngineEvent]] = {}
    for event in geo_events:
        events.setdefault(int(event.person_id), []).append(
            EngineEvent(
                kind=event.kind.value,
                zone_id=int(event.zone_id) if event.zone_id else None,
                at=event.at,
                fix_ids=list(event.fix_ids),
                late=event.late,
                detail=dict(event.detail),
            )
        )
    return BatchResult(states={int(pid): st for pid, st in new_states.items()}, events=events, quality=codes)


# ---------------------------------------------------------------------------------------------
# Engine states between rounds
# ---------------------------------------------------------------------------------------------

# Each person's engine state as this process last stored it, with the evaluation cursor it was
# stored under (``MonitorState.evaluated_through_id``, which only grows). A round that locks the
# row and finds the same cursor reuses the state instead of reading and decoding the stored JSON
# (that cost a third of evaluating a person). Anyone else who evaluates the person moves the
# cursor, and a round that rolls back is never remembered, so a stale state is never used.
REMEMBERED_STATES_MAX = 20_000
_remembered: dict[int, tuple[int, gf.PersonState]] = {}


def remembered_states(cursors: Mapping[int, int | None]) -> dict[int, gf.PersonState]:
    """The states this process remembers for persons whose stored cursor is still ``cursors``'."""
    found = {}
    for pk, cursor in cursors.items():
        entry = _remembered.get(pk)
        if entry is not None and cursor is not None and entry[0] == cursor:
            found[pk] = entry[1]
    return found


def remember_states(states: list[tuple[int, int, gf.PersonState]]) -> None:
    """Remember ``(person, cursor, state)`` once stored (call it on commit); the oldest go first."""
    for pk, cursor, state in states:
        _remembered.pop(pk, None)
        _remembered[pk] = (cursor, state)
    while len(_remembered) > REMEMBERED_STATES_MAX:
        del _remembered[next(iter(_remembered))]


class UnevaluableData(Exception):
    """The engine failed on the persons' own data (their fixes, stored state or zones), as
    opposed to the database or the channel layer failing: what ``services.evaluate_pending``
    sets aside fix by fix instead of retrying."""


def state_from_json(value: str | dict[str, Any] | None) -> gf.PersonState | None:
    """A stored engine state (JSON text or decoded); ``None`` for a person never evaluated."""
    data = msgspec.json.decode(value) if isinstance(value, str | bytes) else value
    return gf.PersonState.from_dict(data) if data else None


def state_json(state: gf.PersonState) -> str:
    """``state`` as the JSON the monitoring state stores."""
    return msgspec.json.encode(state.to_dict()).decode()


# One vectorised evaluator per process, reused by every round while the zones it was built from
# are the cached ones: building one per round cost as much as evaluating a small round. A round
# with someone new adds them (rebuilding once); zones reloaded (edited) rebuild it.
EVALUATOR_MAX_PERSONS = 5_000
_evaluator: dict[str, Any] = {"evaluator": None, "zones": {}}


def _batch_evaluator(zone_sets: dict[str, list[gf.Zone]]) -> gf.BatchEvaluator:
    built: dict[str, list[gf.Zone]] = _evaluator["zones"]
    # The lists are zones_for's cached ones: the same list object means the same zones.
    if _evaluator["evaluator"] is not None and all(
        built.get(pid) is zones for pid, zones in zone_sets.items()
    ):
        return _evaluator["evaluator"]  # type: ignore[no-any-return]
    keep = {pid: zones for pid, zones in built.items() if cached_zones(int(pid)) is zones}
    merged = {**(keep if len(keep) < EVALUATOR_MAX_PERSONS else {}), **zone_sets}
    evaluator = gf.BatchEvaluator(merged, quality=QUALITY)
    _evaluator.update(evaluator=evaluator, zones=merged)
    return evaluator


def _without_zones(
    previous: dict[str, gf.PersonState],
    fixes: StoredFixes,
    now: dt.datetime,
) -> tuple[dict[str, gf.PersonState], list[gf.GeofenceEvent], NDArray[np.int8]]:
    per_person: dict[str, list[gf.Fix]] = {}
    for i, client_id in enumerate(fixes.client_id):
        pid = str(fixes.subject_id[i])
        per_person.setdefault(pid, []).append(
            gf.Fix(
                id=client_id,
                person_id=pid,
                recorded_at=datetime_from_us(int(fixes.recorded_us[i])),
                lat=float(fixes.lat[i]),
                lon=float(fixes.lon[i]),
                accuracy_m=float(fixes.accuracy_m[i]),
                crs=gf.Crs.WGS84,
                received_at=datetime_from_us(int(fixes.received_us[i])),
                mock_location=bool(fixes.mock[i]),
            )
        )
    new_states: dict[str, gf.PersonState] = {}
    events: list[gf.GeofenceEvent] = []
    quality: dict[str, gf.FixQuality] = {}
    for pid, mine in per_person.items():
        result = gf.evaluate_person(previous.get(pid), mine, [], now=now, quality=QUALITY, person_id=pid)
        new_states[pid] = result.state
        events.extend(result.events)
        quality.update(result.qualities)
    return new_states, events, np.array([QUALITY_CODES[quality[c]] for c in fixes.client_id], np.int8)
