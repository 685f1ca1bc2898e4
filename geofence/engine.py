"""The engine: fix quality, verdicts and breach episodes for one person's fixes.

``evaluate_person`` is the entry point for one person's fixes. The backend evaluates uploads
with the vectorised batch path (``batch.BatchEvaluator.evaluate``, through its own
``evaluate_batch``) and calls ``evaluate_person`` only for a batch without any zone. Both share
``run_person``, so both give the same events for the same fixes.

Order of work for one person:

1. Fixes are deduplicated by id and sorted by (recorded time, id). Those recorded at or
   before the state's high-water mark are *late* (buffered offline and uploaded after newer
   ones); they are evaluated in a separate pass, in their own order, and what they reveal is
   reported with ``late=True`` instead of being dropped. The fresh fixes continue the live
   state.
2. Each fix is classified (``fixes``); TELEPORT is decided in time order against the last
   good fix. Mock-location and teleport episodes raise one integrity event each.
3. Good (OK) fixes get a verdict per zone (``verdicts``); a zone with a schedule only counts
   while the schedule is active at the fix's recorded time.
4. Per zone, a small state machine turns verdicts into episodes (see ``EpisodeConfig``):
   clear -> pending (violating fixes) -> open (``confirm_fixes`` spanning ``confirm_seconds``)
   -> clear again after ``clear_fixes`` compliant fixes, or when the schedule ends. Uncertain
   fixes neither confirm nor clear. One BREACH_OPENED and one BREACH_CLOSED per episode.
   Exclusion zones also get APPROACH (one per approach episode: opens on a good fix within
   the buffer, closes after ``clear_fixes`` good fixes whose whole disc is beyond it) and
   CROSSING (two consecutive good fixes both certainly outside, the straight segment between
   them passing through the zone deeper than the larger accuracy radius; see
   ``ZoneMetric.segment_deeper_than``).

Late episodes that overlap an episode already known for the zone are the same episode and
are not reported again; other late events are not repeated if a recent event had the same
evidence (a re-uploaded batch).
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import NDArray

from geofence._json import JSON
from geofence.crs import CRS_CODES, convert_codes_to_wgs84
from geofence.events import EventKind, GeofenceEvent
from geofence.fixes import (
    INT64_MAX,
    INT64_MIN,
    NO_TIME,
    Q_NULL_ISLAND,
    Q_OK,
    Q_OUT_OF_RANGE,
    Q_TELEPORT,
    QUALITY_BY_CODE,
    Fix,
    FixQuality,
    QualityConfig,
    datetime_from_us,
    future_times,
    implausible_jump,
    possible_jumps,
    static_quality,
    to_epoch_us,
)
from geofence.geodesy import distance_m_scalar
from geofence.state import (
    MAX_EPISODE_HISTORY,
    MAX_EVIDENCE,
    MAX_RECENT_EVENTS,
    PHASE_CLEAR,
    PHASE_OPEN,
    PHASE_PENDING,
    FixPoint,
    PersonState,
    ZoneEpisodeState,
)
from geofence.verdicts import (
    CODE_INSIDE,
    CODE_OUTSIDE,
    VERDICT_BY_CODE,
    Verdict,
    ZoneTerms,
    screen_bounds,
    verdict_codes,
    zone_distance_m,
)
from geofence.zones import Zone, ZoneKind, zones_by_id

__all__ = ["Evaluation", "Hints", "PersonFixes", "evaluate_person", "run_person"]

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
TermsFn = Callable[[int, IntArray], ZoneTerms]
ActiveFn = Callable[[int, IntArray], BoolArray]

# Below this many fixes evaluate_person skips the filter buffers: building them costs about
# a millisecond per zone, more than the exact test on a small upload.
_FILTER_MIN_FIXES = 2000


@dataclass(frozen=True)
class Evaluation:
    """The result of one ``evaluate_person`` call.

    ``state`` replaces the stored state. ``qualities`` has a class for every fix id given.
    ``verdicts`` has, per fix with usable coordinates, the verdict for each zone.
    """

    state: PersonState
    events: tuple[GeofenceEvent, ...]
    qualities: Mapping[str, FixQuality]
    verdicts: Mapping[str, Mapping[str, Verdict]] = field(default_factory=dict)


@dataclass
class PersonFixes:
    """One person's fixes in columns, sorted by (recorded time, id), coordinates in WGS-84.

    ``future`` marks fixes recorded after ``now`` (or their received time) plus the allowed
    skew, whatever their class: a mock or out-of-range fix can carry a future time too.
    """

    ids: Sequence[str]
    t_us: IntArray
    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    acc: NDArray[np.float64]
    static_q: NDArray[np.int8]
    mock: BoolArray
    future: BoolArray

    def point(self, row: int) -> FixPoint:
        """Snapshot of one row."""
        return FixPoint(
            self.ids[row],
            int(self.t_us[row]),
            float(self.lat[row]),
            float(self.lon[row]),
            float(self.acc[row]),
        )


@dataclass
class Hints:
    """Screens precomputed by the batch path; each only ever says "nothing to see" when
    that is certain. ``may_trigger[z]``: some good fix violates zone ``z`` or comes near it
    while active. ``may_cross[z]``: some pair of consecutive good fixes (or the stored
    anchor and the first) spans the bounding box of exclusion zone ``z``. ``may_jump``: some pair of
    consecutive possibly-good fixes fails the teleport screen."""

    may_trigger: Sequence[bool]
    may_cross: Sequence[bool]
    may_jump: bool = True


@dataclass
class PersonResult:
    """What ``run_person`` returns: new state, events, and final quality codes per row."""

    state: PersonState
    events: list[GeofenceEvent]
    quality: NDArray[np.int8]


# ---------------------------------------------------------------------------
# Event sink: lateness, deduplication of re-uploads
# ---------------------------------------------------------------------------


def _event_key(kind: EventKind, zone_id: str | None, fix_ids: tuple[str, ...]) -> str:
    raw = f"{kind.value}|{zone_id or ''}|{fix_ids[0] if fix_ids else ''}|{fix_ids[-1] if fix_ids else ''}"
    return hashlib.blake2b(raw.encode(), digest_size=8).hexdigest()


class _Sink:
    """Collects events for one person and remembers recent ones."""

    def __init__(self, person_id: str, recent: tuple[str, ...], now_us: int, config: QualityConfig) -> None:
        self.person_id = person_id
        self.recent = list(recent)
        self.recent_set = set(recent)
        self.late_before_us = now_us - int(config.late_after_s * 1e6)
        self.events: list[GeofenceEvent] = []

    def make(
        self,
        kind: EventKind,
        zone_id: str | None,
        at_us: int,
        fix_ids: tuple[str, ...],
        out_of_order: bool,
        detail: dict[str, JSON],
    ) -> GeofenceEvent:
        return GeofenceEvent(
            kind=kind,
            person_id=self.person_id,
            zone_id=zone_id,
            at=datetime_from_us(at_us),
            fix_ids=fix_ids,
            late=out_of_order or at_us < self.late_before_us,
            detail=detail,
        )

    def emit(self, event: GeofenceEvent, *, dedupe: bool) -> None:
        key = _event_key(event.kind, event.zone_id, event.fix_ids)
        if dedupe and key in self.recent_set:
            return
        self.events.append(event)
        if key not in self.recent_set:
            self.recent.append(key)
            self.recent_set.add(key)
            if len(self.recent) > MAX_RECENT_EVENTS:
                self.recent_set.discard(self.recent.pop(0))


# ---------------------------------------------------------------------------
# Integrity: teleports and mock locations
# ---------------------------------------------------------------------------


@dataclass
class _Track:
    anchor: FixPoint | None
    chain: FixPoint | None
    chain_count: int
    teleport_open: bool


def _resolve_teleports(
    fx: PersonFixes,
    rows: IntArray,
    q: NDArray[np.int8],
    track: _Track,
    config: QualityConfig,
    sink: _Sink,
    late: bool,
    screened_clear: bool = False,
) -> None:
    """Turn OK fixes that jump implausibly into TELEPORT, in time order; updates ``track``.

    ``screened_clear`` says the caller's screen already found no possible jump between
    consecutive candidates.
    """
    good = rows[q[rows] == Q_OK]
    m = good.size
    if m == 0:
        return
    # A vectorised screen over consecutive candidates finds the pairs that might jump; runs
    # of fixes between them, starting from a clean track, are good without a closer look.
    flagged: list[int] = []
    if not screened_clear:
        flagged = np.flatnonzero(
            possible_jumps(
                fx.lat[good[:-1]],
                fx.lon[good[:-1]],
                fx.acc[good[:-1]],
                fx.t_us[good[:-1]],
                fx.lat[good[1:]],
                fx.lon[good[1:]],
                fx.acc[good[1:]],
                fx.t_us[good[1:]],
                config,
            )
        ).tolist()

    def jump(a: FixPoint, r: int) -> bool:
        return implausible_jump(
            a.lat,
            a.lon,
            a.accuracy_m,
            a.at_us,
            float(fx.lat[r]),
            float(fx.lon[r]),
            float(fx.acc[r]),
            int(fx.t_us[r]),
            config,
        )

    anchor_is_previous = False
    k = 0
    while k < m:
        if anchor_is_previous and track.chain is None and not track.teleport_open:
            i = bisect.bisect_left(flagged, k - 1)
            if i == len(flagged):
                track.anchor = fx.point(int(good[m - 1]))
                return
            next_k = flagged[i] + 1
            if next_k > k:
                track.anchor = fx.point(int(good[next_k - 1]))
                k = next_k
        r = int(good[k])
        k += 1
        here = fx.point(r)
        anchor = track.anchor
        anchor_is_previous = False
        if anchor is None or not jump(anchor, r):
            track.anchor = here
            track.chain = None
            track.chain_count = 0
            track.teleport_open = False
            anchor_is_previous = True
            continue
        # Implausible from the anchor. Fixes that agree with each other at the new place
        # re-anchor the track after a few, so one bad anchor cannot poison the rest.
        if track.chain is not None and not jump(track.chain, r):
            track.chain = here
            track.chain_count += 1
        else:
            track.chain = here
            track.chain_count = 1
        if track.chain_count >= config.teleport_reanchor_fixes:
            track.anchor = here
            track.chain = None
            track.chain_count = 0
            track.teleport_open = False
            anchor_is_previous = True
            continue
        q[r] = Q_TELEPORT
        if not track.teleport_open:
            track.teleport_open = True
            d = distance_m_scalar(anchor.lat, anchor.lon, here.lat, here.lon)
            seconds = abs(here.at_us - anchor.at_us) / 1e6
            sink.emit(
                sink.make(
                    EventKind.TELEPORT,
                    None,
                    here.at_us,
                    (anchor.id, here.id),
                    late,
                    {
                        "distance_m": round(d, 1),
                        "seconds": seconds,
                        "implied_speed_mps": None if seconds == 0 else round(d / seconds, 1),
                        "max_speed_mps": config.max_speed_mps,
                    },
                ),
                dedupe=late,
            )


def _mock_events(fx: PersonFixes, rows: IntArray, was_open: bool, sink: _Sink, late: bool) -> bool:
    """One MOCK_LOCATION event per run of mock fixes; returns whether a run is still open."""
    if rows.size == 0:
        return was_open
    flags = fx.mock[rows]
    if not flags.any():
        return False
    previous = np.concatenate(([was_open], flags[:-1]))
    for r in rows[flags & ~previous].tolist():
        sink.emit(
            sink.make(EventKind.MOCK_LOCATION, None, int(fx.t_us[r]), (fx.ids[r],), late, {}),
            dedupe=late,
        )
    return bool(flags[-1])


# ---------------------------------------------------------------------------
# Breach and approach machine of one zone
# ---------------------------------------------------------------------------


class _ZoneRun:
    """Mutable working copy of a ZoneEpisodeState."""

    def __init__(self, st: ZoneEpisodeState) -> None:
        self.phase = st.phase
        self.since_us = st.since_us
        self.count = st.count
        self.evidence = list(st.evidence)
        self.opened_us = st.opened_us
        self.clear_count = st.clear_count
        self.clear_ids = list(st.clear_ids)
        self.approach_open = st.approach_open
        self.far_count = st.far_count
        self.episodes: list[tuple[int, int | None]] = list(st.episodes)

    @property
    def idle(self) -> bool:
        return self.phase == PHASE_CLEAR and not self.approach_open

    def reset_breach(self) -> None:
        self.phase = PHASE_CLEAR
        self.since_us = None
        self.count = 0
        self.evidence = []
        self.opened_us = None
        self.clear_count = 0
        self.clear_ids = []

    def close_episode(self, end_us: int) -> None:
        if self.episodes and self.episodes[-1][1] is None:
            self.episodes[-1] = (self.episodes[-1][0], end_us)

    def to_state(self, zone_id: str) -> ZoneEpisodeState:
        return ZoneEpisodeState(
            zone_id=zone_id,
            phase=self.phase,
            since_us=self.since_us,
            count=self.count,
            evidence=tuple(self.evidence[-MAX_EVIDENCE:]),
            opened_us=self.opened_us,
            clear_count=self.clear_count,
            clear_ids=tuple(self.clear_ids[-MAX_EVIDENCE:]),
            approach_open=self.approach_open,
            far_count=self.far_count,
            episodes=tuple(self.episodes[-MAX_EPISODE_HISTORY:]),
        )


def _iso(us: int | None) -> JSON:
    return None if us is None else datetime_from_us(us).isoformat()


def _run_zone(
    run: _ZoneRun,
    zone: Zone,
    fx: PersonFixes,
    rows: IntArray,
    terms: ZoneTerms,
    active: BoolArray,
    make: Callable[[EventKind, int, tuple[str, ...], dict[str, JSON]], None],
) -> None:
    """Feed one zone's verdicts for good fixes ``rows`` (time order) through its machine."""
    inclusion = zone.kind is ZoneKind.INCLUSION
    codes = terms.codes
    violating = codes == (CODE_OUTSIDE if inclusion else CODE_INSIDE)
    compliant = codes == (CODE_INSIDE if inclusion else CODE_OUTSIDE)
    near = terms.near
    far = terms.far
    trigger = active & (violating | near) if near is not None else active & violating
    triggers = np.flatnonzero(trigger).tolist()
    if run.idle and not triggers:
        return
    cfg = zone.episode
    confirm_us = int(cfg.confirm_seconds * 1e6)
    n = rows.size
    row_list = rows.tolist()
    t_list = fx.t_us[rows].tolist()
    act = active.tolist()
    viol = violating.tolist()
    comp = compliant.tolist()
    near_l = near.tolist() if near is not None else None
    far_l = far.tolist() if far is not None else None
    j = 0
    while j < n:
        if run.idle:
            # Nothing can happen until the next violating or near fix: skip to it.
            k = bisect.bisect_left(triggers, j)
            if k == len(triggers):
                break
            j = triggers[k]
        r = row_list[j]
        t = t_list[j]
        fid = fx.ids[r]
        if not act[j]:
            if run.phase == PHASE_OPEN:
                make(
                    EventKind.BREACH_CLOSED,
                    t,
                    (fid,),
                    {
                        "reason": "schedule_inactive",
                        "since": _iso(run.since_us),
                        "opened_at": _iso(run.opened_us),
                    },
                )
                run.close_episode(t)
            run.reset_breach()
            run.approach_open = False
            run.far_count = 0
            j += 1
            continue
        if run.phase == PHASE_CLEAR:
            if viol[j]:
                run.phase = PHASE_PENDING
                run.since_us = t
                run.count = 1
                run.evidence = [fid]
        elif run.phase == PHASE_PENDING:
            if viol[j]:
                run.count += 1
                run.evidence.append(fid)
                del run.evidence[:-MAX_EVIDENCE]
            elif comp[j]:
                run.reset_breach()
        elif viol[j]:
            run.clear_count = 0
            run.clear_ids = []
        elif comp[j]:
            run.clear_count += 1
            run.clear_ids.append(fid)
            del run.clear_ids[:-MAX_EVIDENCE]
            if run.clear_count >= cfg.clear_fixes:
                make(
                    EventKind.BREACH_CLOSED,
                    t,
                    tuple(run.clear_ids),
                    {
                        "reason": "back_in_compliance",
                        "since": _iso(run.since_us),
                        "opened_at": _iso(run.opened_us),
                    },
                )
                run.close_episode(t)
                run.reset_breach()
        if (
            run.phase == PHASE_PENDING
            and run.since_us is not None
            and run.count >= cfg.confirm_fixes
            and t - run.since_us >= confirm_us
        ):
            run.phase = PHASE_OPEN
            run.opened_us = t
            run.clear_count = 0
            run.clear_ids = []
            make(
                EventKind.BREACH_OPENED,
                t,
                tuple(run.evidence),
                {
                    "zone_kind": zone.kind.value,
                    "since": _iso(run.since_us),
                    "confirming_fixes": run.count,
                    "span_s": (t - run.since_us) / 1e6,
                },
            )
            run.episodes.append((run.since_us, None))
            del run.episodes[:-MAX_EPISODE_HISTORY]
        if near_l is not None and far_l is not None:
            if not run.approach_open:
                if near_l[j]:
                    run.approach_open = True
                    run.far_count = 0
                    distance = zone_distance_m(zone, float(fx.lat[r]), float(fx.lon[r]))
                    make(
                        EventKind.APPROACH,
                        t,
                        (fid,),
                        {"distance_m": round(distance, 1), "approach_buffer_m": zone.approach_buffer_m},
                    )
            elif far_l[j]:
                run.far_count += 1
                if run.far_count >= cfg.clear_fixes:
                    run.approach_open = False
                    run.far_count = 0
            else:
                run.far_count = 0
        j += 1


