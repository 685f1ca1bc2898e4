"""Batch evaluation: many fixes of many people at once, vectorised.

``BatchEvaluator`` is built from per-person zone sets. It offers three things:

* ``verdicts``: verdict codes for arrays of (person index, lon, lat, accuracy) against each
  person's own zones, grouped per person so each zone is one ``shapely.contains_xy`` call
  on prepared filter geometry (plus exact tests for the few fixes near a boundary).
* ``verdicts_global``: any fix against all zones, through an STRtree of the zones' filter
  geometries (for questions like "who is inside this school right now").
* ``evaluate``: the full path on a ``FixBatch``: order, normalise, classify, verdicts, state
  machines, with the same rules and results as ``evaluate_person`` (the shared
  ``engine.run_person`` does the per-person part).

Zones shared between persons (the county boundary) are the same objects and share their
prepared geometry and filters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import NDArray

from geofence.crs import convert_codes_to_wgs84
from geofence.engine import PersonFixes, run_person
from geofence.events import GeofenceEvent
from geofence.fixes import (
    Q_OK,
    QUALITY_BY_CODE,
    FixBatch,
    FixQuality,
    QualityConfig,
    static_quality,
    to_epoch_us,
)
from geofence.schedule import Schedule, local_offsets_us
from geofence.state import PersonState
from geofence.verdicts import (
    CODE_INSIDE,
    CODE_NOT_EVALUATED,
    CODE_OUTSIDE,
    ZoneFilter,
    ZoneTable,
    ZoneTerms,
    filter_rows,
    zone_filter,
)
from geofence.zones import Zone, ZoneKind, zones_by_id

__all__ = ["BatchEvaluation", "BatchEvaluator", "GlobalVerdicts", "VerdictTable"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

# The filters serve fixes up to this accuracy (GNSS-grade fixes, the great majority); a
# tighter filter settles more fixes in small zones. Less accurate fixes are screened by
# their zone's grown bounding box and then tested exactly.
DEFAULT_BATCH_FILTER_ACCURACY_M = 50.0


@dataclass(frozen=True)
class VerdictTable:
    """Verdict codes per fix (row, input order) and zone slot (column).

    ``zone_index[p, s]`` is the evaluator zone in slot ``s`` of person ``p`` (-1 past the
    person's zones, where ``codes`` holds CODE_NOT_EVALUATED).
    """

    codes: NDArray[np.int8]
    zone_index: NDArray[np.int32]


@dataclass(frozen=True)
class GlobalVerdicts:
    """Pairs (fix row, evaluator zone index, code) for every pair that is not OUTSIDE."""

    fix: IntArray
    zone: NDArray[np.int32]
    codes: NDArray[np.int8]


@dataclass
class BatchEvaluation:
    """Result of ``BatchEvaluator.evaluate``: new states of the persons seen, events, and
    quality codes in input order (``fixes.QUALITY_BY_CODE`` names them)."""

    states: dict[str, PersonState]
    events: list[GeofenceEvent]
    quality: NDArray[np.int8]
    ids: Sequence[str] = field(default_factory=list)

    def qualities(self) -> dict[str, FixQuality]:
        """Quality per fix id (built on demand: a million-entry dict is not free)."""
        return {fid: QUALITY_BY_CODE[int(c)] for fid, c in zip(self.ids, self.quality.tolist(), strict=True)}


def _person_bounds(person_sorted: IntArray, n_persons: int) -> IntArray:
    """Start offsets of each person's rows in person-sorted order (length n_persons + 1)."""
    counts = np.bincount(person_sorted, minlength=n_persons)
    bounds = np.zeros(n_persons + 1, dtype=np.int64)
    np.cumsum(counts, out=bounds[1:])
    return bounds


class BatchEvaluator:
    """Vectorised evaluation for many persons, each with their own zones."""

    def __init__(
        self,
        zone_sets: Mapping[str, Sequence[Zone]],
        *,
        quality: QualityConfig | None = None,
        filter_accuracy_m: float = DEFAULT_BATCH_FILTER_ACCURACY_M,
        warm: bool = True,
    ) -> None:
        self.quality = quality or QualityConfig()
        self.filter_accuracy_m = filter_accuracy_m
        self.person_ids: list[str] = list(zone_sets)
        self.person_index: dict[str, int] = {pid: i for i, pid in enumerate(self.person_ids)}
        self.zones: list[Zone] = []
        seen: dict[int, int] = {}
        self.zone_sets: list[list[Zone]] = []
        slots: list[list[int]] = []
        for pid in self.person_ids:
            zones = list(zone_sets[pid])
            zones_by_id(zones)
            self.zone_sets.append(zones)
            row = []
            for zone in zones:
                key = id(zone)
                if key not in seen:
                    seen[key] = len(self.zones)
                    self.zones.append(zone)
                row.append(seen[key])
            slots.append(row)
        width = max((len(r) for r in slots), default=0)
        self.zone_index = np.full((len(slots), width), -1, dtype=np.int32)
        for p, row in enumerate(slots):
            self.zone_index[p, : len(row)] = row
        self.table = ZoneTable(self.zones)
        self._bounds = np.array([z.metric.bounds for z in self.zones], dtype=np.float64).reshape(-1, 4)
        self._filters: list[list[ZoneFilter | None]] | None = None
        self._filter_cap = 0.0
        self._tree: shapely.STRtree | None = None
        self._tree_level: float | None = None
        if warm:
            self.warm()

    # -- preparation ----------------------------------------------------------

    def warm(self) -> None:
        """Build prepared geometry and the filters, once.

        Building costs about a millisecond per polygon zone (it runs on first use
        otherwise).
        """
        acc = self.filter_accuracy_m
        by_zone: dict[int, ZoneFilter | None] = {}
        for zi, zone in enumerate(self.zones):
            by_zone[zi] = zone_filter(zone, acc, approach=True)
        self._filters = [[by_zone[int(zi)] for zi in row if zi >= 0] for row in self.zone_index]
        caps = [f.max_accuracy_m for f in by_zone.values() if f is not None]
        # Fixes up to the smallest cap can use every zone's filters.
        self._filter_cap = min(caps) if caps else 0.0

    # -- verdict terms (shared by verdicts() and evaluate()) ---------------------

    def _terms(
        self,
        bounds: IntArray,
        person: IntArray,
        lat: FloatArray,
        lon: FloatArray,
        acc: FloatArray,
        wanted: NDArray[np.bool_],
        approach: bool,
    ) -> tuple[NDArray[np.int8], NDArray[np.bool_], NDArray[np.bool_]]:
        """Codes, near and far per (row, slot) for person-sorted rows where ``wanted``.

        Stage 1 runs each person's slice through each zone's prepared filters (one or two
        ``contains_xy`` calls on array views); stage 2 gives the exact test, vectorised over
        all remaining (row, zone) pairs at once: fixes near a boundary, and fixes too
        inaccurate for the filters (screened first by their zone's grown bounding box).
        Rows not wanted hold CODE_NOT_EVALUATED.
        """
        if self._filters is None:
            self.warm()
        assert self._filters is not None
        n = lat.size
        width = self.zone_index.shape[1]
        codes = np.zeros((n, width), dtype=np.int8)
        near = np.zeros((n, width), dtype=bool)
        far = np.ones((n, width), dtype=bool)
        band_rows: list[IntArray] = []
        band_slots: list[IntArray] = []
        for p in np.flatnonzero(np.diff(bounds)).tolist():
            s, e = int(bounds[p]), int(bounds[p + 1])
            x = lon[s:e]
            y = lat[s:e]
            for slot, f in enumerate(self._filters[p]):
                if f is None:
                    band_rows.append(np.arange(s, e, dtype=np.int64))
                    band_slots.append(np.full(e - s, slot, dtype=np.int64))
                    continue
                deep, band = filter_rows(f, x, y)
                if deep.size == e - s:
                    codes[s:e, slot] = CODE_INSIDE
                    near[s:e, slot] = True
                    far[s:e, slot] = False
                elif deep.size:
                    codes[s + deep, slot] = CODE_INSIDE
                    near[s + deep, slot] = True
                    far[s + deep, slot] = False
                if band.size:
                    band_rows.append(s + band)
                    band_slots.append(np.full(band.size, slot, dtype=np.int64))
        rows = np.concatenate(band_rows) if band_rows else np.zeros(0, dtype=np.int64)
        slots = np.concatenate(band_slots) if band_slots else np.zeros(0, dtype=np.int64)
        keep = wanted[rows] & (acc[rows] <= self._filter_cap)
        rows, slots = rows[keep], slots[keep]
        # Fixes too inaccurate for the filters: every zone of their person, screened by the
        # zone's bounding box grown by the fix's threshold.
        wide = np.flatnonzero(wanted & (acc > self._filter_cap))
        if wide.size:
            zi_wide = self.zone_index[person[wide]]
            w_rows = np.repeat(wide, width)
            w_slots = np.tile(np.arange(width, dtype=np.int64), wide.size)
            present = zi_wide.ravel() >= 0
            w_rows, w_slots = w_rows[present], w_slots[present]
            codes[w_rows, w_slots] = CODE_OUTSIDE
            near[w_rows, w_slots] = False
            far[w_rows, w_slots] = True
            zi = self.zone_index[person[w_rows], w_slots].astype(np.int64)
            grow = self.table.threshold(zi, acc[w_rows] + self.table.buffer_m[zi])
            b = self._bounds[zi]
            dx = grow / self.table.kx[zi]
            dy = grow / self.table.ky[zi]
            close = (
                (lon[w_rows] >= b[:, 0] - dx) & (lon[w_rows] <= b[:, 2] + dx)
                & (lat[w_rows] >= b[:, 1] - dy) & (lat[w_rows] <= b[:, 3] + dy)
            )
            rows = np.concatenate((rows, w_rows[close]))
            slots = np.concatenate((slots, w_slots[close]))
        if rows.size:
            zi = self.zone_index[person[rows], slots].astype(np.int64)
            c, nr, fr = self.table.exact(zi, lat[rows], lon[rows], acc[rows], approach)
            codes[rows, slots] = c
            near[rows, slots] = nr
            far[rows, slots] = fr
        unwanted = ~wanted
        if unwanted.any():
            codes[unwanted] = CODE_NOT_EVALUATED
        missing = self.zone_index[person] < 0
        if missing.any():
            codes[missing] = CODE_NOT_EVALUATED
        return codes, near, far

    # -- verdicts -------------------------------------------------------------

    def verdicts(
        self, person: IntArray, lon: FloatArray, lat: FloatArray, accuracy_m: FloatArray
    ) -> VerdictTable:
        """Verdict codes of WGS-84 fixes against each one's own person's zones.

        Rows with unusable coordinates or accuracy get CODE_NOT_EVALUATED.
        """
        person = np.asarray(person, dtype=np.int64)
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        acc = np.asarray(accuracy_m, dtype=np.float64)
        order = None if person.size < 2 or (np.diff(person) >= 0).all() else np.argsort(person, kind="stable")
        if order is not None:
            person, lon, lat, acc = person[order], lon[order], lat[order], acc[order]
        with np.errstate(invalid="ignore"):
            usable = (np.abs(lat) <= 90) & (np.abs(lon) <= 180) & (acc >= 0) & np.isfinite(acc)
        bounds = _person_bounds(person, len(self.person_ids))
        codes, _, _ = self._terms(bounds, person, lat, lon, acc, usable, approach=False)
        if order is not None:
            unsorted = np.empty_like(codes)
            unsorted[order] = codes
            codes = unsorted
        return VerdictTable(codes, self.zone_index)

    def verdicts_global(self, lon: FloatArray, lat: FloatArray, accuracy_m: FloatArray) -> GlobalVerdicts:
        """Every fix against every zone; returns the pairs that are not OUTSIDE.

        An STRtree over the zones' envelopes, grown by the largest uncertainty threshold,
        finds the candidate pairs; each zone then tests its candidates like ``verdicts``.
        """
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        acc = np.asarray(accuracy_m, dtype=np.float64)
        if acc.size == 0 or not self.zones:
            return _concat([], [], [])
        tree = self._global_tree(float(acc.max()))
        fix_idx, zone_idx = tree.query(shapely.points(lon, lat))
        return self._pairs(fix_idx, zone_idx, lon, lat, acc)

    def _global_tree(self, max_acc: float) -> shapely.STRtree:
        # Envelopes grown by the threshold (metres to degrees at each zone's latitude).
        grow = max(z.metric.threshold_scalar(max_acc) for z in self.zones)
        if self._tree is None or self._tree_level is None or self._tree_level < grow:
            level = max(grow, self.quality.max_accuracy_m * 1.1)
            boxes = []
            for zone in self.zones:
                minx, miny, maxx, maxy = zone.metric.bounds
                frame = zone.metric.frame
                dx = level / frame.kx
                dy = level / frame.ky
                boxes.append(shapely.box(minx - dx, miny - dy, maxx + dx, maxy + dy))
            self._tree = shapely.STRtree(boxes)
            self._tree_level = level
        return self._tree

    def _pairs(
        self, fix_idx: IntArray, zone_idx: IntArray, lon: FloatArray, lat: FloatArray, acc: FloatArray
    ) -> GlobalVerdicts:
        """Exact verdicts for candidate pairs; keeps those that are not OUTSIDE."""
        zi = zone_idx.astype(np.int64)
        codes, _, _ = self.table.exact(zi, lat[fix_idx], lon[fix_idx], acc[fix_idx], approach=False)
        keep = codes != CODE_OUTSIDE
        return GlobalVerdicts(fix_idx[keep].astype(np.int64), zi[keep].astype(np.int32), codes[keep])

    # -- full path ------------------------------------------------------------

    def evaluate(
        self,
        states: Mapping[str, PersonState],
        batch: FixBatch,
        *,
        now: dt.datetime,
    ) -> BatchEvaluation:
        """The full path for a batch; ``states`` maps person ids to stored states.

        Fix ids are assumed unique within the batch (the backend deduplicates at ingest).
        """
        config = self.quality
        now_us = to_epoch_us(now)
        n = len(batch)
        order = _sort_order(batch)
        if order is not None:
            batch = batch.take(order)
        person = batch.person
        t_us = batch.recorded_us
        static_q = static_quality(
            batch.lat, batch.lon, batch.accuracy_m, t_us, batch.received_us, batch.mock, now_us, config
        )
        wlat, wlon = convert_codes_to_wgs84(batch.lat, batch.lon, batch.crs)
        masks = _schedule_masks(self.zones, t_us)
        bounds = _person_bounds(person, len(self.person_ids))
        # Verdicts only for fixes that can still be good (teleports are decided later and
        # only ever remove fixes from that set).
        codes, near, far = self._terms(bounds, person, wlat, wlon, batch.accuracy_m, static_q == Q_OK, True)
        has_approach = [
            [z.kind is ZoneKind.EXCLUSION and z.approach_buffer_m > 0 for z in zones] for zones in self.zone_sets
        ]
        quality = np.empty(n, dtype=np.int8)
        events: list[GeofenceEvent] = []
        new_states: dict[str, PersonState] = {}
        for p in np.flatnonzero(np.diff(bounds)).tolist():
            s, e = int(bounds[p]), int(bounds[p + 1])
            pid = self.person_ids[p]
            zones = self.zone_sets[p]
            zone_rows = self.zone_index[p]
            fx = PersonFixes(
                batch.ids[s:e],
                t_us[s:e],
                wlat[s:e],
                wlon[s:e],
                batch.accuracy_m[s:e],
                static_q[s:e],
                batch.mock[s:e],
            )

            def terms_fn(
                zi: int, rows: IntArray, s: int = s, approach: list[bool] = has_approach[p]
            ) -> ZoneTerms:
                r = rows + s
                if approach[zi]:
                    return ZoneTerms(codes[r, zi], near[r, zi], far[r, zi])
                return ZoneTerms(codes[r, zi], None, None)

            def active_fn(
                zi: int, rows: IntArray, s: int = s, zone_rows: NDArray[np.int32] = zone_rows
            ) -> NDArray[np.bool_]:
                mask = masks[int(zone_rows[zi])]
                if mask is None:
                    return np.ones(rows.size, dtype=bool)
                out: NDArray[np.bool_] = mask[s:][rows]
                return out

            state = states.get(pid) or PersonState(pid)
            result = run_person(state, fx, zones, terms_fn, active_fn, now_us, config)
            quality[s:e] = result.quality
            events.extend(result.events)
            new_states[pid] = result.state
        if order is not None:
            unsorted = np.empty_like(quality)
            unsorted[order] = quality
            quality = unsorted
            ids_list = [""] * n
            for i, fid in zip(order.tolist(), batch.ids, strict=True):
                ids_list[i] = fid
            ids: Sequence[str] = ids_list
        else:
            ids = batch.ids
        return BatchEvaluation(new_states, events, quality, ids)


def _sort_order(batch: FixBatch) -> IntArray | None:
    """Permutation to (person, recorded time, id) order, or None if already in it.

    Equal (person, time) pairs are rare, so ids are compared only inside such ties.
    """
    n = len(batch)
    if n < 2:
        return None
    person, t_us = batch.person, batch.recorded_us
    dp = np.diff(person)
    dt_ = np.diff(t_us)
    if ((dp > 0) | ((dp == 0) & (dt_ > 0))).all():
        return None
    order: IntArray = np.lexsort((t_us, person))
    sp = person[order]
    st = t_us[order]
    same = (np.diff(sp) == 0) & (np.diff(st) == 0)
    if same.any():
        starts = np.flatnonzero(same & ~np.concatenate(([False], same[:-1])))
        for s in starts.tolist():
            e = s + 1
            while e < same.size and same[e]:
                e += 1
            block = order[s : e + 1].tolist()
            block.sort(key=lambda r: batch.ids[r])
            order[s : e + 1] = block
    if np.array_equal(order, np.arange(n)):
        return None
    return order


def _schedule_masks(zones: Sequence[Zone], t_us: IntArray) -> list[NDArray[np.bool_] | None]:
    """Activity of each zone at each (sorted) fix time; None for zones without schedule.

    Each time zone is converted once and each distinct schedule evaluated once, however
    many zones share it.
    """
    local_by_tz: dict[str, IntArray] = {}
    by_schedule: dict[Schedule, NDArray[np.bool_]] = {}
    out: list[NDArray[np.bool_] | None] = []
    for zone in zones:
        sched = zone.schedule
        if sched is None:
            out.append(None)
            continue
        mask = by_schedule.get(sched)
        if mask is None:
            local = local_by_tz.get(sched.tz)
            if local is None:
                local = t_us + local_offsets_us(sched.tz, t_us) if t_us.size else t_us
                local_by_tz[sched.tz] = local
            mask = sched.active_mask_local(local)
            by_schedule[sched] = mask
        out.append(mask)
    return out


def _concat(
    fix_parts: list[IntArray], zone_parts: list[NDArray[np.int32]], code_parts: list[NDArray[np.int8]]
) -> GlobalVerdicts:
    if not fix_parts:
        return GlobalVerdicts(np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int8))
    return GlobalVerdicts(
        np.concatenate(fix_parts).astype(np.int64),
        np.concatenate(zone_parts).astype(np.int32),
        np.concatenate(code_parts).astype(np.int8),
    )
