"""Batch evaluation: many fixes of many people at once, vectorised.

``BatchEvaluator`` is built from per-person zone sets. It offers three things:

* ``verdicts``: verdict codes for arrays of (person index, lon, lat, accuracy) against each
  person's own zones: per zone slot, one ``shapely.contains_xy`` call tests every fix
  against its own person's prepared filter geometry (plus exact tests for the few fixes
  near a boundary).
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
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from geofence.crs import convert_codes_to_wgs84
from geofence.engine import Hints, PersonFixes, run_person
from geofence.events import GeofenceEvent
from geofence.fixes import (
    INT64_MAX,
    INT64_MIN,
    Q_OK,
    QUALITY_BY_CODE,
    FixBatch,
    FixQuality,
    QualityConfig,
    future_times,
    possible_jumps,
    static_quality,
    to_epoch_us,
)
from geofence.schedule import LocalTimes, Schedule
from geofence.state import PHASE_CLEAR, FixPoint, PersonState
from geofence.verdicts import (
    CODE_INSIDE,
    CODE_NOT_EVALUATED,
    CODE_OUTSIDE,
    ZoneFilter,
    ZoneTable,
    ZoneTerms,
    circle_reach_bounds,
    screen_bounds,
    zone_filter,
)
from geofence.zones import Zone, ZoneKind, zones_by_id

__all__ = ["BatchEvaluation", "BatchEvaluator", "GlobalVerdicts", "VerdictTable"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

# The fine filters serve fixes up to this accuracy (GNSS-grade fixes, the great majority;
# 45 m gives the 50 m buffer level). A tighter filter settles more fixes in small zones.
# Less accurate fixes are screened by their zone's grown bounding box, then by coarse
# filters sized for the quality limit, and only then tested exactly.
DEFAULT_BATCH_FILTER_ACCURACY_M = 45.0
_NO_TIME = int(np.iinfo(np.int64).min)


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
    """Result of ``BatchEvaluator.evaluate``: new states of the persons seen, events,
    quality codes in input order (``fixes.QUALITY_BY_CODE`` names them), and seconds spent
    per stage."""

    states: dict[str, PersonState]
    events: list[GeofenceEvent]
    quality: NDArray[np.int8]
    ids: Sequence[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def qualities(self) -> dict[str, FixQuality]:
        """Quality per fix id (built on demand: a million-entry dict is not free)."""
        return {fid: QUALITY_BY_CODE[int(c)] for fid, c in zip(self.ids, self.quality.tolist(), strict=True)}


def _person_bounds(person_sorted: IntArray, n_persons: int) -> IntArray:
    """Start offsets of each person's rows in person-sorted order (length n_persons + 1)."""
    counts = np.bincount(person_sorted, minlength=n_persons)
    bounds = np.zeros(n_persons + 1, dtype=np.int64)
    np.cumsum(counts, out=bounds[1:])
    return bounds


# Kinds of (person, slot) cells for the vectorised filter stage.
_SLOT_NONE = 0  # no zone in the slot
_SLOT_FILTER = 1  # a zone with filters
_SLOT_EXACT = 2  # a zone without filters (circles, beyond the buffer levels): exact test