# ---------------------------------------------------------------------------
# Crossings
# ---------------------------------------------------------------------------


def _crossings(
    zone: Zone,
    fx: PersonFixes,
    rows: IntArray,
    terms: ZoneTerms,
    active: BoolArray,
    anchor: FixPoint | None,
) -> list[tuple[FixPoint, int, float]]:
    """Pairs (previous good fix, row, depth) whose straight segment passes through the zone
    deeper than the larger accuracy radius, both fixes being certainly outside."""
    lat = fx.lat[rows]
    lon = fx.lon[rows]
    if anchor is not None and rows.size:
        lat = np.concatenate(([anchor.lat], lat))
        lon = np.concatenate(([anchor.lon], lon))
    if lat.size < 2:
        return []
    # Cheap screen first: the segment's bounding box must meet the zone's.
    minx, miny, maxx, maxy = screen_bounds(zone)
    candidate = (np.minimum(lon[:-1], lon[1:]) <= maxx) & (np.maximum(lon[:-1], lon[1:]) >= minx)
    candidate &= (np.minimum(lat[:-1], lat[1:]) <= maxy) & (np.maximum(lat[:-1], lat[1:]) >= miny)
    if not candidate.any():
        return []
    codes = terms.codes
    act = active
    acc = fx.acc[rows]
    offset = 0
    if anchor is not None:
        offset = 1
        acc = np.concatenate(([anchor.accuracy_m], acc))
        # The anchor's verdict matters only if the first pair can still be a crossing, and
        # its activity only if the zone is inactive at the first fix.
        if candidate[0] and codes[0] == CODE_OUTSIDE:
            anchor_code = verdict_codes(
                zone,
                np.array([anchor.lat]),
                np.array([anchor.lon]),
                np.array([anchor.accuracy_m]),
                approach=False,
                use_filters=False,
            ).codes
            anchor_active = bool(act[0]) or zone.is_active(anchor.at_us)
        else:
            anchor_code = np.array([CODE_INSIDE], dtype=np.int8)  # never a candidate
            anchor_active = False
        codes = np.concatenate((anchor_code, codes))
        act = np.concatenate(([anchor_active], act))
    candidate &= (codes[:-1] == CODE_OUTSIDE) & (codes[1:] == CODE_OUTSIDE) & (act[:-1] | act[1:])
    out: list[tuple[FixPoint, int, float]] = []
    metric = zone.metric
    pairs = np.flatnonzero(candidate)
    if pairs.size == 0:
        return out
    # A segment that does not even touch the zone needs no sampling.
    lines = shapely.linestrings(
        np.stack(
            (np.column_stack((lon[pairs], lat[pairs])), np.column_stack((lon[pairs + 1], lat[pairs + 1]))),
            axis=1,
        )
    )
    pairs = pairs[shapely.intersects(metric.lonlat, lines)]
    for p in pairs.tolist():
        depth = metric.threshold_scalar(float(max(acc[p], acc[p + 1])))
        if not metric.segment_deeper_than(
            float(lat[p]), float(lon[p]), float(lat[p + 1]), float(lon[p + 1]), depth
        ):
            continue
        b_row = int(rows[p + 1 - offset])
        if p == 0 and offset:
            assert anchor is not None
            a_point = anchor
        else:
            a_point = fx.point(int(rows[p - offset]))
        out.append((a_point, b_row, depth))
    return out


