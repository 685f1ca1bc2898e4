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
from geofence.fixes import QUALITY_BY_CODE, FixBatch, FixQuality, QualityConfig, static_quality, to_epoch_us
from geofence.schedule import Schedule, local_offsets_us
from geofence.state import PersonState
from geofence.verdicts import CODE_NOT_EVALUATED, CODE_OUTSIDE, ZoneTerms, verdict_codes
from geofence.zones import Zone, ZoneKind, level_for, zones_by_id

__all__ = ["BatchEvaluation", "BatchEvaluator", "GlobalVerdicts", "VerdictTable"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


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
        warm: bool = True,
    ) -> None:
        self.quality = quality or QualityConfig()
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
        self._tree: shapely.STRtree | None = None
        self._tree_level: float | None = None
        if warm:
            self.warm()

    # -- preparation ----------------------------------------------------------

    def warm(self, max_accuracy_m: float | None = None) -> None:
        """Build prepared geometry and the filters for accuracies up to ``max_accuracy_m``.

        Defaults to the quality config's ``max_accuracy_m``: the engine only needs verdicts
        for good fixes. Building costs about a millisecond per polygon zone, once.
        """
        acc = self.quality.max_accuracy_m if max_accuracy_m is None else max_accuracy_m
        for zone in self.zones:
            if zone.circle_spec is not None:
                _ = zone.metric
                continue
            metric = zone.metric
            needed = metric.threshold_scalar(acc)
            level = level_for(needed)
            if level is None:
                continue
            metric.inner(level)
            if zone.kind is ZoneKind.EXCLUSION and zone.approach_buffer_m > 0:
                outer_level = level_for(metric.threshold_scalar(acc + zone.approach_buffer_m))
                if outer_level is not None:
                    metric.outer(outer_level)
            else:
                metric.outer(level)

    # -- verdicts -------------------------------------------------------------

    def verdicts(
        self, person: IntArray, lon: FloatArray, lat: FloatArray, accuracy_m: FloatArray
    ) -> VerdictTable:
        """Verdict codes of WGS-84 fixes against each one's own person's zones."""
        person = np.asarray(person, dtype=np.int64)
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        acc = np.asarray(accuracy_m, dtype=np.float64)
        order = None if person.size < 2 or (np.diff(person) >= 0).all() else np.argsort(person, kind="stable")
        if order is not None:
            person, lon, lat, acc = person[order], lon[order], lat[order], acc[order]
        n = person.size
        codes = np.full((n, self.zone_index.shape[1]), CODE_NOT_EVALUATED, dtype=np.int8)
        bounds = _person_bounds(person, len(self.person_ids))
        for p in np.flatnonzero(np.diff(bounds)).tolist():
            s, e = int(bounds[p]), int(bounds[p + 1])
            for slot, zone in enumerate(self.zone_sets[p]):
                codes[s:e, slot] = verdict_codes(
                    zone, lat[s:e], lon[s:e], acc[s:e], approach=False
                ).codes
        if order is not None:
            unsorted = np.empty_like(codes)
            unsorted[order] = codes
            codes = unsorted
        return VerdictTable(codes, self.zone_index)

    def verdicts_global(self, lon: FloatArray, lat: FloatArray, accuracy_m: FloatArray) -> GlobalVerdicts:
        """Every fix against every zone; returns the pairs that are not OUTSIDE."""
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        acc = np.asarray(accuracy_m, dtype=np.float64)
        tree = self._global_tree(float(acc.max()) if acc.size else 0.0)
        if tree is None:
            # Accuracies beyond the filter levels: fall back to zone bounds grown generously.
            return self._global_exact(lon, lat, acc)
        fix_idx, zone_idx = tree.query(shapely.points(lon, lat))
        return self._pairs(fix_idx, zone_idx, lon, lat, acc)

    def _global_tree(self, max_acc: float) -> shapely.STRtree | None:
        levels = [level_for(z.metric.threshold_scalar(max_acc)) for z in self.zones]
        if any(level is None for level in levels):
            return None
        level = max(lv for lv in levels if lv is not None) if levels else 0.0
        if self._tree is None or self._tree_level is None or self._tree_level < level:
            self._tree = shapely.STRtree([z.metric.outer(level) for z in self.zones])
            self._tree_level = level
        return self._tree

    def _global_exact(self, lon: FloatArray, lat: FloatArray, acc: FloatArray) -> GlobalVerdicts:
        fix_parts: list[IntArray] = []
        zone_parts: list[NDArray[np.int32]] = []
        code_parts: list[NDArray[np.int8]] = []
        for zi, zone in enumerate(self.zones):
            codes = verdict_codes(zone, lat, lon, acc, approach=False, use_filters=False).codes
            rows = np.flatnonzero(codes != CODE_OUTSIDE)
            fix_parts.append(rows)
            zone_parts.append(np.full(rows.size, zi, dtype=np.int32))
            code_parts.append(codes[rows])
        return _concat(fix_parts, zone_parts, code_parts)

    def _pairs(
        self, fix_idx: IntArray, zone_idx: IntArray, lon: FloatArray, lat: FloatArray, acc: FloatArray
    ) -> GlobalVerdicts:
        order = np.argsort(zone_idx, kind="stable")
        fix_idx = fix_idx[order]
        zone_idx = zone_idx[order]
        cuts = np.flatnonzero(np.diff(zone_idx)) + 1
        fix_parts: list[IntArray] = []
        zone_parts: list[NDArray[np.int32]] = []
        code_parts: list[NDArray[np.int8]] = []
        for rows, zis in zip(np.split(fix_idx, cuts), np.split(zone_idx, cuts), strict=True):
            if rows.size == 0:
                continue
            zone = self.zones[int(zis[0])]
            codes = verdict_codes(zone, lat[rows], lon[rows], acc[rows], approach=False).codes
            keep = codes != CODE_OUTSIDE
            fix_parts.append(rows[keep])
            zone_parts.append(zis[keep].astype(np.int32))
            code_parts.append(codes[keep])
        return _concat(fix_parts, zone_parts, code_parts)

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
        quality = np.empty(n, dtype=np.int8)
        events: list[GeofenceEvent] = []
        new_states: dict[str, PersonState] = {}
        for p in np.flatnonzero(np.diff(bounds)).tolist():
            s, e = int(bounds[p]), int(bounds[p + 1])
            pid = self.person_ids[p]
            zones = self.zone_sets[p]
            zone_rows = self.zone_index[p]
            fx = PersonFixes(
                batch.ids[s:e] if not isinstance(batch.ids, np.ndarray) else list(batch.ids[s:e]),
                t_us[s:e],
                wlat[s:e],
                wlon[s:e],
                batch.accuracy_m[s:e],
                static_q[s:e],
                batch.mock[s:e],
            )

            def terms_fn(zi: int, rows: IntArray, fx: PersonFixes = fx, zones: list[Zone] = zones) -> ZoneTerms:
                return verdict_codes(zones[zi], fx.lat[rows], fx.lon[rows], fx.acc[rows])

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