@dataclass(frozen=True)
class _SlotFilters:
    """The fine filters of one zone slot across all persons, as arrays indexed by person."""

    kind: NDArray[np.int8]
    inclusion: NDArray[np.bool_]
    outer_bounds: FloatArray  # (persons, 4); NaN without filter
    inner_box: FloatArray  # (persons, 4); NaN without inscribed square
    outer: NDArray[np.object_]
    inner: NDArray[np.object_]

    @classmethod
    def build(cls, zone_column: NDArray[np.int32], by_zone: Mapping[int, ZoneFilter | None]) -> _SlotFilters:
        n = zone_column.size
        kind = np.zeros(n, dtype=np.int8)
        inclusion = np.zeros(n, dtype=bool)
        outer_bounds = np.full((n, 4), np.nan)
        inner_box = np.full((n, 4), np.nan)
        outer = np.full(n, None, dtype=object)
        inner = np.full(n, None, dtype=object)
        for p, zi in enumerate(zone_column.tolist()):
            if zi < 0:
                continue
            f = by_zone[zi]
            if f is None:
                kind[p] = _SLOT_EXACT
                continue
            kind[p] = _SLOT_FILTER
            inclusion[p] = f.inclusion
            outer_bounds[p] = f.outer_bounds
            if f.inner_box is not None:
                inner_box[p] = f.inner_box
            outer[p] = f.outer
            inner[p] = f.inner
        return cls(kind, inclusion, outer_bounds, inner_box, outer, inner)


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
        self._bounds = np.array([screen_bounds(z) for z in self.zones], dtype=np.float64).reshape(-1, 4)
        self._is_circle = np.array([z.circle_spec is not None for z in self.zones], dtype=bool)
        self._inclusion = np.array([z.kind is ZoneKind.INCLUSION for z in self.zones], dtype=bool)
        self._has_approach = np.array(
            [z.kind is ZoneKind.EXCLUSION and z.approach_buffer_m > 0 for z in self.zones], dtype=bool
        )
        # Bounding boxes of exclusion zones per slot and person for the crossing screen
        # (NaN for inclusion zones and empty slots, which fails every comparison).
        self._slot_boxes = np.full((self.zone_index.shape[1], len(self.person_ids), 4), np.nan)
        for p, zones in enumerate(self.zone_sets):
            for slot, zone in enumerate(zones):
                if zone.kind is ZoneKind.EXCLUSION:
                    self._slot_boxes[slot, p] = screen_bounds(zone)
        # Each person's zone ids and their slots: the quiet path keeps stored zone states
        # in slot order, the order run_person gives them.
        self._zone_slots = [{z.id: slot for slot, z in enumerate(zones)} for zones in self.zone_sets]
        self._index_schedules()
        self._filters: list[list[ZoneFilter | None]] | None = None
        self._slot_filters: list[_SlotFilters] | None = None
        self._filter_cap = 0.0
        self._tree: shapely.STRtree | None = None
        self._tree_level: float | None = None
        if warm:
            self.warm()

    # -- preparation ----------------------------------------------------------

    def _index_schedules(self) -> None:
        """Number the distinct schedules (by equality, as ``_schedule_masks`` shares their
        masks): each zone's number (-1 without schedule) and the first zone of each."""
        number: dict[Schedule, int] = {}
        self._schedule_first_zone: list[int] = []
        self._schedule_of_zone = np.full(len(self.zones), -1, dtype=np.int64)
        for z, zone in enumerate(self.zones):
            if zone.schedule is None:
                continue
            k = number.get(zone.schedule)
            if k is None:
                k = number[zone.schedule] = len(self._schedule_first_zone)
                self._schedule_first_zone.append(z)
            self._schedule_of_zone[z] = k

    def _mask_ids(self, masks: list[NDArray[np.bool_] | None]) -> tuple[IntArray, list[NDArray[np.bool_]]]:
        """Zones sharing a schedule share its mask: each zone's mask number (-1: no
        schedule, always active) and the distinct masks."""
        distinct: list[NDArray[np.bool_]] = []
        for z in self._schedule_first_zone:
            mask = masks[z]
            assert mask is not None
            distinct.append(mask)
        return self._schedule_of_zone, distinct

    def warm(self) -> None:
        """Build prepared geometry and the filters, once.

        Building costs about a millisecond per polygon zone (it runs on first use
        otherwise).
        """
        by_zone: dict[int, ZoneFilter | None] = {}
        for zi, zone in enumerate(self.zones):
            by_zone[zi] = zone_filter(zone, self.filter_accuracy_m, approach=True)
        self._filters = [[by_zone[int(zi)] for zi in row if zi >= 0] for row in self.zone_index]
        self._slot_filters = [
            _SlotFilters.build(self.zone_index[:, slot], by_zone) for slot in range(self.zone_index.shape[1])
        ]
        caps = [f.max_accuracy_m for f in by_zone.values() if f is not None]
        # Fixes up to the smallest cap can use every zone's filters.
        self._filter_cap = min(caps) if caps else 0.0
        # Coarse filters for the less accurate fixes (up to the quality limit), used
        # vectorised over (fix, zone) pairs in stage 2.
        outer: list[BaseGeometry | None] = []
        inner: list[BaseGeometry | None] = []
        caps_coarse: list[float] = []
        for zone in self.zones:
            f = zone_filter(zone, self.quality.max_accuracy_m, approach=True)
            outer.append(None if f is None else f.outer)
            inner.append(None if f is None else f.inner)
            caps_coarse.append(-1.0 if f is None else f.max_accuracy_m)
        self._coarse_outer = np.array(outer, dtype=object)
        self._coarse_inner = np.array(inner, dtype=object)
        self._coarse_cap = np.array(caps_coarse, dtype=np.float64)

    # -- verdict terms (shared by verdicts() and evaluate()) ---------------------

    def _filter_stage(
        self,
        bounds: IntArray,
        present: IntArray,
        person: IntArray,
        lat: FloatArray,
        lon: FloatArray,
        acc: FloatArray,
        wanted: NDArray[np.bool_],
        codes: NDArray[np.int8],
        near: NDArray[np.bool_],
        far: NDArray[np.bool_],
        band_rows: list[IntArray],
        band_slots: list[IntArray],
    ) -> None:
        """Stage 1 of ``_terms``, vectorised over persons: per slot, one ``contains_xy`` call
        over all rows to test (each row against its own person's filter geometry) instead
        of one call per person.

        Persons whose bounding box misses the zone's outer filter are skipped (all far
        outside); those whose box lies in the square inscribed in the inner filter are deep
        inside throughout; zones without filters send every row to the exact test. Only the
        rows the filters may serve (wanted, accuracy up to the filter cap) are tested: the
        others are overwritten by the caller.
        """
        slot_filters = self._slot_filters
        assert slot_filters is not None
        starts = bounds[present]
        counts = bounds[present + 1] - starts
        # Each person's bounding box over the wanted rows (empty boxes miss everything).
        x0 = np.minimum.reduceat(np.where(wanted, lon, np.inf), starts)
        y0 = np.minimum.reduceat(np.where(wanted, lat, np.inf), starts)
        x1 = np.maximum.reduceat(np.where(wanted, lon, -np.inf), starts)
        y1 = np.maximum.reduceat(np.where(wanted, lat, -np.inf), starts)
        eligible = wanted & (acc <= self._filter_cap)
        for slot, sf in enumerate(slot_filters):
            kind = sf.kind[present]
            exact_all = kind == _SLOT_EXACT
            if exact_all.any():
                rows = np.flatnonzero(np.repeat(exact_all, counts))
                band_rows.append(rows)
                band_slots.append(np.full(rows.size, slot, dtype=np.int64))
            ob = sf.outer_bounds[present]
            ib = sf.inner_box[present]
            # NaN bounds (no filter) fail every comparison: neither missed nor deep.
            hit = (kind == _SLOT_FILTER) & ~(
                (x0 > ob[:, 2]) | (x1 < ob[:, 0]) | (y0 > ob[:, 3]) | (y1 < ob[:, 1])
            )
            deep_box = hit & (ib[:, 0] < x0) & (x1 < ib[:, 2]) & (ib[:, 1] < y0) & (y1 < ib[:, 3])
            if deep_box.any():
                rows_mask = np.repeat(deep_box, counts)
                codes[slot][rows_mask] = CODE_INSIDE
                near[slot][rows_mask] = True
                far[slot][rows_mask] = False
            test = hit & ~deep_box
            if not test.any():
                continue
            inclusion = sf.inclusion[present]
            for group, inner_first in ((test & inclusion, True), (test & ~inclusion, False)):
                if not group.any():
                    continue
                selected = np.repeat(group, counts) & eligible
                rows = np.flatnonzero(selected)
                if rows.size == 0:
                    continue
                # Boolean selections: cheaper than gathering by ``rows``.
                who = person[selected]
                x = lon[selected]
                y = lat[selected]
                # Test first against the filter most fixes settle on: people are usually
                # inside their inclusion zones and far from their exclusion zones.
                if inner_first:
                    in_inner = shapely.contains_xy(sf.inner[who], x, y)
                    rest = np.flatnonzero(~in_inner)
                    deep = np.flatnonzero(in_inner)
                    band = rest[shapely.contains_xy(sf.outer[who[rest]], x[rest], y[rest])]
                else:
                    near_rows = np.flatnonzero(shapely.contains_xy(sf.outer[who], x, y))
                    in_inner = shapely.contains_xy(sf.inner[who[near_rows]], x[near_rows], y[near_rows])
                    deep = near_rows[in_inner]
                    band = near_rows[~in_inner]
                if deep.size:
                    codes[slot, rows[deep]] = CODE_INSIDE
                    near[slot, rows[deep]] = True
                    far[slot, rows[deep]] = False
                if band.size:
                    band_rows.append(rows[band])
                    band_slots.append(np.full(band.size, slot, dtype=np.int64))

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
        """Codes, near and far per (slot, row) for person-sorted rows where ``wanted``.

        Stage 1 (``_filter_stage``) runs the fixes through their zones' prepared filters,
        one or two ``contains_xy`` calls per slot over all persons, skipping a person's
        fixes entirely when the person's bounding box misses the zone's outer filter (all
        far outside) or lies in the square inscribed in its inner filter (all deep inside). Stage 2 gives the exact test, vectorised over
        all remaining (row, zone) pairs at once: fixes near a boundary, and fixes too
        inaccurate for the fine filters (screened by their zone's grown bounding box, then
        by the coarse filters). Rows not wanted hold CODE_NOT_EVALUATED.
        """
        if self._filters is None:
            self.warm()
        assert self._filters is not None
        n = lat.size
        width = self.zone_index.shape[1]
        # Slot-major (slot, row) so that each slot's column is contiguous.
        codes = np.zeros((width, n), dtype=np.int8)
        near = np.zeros((width, n), dtype=bool)
        far = np.ones((width, n), dtype=bool)
        band_rows: list[IntArray] = []
        band_slots: list[IntArray] = []
        present = np.flatnonzero(np.diff(bounds))
        if n and present.size:
            self._filter_stage(
                bounds, present, person, lat, lon, acc, wanted, codes, near, far, band_rows, band_slots
            )
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
            has_zone = zi_wide.ravel() >= 0
            w_rows, w_slots = w_rows[has_zone], w_slots[has_zone]
            codes[w_slots, w_rows] = CODE_OUTSIDE
            near[w_slots, w_rows] = False
            far[w_slots, w_rows] = True
            zi = self.zone_index[person[w_rows], w_slots].astype(np.int64)
            grow = self.table.threshold(zi, acc[w_rows] + self.table.buffer_m[zi])
            b = self._bounds[zi]
            dx = grow / self.table.kx[zi]
            dy = grow / self.table.ky[zi]
            close = (
                (lon[w_rows] >= b[:, 0] - dx)
                & (lon[w_rows] <= b[:, 2] + dx)
                & (lat[w_rows] >= b[:, 1] - dy)
                & (lat[w_rows] <= b[:, 3] + dy)
            )
            # Circles skip the box: their exact test (one distance per pair) costs no more
            # than the box, and the box would have to follow the distance's error bound.
            close |= self._is_circle[zi]
            w_rows, w_slots, zi = w_rows[close], w_slots[close], zi[close]
            # The coarse filters settle most of the rest without the exact test.
            filtered = np.flatnonzero(acc[w_rows] <= self._coarse_cap[zi])
            if filtered.size:
                fr_rows, fr_zones = w_rows[filtered], zi[filtered]
                in_outer = shapely.contains_xy(self._coarse_outer[fr_zones], lon[fr_rows], lat[fr_rows])
                candidates = filtered[in_outer]
                deep = candidates[
                    shapely.contains_xy(
                        self._coarse_inner[zi[candidates]], lon[w_rows[candidates]], lat[w_rows[candidates]]
                    )
                ]
                codes[w_slots[deep], w_rows[deep]] = CODE_INSIDE
                near[w_slots[deep], w_rows[deep]] = True
                far[w_slots[deep], w_rows[deep]] = False
                settled = np.zeros(w_rows.size, dtype=bool)
                settled[filtered[~in_outer]] = True
                settled[deep] = True
                w_rows, w_slots = w_rows[~settled], w_slots[~settled]
            rows = np.concatenate((rows, w_rows))
            slots = np.concatenate((slots, w_slots))
        if rows.size:
            zi = self.zone_index[person[rows], slots].astype(np.int64)
            c, nr, fr = self.table.exact(zi, lat[rows], lon[rows], acc[rows], approach)
            codes[slots, rows] = c
            near[slots, rows] = nr
            far[slots, rows] = fr
        unwanted = ~wanted
        if unwanted.any():
            codes[:, unwanted] = CODE_NOT_EVALUATED
        for slot in range(width):
            missing = self.zone_index[:, slot] < 0
            if missing.any():
                codes[slot, np.repeat(missing, np.diff(bounds))] = CODE_NOT_EVALUATED
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
        codes_by_slot, _, _ = self._terms(bounds, person, lat, lon, acc, usable, approach=False)
        codes = codes_by_slot.T
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
                circle = zone.circle_spec
                if circle is not None:
                    # The true circle's reach, not its display polygon's bounds (which fall
                    # up to a metre short of it).
                    minx, miny, maxx, maxy = (
                        float(v[0])
                        for v in circle_reach_bounds(
                            np.array([circle.lat]),
                            np.array([circle.lon]),
                            np.array([circle.radius_m]),
                            np.array([level]),
                        )
                    )
                    boxes.append(shapely.box(minx, miny, maxx, maxy))
                    continue
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

        Stages, each vectorised over the whole batch: order by (person, time, id),
        classify (static rules), normalise to WGS-84, schedule activity, verdict terms,
        then screens (violations, possible crossings, possible teleports, mock fixes, late
        fixes). A person whom every screen clears and whose state is idle gets the new state
        directly (only the high-water mark and the anchor move); the others go through
        ``engine.run_person``, exactly as ``evaluate_person`` would.

        Fix ids are assumed unique within the batch (the backend deduplicates at ingest).
        """
        config = self.quality
        clock = _Stopwatch()
        now_us = to_epoch_us(now)
        n = len(batch)
        order = _sort_order(batch)
        if order is not None:
            batch = batch.take(order)
        person = batch.person
        t_us = batch.recorded_us
        acc = batch.accuracy_m
        clock.lap("order")
        future = future_times(t_us, batch.received_us, now_us, config)
        static_q = static_quality(
            batch.lat, batch.lon, acc, t_us, batch.received_us, batch.mock, now_us, config, future=future
        )
        clock.lap("classify")
        wlat, wlon = convert_codes_to_wgs84(batch.lat, batch.lon, batch.crs)
        clock.lap("normalise")
        # Verdicts and schedule activity only for fixes that can still be good (teleports
        # are decided later and only ever remove fixes from that set). Their times lie
        # within the stale and future limits of ``now``; the others' may be anywhere in
        # int64 (a phone clock set to 9999), and one of them would stretch the span whose
        # time-zone offsets are looked up. Their rows get ``now``, and nothing reads them.
        maybe_ok = static_q == Q_OK
        masks = _schedule_masks(self.zones, np.where(maybe_ok, t_us, now_us))
        bounds = _person_bounds(person, len(self.person_ids))
        present = np.flatnonzero(np.diff(bounds))
        starts = bounds[present]
        clock.lap("schedules")
        codes, near, far = self._terms(bounds, person, wlat, wlon, acc, maybe_ok, True)
        clock.lap("verdicts")
        counts = bounds[present + 1] - starts
        may_trigger = self._trigger_screen(starts, present, counts, codes, near, maybe_ok, masks)
        may_cross, strict_cross, may_jump, first_ok, last_ok = self._pair_screens(
            person, wlat, wlon, acc, t_us, maybe_ok, codes, masks
        )
        hwm_in = np.full(len(self.person_ids), _NO_TIME, dtype=np.int64)
        anchors = np.full((len(self.person_ids), 3), np.nan)
        # Anchor times apart: a float64 loses microseconds beyond 2**53 (year 2255).
        anchor_t = np.zeros(len(self.person_ids), dtype=np.int64)
        for pid, st in states.items():
            index = self.person_index.get(pid)
            if index is None:
                continue
            if st.hwm_us is not None:
                hwm_in[index] = min(max(st.hwm_us, INT64_MIN), INT64_MAX)
            if st.anchor is not None:
                a = st.anchor
                anchors[index] = (a.lat, a.lon, a.accuracy_m)
                anchor_t[index] = min(max(a.at_us, INT64_MIN), INT64_MAX)
        is_late = t_us <= np.repeat(hwm_in[present], counts)
        late = np.logical_or.reduceat(is_late, starts) if n else np.zeros(0, dtype=bool)
        # run_person pairs the stored anchor with the first fresh fix (late fixes are a
        # separate pass), so that is the pair to screen; without late fixes it is the
        # first possibly-good fix.
        first_fresh = first_ok
        if late.any():
            fresh_rows = np.flatnonzero(maybe_ok & ~is_late)
            first_fresh = np.full(len(self.person_ids), -1, dtype=np.int64)
            first_fresh[person[fresh_rows[::-1]]] = fresh_rows[::-1]
        anchor_cross = np.zeros_like(may_cross)
        self._anchor_screens(anchors, anchor_t, first_fresh, wlat, wlon, acc, t_us, anchor_cross, may_jump)
        # Where no fix can become a teleport and none is late, run_person sees exactly the
        # screened pairs (plus the anchor pair, screened by its box alone): the strict
        # crossing screen holds for them.
        exact_pairs = np.zeros(len(self.person_ids), dtype=bool)
        exact_pairs[present] = ~late & ~may_jump[present]
        may_cross = np.where(exact_pairs[:, None], strict_cross, may_cross) | anchor_cross
        quiet = ~(late | np.logical_or.reduceat(batch.mock, starts)) if n else np.zeros(0, dtype=bool)
        # Fixes from the future do not move the high-water mark (see run_person). Whether a
        # person has a usable fix is kept apart from the latest time: a fix at int64's
        # minimum is still a fix, though its time equals _NO_TIME.
        t_usable = np.where(future, _NO_TIME, t_us)
        top_fix = np.maximum.reduceat(t_usable, starts) if n else np.zeros(0, dtype=np.int64)
        has_usable = np.logical_or.reduceat(~future, starts) if n else np.zeros(0, dtype=bool)
        quiet &= ~may_trigger.any(axis=1) & ~may_cross[present].any(axis=1) & ~may_jump[present]
        clock.lap("screens")

        has_approach = self._has_approach
        quality = static_q.copy()
        events: list[GeofenceEvent] = []
        new_states: dict[str, PersonState] = {}
        # Python values for the quiet persons' fast path, converted in bulk.
        last_rows = last_ok[present]
        last_safe = np.maximum(last_rows, 0)
        last_list = last_rows.tolist()
        last_t = t_us[last_safe].tolist()
        last_lat = wlat[last_safe].tolist()
        last_lon = wlon[last_safe].tolist()
        last_acc = acc[last_safe].tolist()
        top_list = top_fix.tolist()
        has_usable_list = has_usable.tolist()
        quiet_list = quiet.tolist()
        for k, p in enumerate(present.tolist()):
            pid = self.person_ids[p]
            state = states.get(pid) or PersonState(pid)
            if quiet_list[k] and _idle(state):
                last = last_list[k]
                anchor = state.anchor
                if last >= 0:
                    anchor = FixPoint(batch.ids[last], last_t[k], last_lat[k], last_lon[k], last_acc[k])
                hwm = state.hwm_us
                if has_usable_list[k]:
                    hwm = top_list[k] if hwm is None else max(hwm, top_list[k])
                zones_kept = state.zones
                if zones_kept:
                    slots = self._zone_slots[p]
                    zones_kept = tuple(
                        sorted(
                            (z for z in zones_kept if z.zone_id in slots and not z.is_default),
                            key=lambda z: slots[z.zone_id],
                        )
                    )
                # The same fields run_person would produce for a quiet person.
                new_states[pid] = PersonState(
                    pid, hwm, anchor, None, 0, False, False, zones_kept, state.recent
                )
                continue
            s, e = int(bounds[p]), int(bounds[p + 1])
            zones = self.zone_sets[p]
            zone_rows = self.zone_index[p]
            fx = PersonFixes(
                batch.ids[s:e],
                t_us[s:e],
                wlat[s:e],
                wlon[s:e],
                acc[s:e],
                static_q[s:e],
                batch.mock[s:e],
                future[s:e],
            )

            def terms_fn(
                zi: int, rows: IntArray, s: int = s, zone_rows: NDArray[np.int32] = zone_rows
            ) -> ZoneTerms:
                r = rows + s
                if has_approach[zone_rows[zi]]:
                    return ZoneTerms(codes[zi, r], near[zi, r], far[zi, r])
                return ZoneTerms(codes[zi, r], None, None)

            def active_fn(
                zi: int, rows: IntArray, s: int = s, zone_rows: NDArray[np.int32] = zone_rows
            ) -> NDArray[np.bool_]:
                mask = masks[int(zone_rows[zi])]
                if mask is None:
                    return np.ones(rows.size, dtype=bool)
                out: NDArray[np.bool_] = mask[s:][rows]
                return out

            hints = Hints(may_trigger[k].tolist(), may_cross[p].tolist(), bool(may_jump[p]))
            result = run_person(state, fx, zones, terms_fn, active_fn, now_us, config, hints)
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
        events.sort(key=lambda ev: (ev.person_id, *ev.sort_key()))
        clock.lap("state machines")
        return BatchEvaluation(new_states, events, quality, ids, clock.laps)

    # -- screens for the full path ---------------------------------------------

    def _trigger_screen(
        self,
        starts: IntArray,
        present: IntArray,
        counts: IntArray,
        codes: NDArray[np.int8],
        near: NDArray[np.bool_],
        wanted: NDArray[np.bool_],
        masks: list[NDArray[np.bool_] | None],
    ) -> NDArray[np.bool_]:
        """Per present person and slot: does any possibly-good fix violate the zone, or come
        within its approach buffer, while the zone is active? (rows: ``present`` order)"""
        width, n = codes.shape
        out = np.zeros((present.size, width), dtype=bool)
        if n == 0:
            return out
        mask_of_zone, distinct = self._mask_ids(masks)
        for slot in range(width):
            zi = self.zone_index[present, slot]
            if (zi < 0).all():
                continue
            zsafe = np.where(zi >= 0, zi, 0)
            # Zone properties per row by repeating each person's value over their rows.
            inclusion = np.repeat(self._inclusion[zsafe], counts)
            trigger = np.where(inclusion, codes[slot] == CODE_OUTSIDE, codes[slot] == CODE_INSIDE)
            approach = self._has_approach[zsafe]
            if approach.any():
                trigger |= near[slot] & np.repeat(approach, counts)
            trigger &= wanted
            if distinct:
                sid = np.repeat(mask_of_zone[zsafe], counts)
                for k, mask in enumerate(distinct):
                    trigger &= (sid != k) | mask
            out[:, slot] = np.logical_or.reduceat(trigger, starts)
            out[zi < 0, slot] = False
        return out

    def _pair_screens(
        self,
        person: IntArray,
        lat: FloatArray,
        lon: FloatArray,
        acc: FloatArray,
        t_us: IntArray,
        wanted: NDArray[np.bool_],
        codes: NDArray[np.int8],
        masks: list[NDArray[np.bool_] | None],
    ) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.bool_], IntArray, IntArray]:
        """Per person, over pairs of consecutive possibly-good fixes: may a segment pass
        through an exclusion zone (per slot: it overlaps the zone's bounding box),
        and may a pair be a teleport (``possible_jumps``)? Also each person's first and
        last possibly-good rows (-1 if none).

        Returns (may_cross, may_cross_strict, may_jump, first_ok, last_ok).
        ``may_cross_strict`` also asks what ``engine._crossings`` asks before sampling a
        segment: both fixes certainly outside, the zone active at one of them, and the
        segment meeting the zone. It holds for a person's own pairs only if these are the
        pairs ``run_person`` sees, that is if no fix can turn into a teleport and none is
        late; the caller decides.
        """
        n_persons = len(self.person_ids)
        may_cross = np.zeros((n_persons, self.zone_index.shape[1]), dtype=bool)
        strict = np.zeros((n_persons, self.zone_index.shape[1]), dtype=bool)
        may_jump = np.zeros(n_persons, dtype=bool)
        first_ok = np.full(n_persons, -1, dtype=np.int64)
        last_ok = np.full(n_persons, -1, dtype=np.int64)
        rows = np.flatnonzero(wanted)
        if rows.size == 0:
            return may_cross, strict, may_jump, first_ok, last_ok
        pc = person[wanted]
        last_ok[pc] = rows  # later rows overwrite earlier ones: the last one wins
        first_ok[pc[::-1]] = rows[::-1]
        if rows.size < 2:
            return may_cross, strict, may_jump, first_ok, last_ok
        mask_of_zone, distinct = self._mask_ids(masks)
        la, lo, ac, tt = lat[wanted], lon[wanted], acc[wanted], t_us[wanted]
        same = pc[1:] == pc[:-1]
        pb = pc[1:]
        jumps = possible_jumps(
            la[:-1], lo[:-1], ac[:-1], tt[:-1], la[1:], lo[1:], ac[1:], tt[1:], self.quality
        )
        may_jump[pb[jumps & same]] = True
        # A segment can only meet a zone's box if its person's box (over all their
        # possibly-good fixes) does; only those persons' segments are tested.
        starts = np.flatnonzero(np.concatenate(([True], pc[1:] != pc[:-1])))
        owners = pc[starts]
        p_box = np.column_stack(
            (
                np.minimum.reduceat(lo, starts),
                np.minimum.reduceat(la, starts),
                np.maximum.reduceat(lo, starts),
                np.maximum.reduceat(la, starts),
            )
        )
        # Segments per owner (segment k joins rows k and k + 1 and belongs to the person of
        # row k + 1; those joining two persons are dropped by ``same``).
        seg_counts = np.diff(np.append(starts, rows.size))
        seg_counts[0] -= 1
        for slot in range(self.zone_index.shape[1]):
            box = self._slot_boxes[slot, owners]
            # NaN boxes (inclusion zones, empty slots) fail every comparison.
            overlap = (p_box[:, 0] <= box[:, 2]) & (p_box[:, 2] >= box[:, 0])
            overlap &= (p_box[:, 1] <= box[:, 3]) & (p_box[:, 3] >= box[:, 1])
            if not overlap.any():
                continue
            seg = np.flatnonzero(np.repeat(overlap, seg_counts) & same)
            a, b = seg, seg + 1
            sb = self._slot_boxes[slot, pb[seg]]
            hit = (np.minimum(lo[a], lo[b]) <= sb[:, 2]) & (np.maximum(lo[a], lo[b]) >= sb[:, 0])
            hit &= (np.minimum(la[a], la[b]) <= sb[:, 3]) & (np.maximum(la[a], la[b]) >= sb[:, 1])
            seg = seg[hit]
            may_cross[pb[seg], slot] = True
            # The strict screen: certainly outside at both ends, the zone active at either.
            ra, rb = rows[seg], rows[seg + 1]
            c = codes[slot]
            keep = (c[ra] == CODE_OUTSIDE) & (c[rb] == CODE_OUTSIDE)
            seg, ra, rb = seg[keep], ra[keep], rb[keep]
            if seg.size == 0:
                continue
            zi = self.zone_index[pb[seg], slot]
            sid = mask_of_zone[zi]
            active = sid < 0
            for k, mask in enumerate(distinct):
                mine = sid == k
                if mine.any():
                    active[mine] = mask[ra[mine]] | mask[rb[mine]]
            seg, zi = seg[active], zi[active]
            if seg.size == 0:
                continue
            lines = shapely.linestrings(
                np.stack(
                    (np.column_stack((lo[seg], la[seg])), np.column_stack((lo[seg + 1], la[seg + 1]))), axis=1
                )
            )
            meets = shapely.intersects(self.table.lonlat[zi], lines)
            strict[pb[seg[meets]], slot] = True
        return may_cross, strict, may_jump, first_ok, last_ok

    def _anchor_screens(
        self,
        anchors: FloatArray,  # (lat, lon, accuracy) per person, NaN without anchor
        anchor_t: IntArray,
        first_ok: IntArray,  # each person's first possibly-good fresh row (-1: none)
        lat: FloatArray,
        lon: FloatArray,
        acc: FloatArray,
        t_us: IntArray,
        may_cross: NDArray[np.bool_],
        may_jump: NDArray[np.bool_],
    ) -> None:
        """Add the pairs (stored anchor, first possibly-good fresh fix) to the pair screens."""
        persons = np.flatnonzero((first_ok >= 0) & ~np.isnan(anchors[:, 0]))
        if persons.size == 0:
            return
        rows = first_ok[persons]
        a = anchors[persons]
        a_t = anchor_t[persons]
        jumps = possible_jumps(
            a[:, 0], a[:, 1], a[:, 2], a_t, lat[rows], lon[rows], acc[rows], t_us[rows], self.quality
        )
        may_jump[persons[jumps]] = True
        lo_x = np.minimum(a[:, 1], lon[rows])
        hi_x = np.maximum(a[:, 1], lon[rows])
        lo_y = np.minimum(a[:, 0], lat[rows])
        hi_y = np.maximum(a[:, 0], lat[rows])
        for slot in range(self.zone_index.shape[1]):
            box = self._slot_boxes[slot, persons]
            hit = (lo_x <= box[:, 2]) & (hi_x >= box[:, 0]) & (lo_y <= box[:, 3]) & (hi_y >= box[:, 1])
            may_cross[persons[hit], slot] = True


class _Stopwatch:
    """Stage timings for the benchmark's breakdown (seconds per stage)."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = self.laps.get(name, 0.0) + now - self._last
        self._last = now


def _idle(state: PersonState) -> bool:
    """No episode, approach, teleport chain or mock run in progress."""
    if state.chain is not None or state.teleport_open or state.mock_open:
        return False
    return all(z.phase == PHASE_CLEAR and not z.approach_open for z in state.zones)


def _sort_order(batch: FixBatch) -> IntArray | None:
    """Permutation to (person, recorded time, id) order, or None if already in it.

    Equal (person, time) pairs are rare, so ids are compared only inside such ties.
    """
    n = len(batch)
    if n < 2:
        return None
    person, t_us = batch.person, batch.recorded_us
    # Compared, not subtracted: the difference of two int64 times can wrap around.
    later = t_us[1:] > t_us[:-1]
    if ((person[1:] > person[:-1]) | ((person[1:] == person[:-1]) & later)).all():
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

    Each time zone is broken down once and each distinct schedule evaluated once, however
    many zones share it.
    """
    local_by_tz: dict[str, LocalTimes] = {}
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
                local = LocalTimes.from_utc(sched.tz, t_us)
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