# ---------------------------------------------------------------------------
# One person
# ---------------------------------------------------------------------------


def _overlaps(start: int, end: int | None, known: Sequence[tuple[int, int | None]]) -> bool:
    big = np.iinfo(np.int64).max
    e1 = big if end is None else end
    return any(start <= (big if e2 is None else e2) and s2 <= e1 for s2, e2 in known)


def run_person(
    state: PersonState,
    fx: PersonFixes,
    zones: Sequence[Zone],
    terms_fn: TermsFn,
    active_fn: ActiveFn,
    now_us: int,
    config: QualityConfig,
    hints: Hints | None = None,
) -> PersonResult:
    """Evaluate one person's sorted fixes against their zones (see the module docstring).

    ``terms_fn(z, rows)`` gives zone ``z``'s verdict terms for the given rows and
    ``active_fn(z, rows)`` whether zone ``z`` is active at those rows' times; the caller
    decides how they are computed (exactly, or through the batch filters). ``hints`` lets
    the batch path skip zones its vectorised screens have cleared.
    """
    n = len(fx.ids)
    q = fx.static_q.copy()
    hwm0 = state.hwm_us
    # Fix times are int64; a stored mark beyond int64 compares with them as int64's end.
    split = (
        0
        if hwm0 is None
        else int(np.searchsorted(fx.t_us, min(max(hwm0, INT64_MIN), INT64_MAX), side="right"))
    )
    late_rows = np.arange(0, split, dtype=np.int64)
    fresh_rows = np.arange(split, n, dtype=np.int64)
    sink = _Sink(state.person_id, state.recent, now_us, config)

    # Integrity, fresh pass continues the stored track; the late pass starts its own.
    track = _Track(state.anchor, state.chain, state.chain_count, state.teleport_open)
    previous_anchor = state.anchor
    screened = hints is not None and not hints.may_jump
    _resolve_teleports(fx, fresh_rows, q, track, config, sink, late=False, screened_clear=screened)
    mock_open = _mock_events(fx, fresh_rows, state.mock_open, sink, late=False)
    late_track = _Track(None, None, 0, False)
    if split:
        _resolve_teleports(fx, late_rows, q, late_track, config, sink, late=True, screened_clear=screened)
        _mock_events(fx, late_rows, False, sink, late=True)

    ok = q == Q_OK
    fresh_ok = fresh_rows[ok[fresh_rows]]
    late_ok = late_rows[ok[late_rows]]
    stored = {z.zone_id: z for z in state.zones}
    new_zones: list[ZoneEpisodeState] = []
    for zi, zone in enumerate(zones):
        stored_state = stored.get(zone.id)
        exclusion = zone.kind is ZoneKind.EXCLUSION
        idle = stored_state is None or (stored_state.phase == PHASE_CLEAR and not stored_state.approach_open)
        run_fresh = fresh_ok.size > 0 and (not idle or hints is None or hints.may_trigger[zi])
        cross_fresh = exclusion and fresh_ok.size > 0 and (hints is None or hints.may_cross[zi])
        if not run_fresh and not cross_fresh and late_ok.size == 0:
            # Nothing can change for this zone: keep its state as it is.
            if stored_state is not None and not stored_state.is_default:
                new_zones.append(stored_state)
            continue
        run = _ZoneRun(stored_state or ZoneEpisodeState(zone.id))

        def make_live(kind: EventKind, at_us: int, ids: tuple[str, ...], detail: dict[str, JSON]) -> None:
            sink.emit(sink.make(kind, zone.id, at_us, ids, False, detail), dedupe=False)  # noqa: B023

        if run_fresh or cross_fresh:
            terms = terms_fn(zi, fresh_ok)
            active = active_fn(zi, fresh_ok)
            if run_fresh:
                _run_zone(run, zone, fx, fresh_ok, terms, active, make_live)
            if cross_fresh:
                for a_point, b_row, level in _crossings(zone, fx, fresh_ok, terms, active, previous_anchor):
                    make_live(
                        EventKind.CROSSING,
                        int(fx.t_us[b_row]),
                        (a_point.id, fx.ids[b_row]),
                        _crossing_detail(a_point, fx, b_row, level),
                    )
        if late_ok.size:
            _late_zone_pass(run, zone, zi, fx, late_ok, terms_fn, active_fn, sink)
        st = run.to_state(zone.id)
        if not st.is_default:
            new_zones.append(st)

    # Fixes from the future must not move the high-water mark, or every later fix would
    # look late. That holds for a future time on a fix of any class: a mock fix dated
    # 9999 would otherwise leave the person's every later fix late.
    usable_t = fx.t_us[~fx.future]
    hwm = hwm0
    if usable_t.size:
        top = int(usable_t.max())
        hwm = top if hwm is None else max(hwm, top)
    new_state = PersonState(
        person_id=state.person_id,
        hwm_us=hwm,
        anchor=track.anchor,
        chain=track.chain,
        chain_count=track.chain_count,
        teleport_open=track.teleport_open,
        mock_open=mock_open,
        zones=tuple(new_zones),
        recent=tuple(sink.recent),
    )
    events = sorted(sink.events, key=GeofenceEvent.sort_key)
    return PersonResult(new_state, events, q)


def _crossing_detail(a: FixPoint, fx: PersonFixes, b_row: int, depth: float) -> dict[str, JSON]:
    return {
        "from_fix_id": a.id,
        "from_at": _iso(a.at_us),
        "gap_s": (int(fx.t_us[b_row]) - a.at_us) / 1e6,
        "segment_m": round(distance_m_scalar(a.lat, a.lon, float(fx.lat[b_row]), float(fx.lon[b_row])), 1),
        "depth_m": round(depth, 1),
    }


def _late_zone_pass(
    run: _ZoneRun,
    zone: Zone,
    zi: int,
    fx: PersonFixes,
    late_ok: IntArray,
    terms_fn: TermsFn,
    active_fn: ActiveFn,
    sink: _Sink,
) -> None:
    """Evaluate late good fixes on a fresh machine; report what is new, marked late."""
    known = list(run.episodes)
    shadow = _ZoneRun(ZoneEpisodeState(zone.id))
    collected: list[GeofenceEvent] = []

    def make_late(kind: EventKind, at_us: int, ids: tuple[str, ...], detail: dict[str, JSON]) -> None:
        collected.append(sink.make(kind, zone.id, at_us, ids, True, detail))

    terms = terms_fn(zi, late_ok)
    active = active_fn(zi, late_ok)
    _run_zone(shadow, zone, fx, late_ok, terms, active, make_late)
    # Pair each late episode with its open/close events and drop those already known.
    episode_index = -1
    keep_episode: list[bool] = []
    for start, end in shadow.episodes:
        keep = not _overlaps(start, end, known)
        keep_episode.append(keep)
        if keep:
            run.episodes.append((start, end))
    run.episodes.sort(key=lambda e: e[0])
    del run.episodes[:-MAX_EPISODE_HISTORY]
    for event in collected:
        if event.kind is EventKind.BREACH_OPENED:
            episode_index += 1
            if keep_episode[episode_index]:
                sink.emit(event, dedupe=True)
        elif event.kind is EventKind.BREACH_CLOSED:
            if episode_index >= 0 and keep_episode[episode_index]:
                sink.emit(event, dedupe=True)
        else:
            sink.emit(event, dedupe=True)
    if zone.kind is ZoneKind.EXCLUSION:
        for a_point, b_row, level in _crossings(zone, fx, late_ok, terms, active, None):
            sink.emit(
                sink.make(
                    EventKind.CROSSING,
                    zone.id,
                    int(fx.t_us[b_row]),
                    (a_point.id, fx.ids[b_row]),
                    True,
                    _crossing_detail(a_point, fx, b_row, level),
                ),
                dedupe=True,
            )


# ---------------------------------------------------------------------------
# Public entry point
# ---------------------------------------------------------------------------


def prepare_person_fixes(
    ids: Sequence[str],
    t_us: IntArray,
    received_us: IntArray,
    lat: NDArray[np.float64],
    lon: NDArray[np.float64],
    acc: NDArray[np.float64],
    crs_codes: NDArray[np.int8],
    mock: BoolArray,
    now_us: int,
    config: QualityConfig,
) -> PersonFixes:
    """Classify (static rules) and normalise already-sorted columns."""
    future = future_times(t_us, received_us, now_us, config)
    static_q = static_quality(lat, lon, acc, t_us, received_us, mock, now_us, config, future=future)
    wlat, wlon = convert_codes_to_wgs84(lat, lon, crs_codes)
    return PersonFixes(ids, t_us, wlat, wlon, acc, static_q, mock, future)


def evaluate_person(
    state: PersonState | None,
    fixes: Sequence[Fix],
    zones: Sequence[Zone],
    *,
    now: dt.datetime,
    quality: QualityConfig | None = None,
    person_id: str | None = None,
) -> Evaluation:
    """Evaluate one person's new fixes against their zones; see the module docstring.

    ``state`` is what the previous call returned (None the first time). ``fixes`` may come
    in any order and may include late ones. ``now`` is the server time (aware).
    """
    config = quality or QualityConfig()
    now_us = to_epoch_us(now)
    zones_by_id(zones)  # refuses duplicate ids
    pid = (
        person_id
        or (state.person_id if state is not None else None)
        or (fixes[0].person_id if fixes else None)
    )
    if pid is None:
        raise ValueError("cannot tell whose evaluation this is: pass person_id, a state or a fix")
    if state is None:
        state = PersonState(pid)
    if state.person_id != pid:
        raise ValueError(f"state belongs to {state.person_id!r}, not {pid!r}")
    unique: dict[str, Fix] = {}
    for f in fixes:
        if f.person_id != pid:
            raise ValueError(f"fix {f.id} belongs to {f.person_id!r}, not {pid!r}")
        unique.setdefault(f.id, f)
    ordered = sorted(unique.values(), key=lambda f: (to_epoch_us(f.recorded_at), f.id))
    n = len(ordered)
    fx = prepare_person_fixes(
        [f.id for f in ordered],
        np.array([to_epoch_us(f.recorded_at) for f in ordered], dtype=np.int64),
        np.array(
            [NO_TIME if f.received_at is None else to_epoch_us(f.received_at) for f in ordered],
            dtype=np.int64,
        ),
        np.array([f.lat for f in ordered], dtype=np.float64),
        np.array([f.lon for f in ordered], dtype=np.float64),
        np.array([f.accuracy_m for f in ordered], dtype=np.float64),
        np.array([CRS_CODES[f.crs] for f in ordered], dtype=np.int8),
        np.array([f.mock_location for f in ordered], dtype=bool),
        now_us,
        config,
    )
    # Verdicts for every fix with usable coordinates (reported), of which the engine uses
    # the good ones.
    usable = np.flatnonzero((fx.static_q != Q_OUT_OF_RANGE) & (fx.static_q != Q_NULL_ISLAND))
    position = np.full(n, -1, dtype=np.int64)
    position[usable] = np.arange(usable.size)
    use_filters = usable.size >= _FILTER_MIN_FIXES
    all_terms = [
        verdict_codes(zone, fx.lat[usable], fx.lon[usable], fx.acc[usable], use_filters=use_filters)
        for zone in zones
    ]
    actives = [
        np.ones(n, dtype=bool) if zone.schedule is None else zone.schedule.active_mask(fx.t_us)
        for zone in zones
    ]

    def terms_fn(zi: int, rows: IntArray) -> ZoneTerms:
        t = all_terms[zi]
        pos = position[rows]
        return ZoneTerms(
            t.codes[pos],
            None if t.near is None else t.near[pos],
            None if t.far is None else t.far[pos],
        )

    def active_fn(zi: int, rows: IntArray) -> BoolArray:
        return actives[zi][rows]

    result = run_person(state, fx, zones, terms_fn, active_fn, now_us, config)
    qualities = {fx.ids[i]: QUALITY_BY_CODE[int(c)] for i, c in enumerate(result.quality.tolist())}
    verdicts: dict[str, dict[str, Verdict]] = {}
    for k, row in enumerate(usable.tolist()):
        verdicts[fx.ids[row]] = {
            zone.id: VERDICT_BY_CODE[int(all_terms[zi].codes[k])] for zi, zone in enumerate(zones)
        }
    return Evaluation(result.state, tuple(result.events), qualities, verdicts)
