"""Geofence engine benchmark: full path and verdict stage against raw Shapely, same run.

Run ``python benchmarks/geofence_bench.py`` (``--quick`` for a small smoke run). The data
is synthetic but shaped like the county's: 10,000 polygon zones of 20-200 vertices within
100 km of lon 122.4, lat 37.1, about 3 per person (a home area that must contain the
person, an exclusion zone such as a school, and a scheduled zone: a night-curfew home or an
evening exclusion), and 1,000,000 fixes over one day from tracks that dwell and travel with
realistic GPS error, including a few breaches, low-accuracy, null-island, mock, future and
teleporting fixes. 70 % of fixes are WGS-84, 25 % GCJ-02, 5 % BD-09.

Three timings on one core:

* reference: ``shapely.contains_xy`` on prepared zone geometry, grouped per person, on the
  fixes already in WGS-84 (a bare inside/outside answer, no accuracy, no state);
* verdict stage: ``BatchEvaluator.verdicts`` on the same arrays (inside / outside /
  uncertain with the accuracy disc);
* full path: ``BatchEvaluator.evaluate`` on the raw fixes (order, normalise, classify,
  verdicts, state machines, events), in two half-day batches so the second continues the
  states of the first.

It prints the figures, then one JSON line (with every full-path run's time and the load
average before and after, since the machine may be shared).
"""

from __future__ import annotations

import os

# One core: keep any threaded numerical library to a single thread.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import datetime as dt
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geofence import (
    BatchEvaluator,
    EpisodeConfig,
    EventKind,
    FixBatch,
    Schedule,
    Zone,
    ZoneKind,
)
from geofence.crs import CRS_CODES, Crs, from_wgs84_array
from geofence.fixes import NO_TIME, to_epoch_us
from geofence.schedule import WeeklyWindow

ORIGIN_LAT = 37.1
ORIGIN_LON = 122.4
M_PER_DEG_LAT = 110_990.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(ORIGIN_LAT))
DAY_START = dt.datetime(2024, 3, 4, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


# ---------------------------------------------------------------------------
# Synthetic county
# ---------------------------------------------------------------------------


def _star_polygon(rng: np.random.Generator, lat: float, lon: float, radius_m: float) -> shapely.Polygon:
    """A simple polygon of 20-200 vertices around a centre, shaped like a drawn area.

    The outline is star-shaped (so always valid): a few smooth harmonics, as streets and
    fields give, plus 5 % vertex jitter.
    """
    n = int(rng.integers(20, 201))
    angles = np.sort(rng.uniform(0.0, 2.0 * math.pi, n))
    radii = np.ones(n)
    for k in range(2, 6):
        radii += rng.uniform(0.0, 0.25 / k) * np.cos(k * angles + rng.uniform(0, 2 * math.pi))
    radii *= radius_m * (1.0 + 0.05 * rng.uniform(-1.0, 1.0, n))
    xs = lon + radii * np.cos(angles) / M_PER_DEG_LON
    ys = lat + radii * np.sin(angles) / M_PER_DEG_LAT
    return shapely.Polygon(np.column_stack((xs, ys)))


def build_zones(rng: np.random.Generator, n_zones: int) -> tuple[dict[str, list[Zone]], np.ndarray]:
    """Per-person zone sets (about 3 each) and each person's home (lat, lon)."""
    n_persons = max(1, n_zones // 3)
    homes = np.empty((n_persons, 2))
    r = 100_000.0 * np.sqrt(rng.uniform(size=n_persons))
    theta = rng.uniform(0, 2 * math.pi, n_persons)
    homes[:, 0] = ORIGIN_LAT + r * np.sin(theta) / M_PER_DEG_LAT
    homes[:, 1] = ORIGIN_LON + r * np.cos(theta) / M_PER_DEG_LON
    curfew = Schedule.daily("22:00", "06:00")
    evening = Schedule.daily("18:00", "02:00")
    school_hours = Schedule(windows=(WeeklyWindow(frozenset(range(5)), dt.time(7), dt.time(18)),))
    zone_sets: dict[str, list[Zone]] = {}
    made = 0
    for p in range(n_persons):
        lat, lon = float(homes[p, 0]), float(homes[p, 1])
        zones: list[Zone] = []
        count = 3 + (1 if p < n_zones - 3 * n_persons else 0)
        for k in range(count):
            if made >= n_zones:
                break
            made += 1
            zid = f"z{p}-{k}"
            if k == 0:
                poly = _star_polygon(rng, lat, lon, float(rng.uniform(2500, 6000)))
                zones.append(Zone(zid, ZoneKind.INCLUSION, poly))
            elif k == 1 or k == 3:
                d = float(rng.uniform(600, 4000))
                a = float(rng.uniform(0, 2 * math.pi))
                zlat = lat + d * math.sin(a) / M_PER_DEG_LAT
                zlon = lon + d * math.cos(a) / M_PER_DEG_LON
                poly = _star_polygon(rng, zlat, zlon, float(rng.uniform(100, 500)))
                buffer_m = 200.0 if rng.uniform() < 0.5 else 0.0
                zones.append(
                    Zone(
                        zid,
                        ZoneKind.EXCLUSION,
                        poly,
                        schedule=school_hours if k == 1 and p % 2 else None,
                        approach_buffer_m=buffer_m,
                    )
                )
            elif p % 3 == 0:
                poly = _star_polygon(rng, lat, lon, float(rng.uniform(150, 400)))
                zones.append(
                    Zone(
                        zid,
                        ZoneKind.INCLUSION,
                        poly,
                        schedule=curfew,
                        episode=EpisodeConfig(confirm_fixes=3, confirm_seconds=600),
                    )
                )
            else:
                d = float(rng.uniform(1000, 5000))
                a = float(rng.uniform(0, 2 * math.pi))
                poly = _star_polygon(
                    rng,
                    lat + d * math.sin(a) / M_PER_DEG_LAT,
                    lon + d * math.cos(a) / M_PER_DEG_LON,
                    float(rng.uniform(150, 600)),
                )
                zones.append(Zone(zid, ZoneKind.EXCLUSION, poly, schedule=evening))
        zone_sets[f"p{p}"] = zones
    return zone_sets, homes


def build_fixes(rng: np.random.Generator, homes: np.ndarray, n_fixes: int) -> dict[str, np.ndarray]:
    """Tracks for every person over one day, in person-then-time order."""
    n_persons = homes.shape[0]
    per = np.full(n_persons, n_fixes // n_persons)
    per[: n_fixes - int(per.sum())] += 1
    person = np.repeat(np.arange(n_persons), per)
    # Sorted times over the day for each person.
    offsets = np.concatenate([np.sort(rng.uniform(0, 86_400, k)) for k in per.tolist()])
    start_us = to_epoch_us(DAY_START)
    t_us = start_us + (offsets * 1e6).astype(np.int64)
    # Each person spends the day between home and a second place 0.5-2 km away; 4 % of
    # people make a 3-hour trip 8-15 km out (breaching their home area).
    home_lat = homes[person, 0]
    home_lon = homes[person, 1]
    d2 = rng.uniform(500, 2000, n_persons)[person]
    a2 = rng.uniform(0, 2 * math.pi, n_persons)[person]
    hour = offsets / 3600.0
    at_second = (hour > 9) & (hour < 17)
    lat = home_lat + np.where(at_second, d2 * np.sin(a2) / M_PER_DEG_LAT, 0.0)
    lon = home_lon + np.where(at_second, d2 * np.cos(a2) / M_PER_DEG_LON, 0.0)
    tripper = (rng.uniform(size=n_persons) < 0.04)[person]
    trip_start = rng.uniform(8, 18, n_persons)[person]
    on_trip = tripper & (hour > trip_start) & (hour < trip_start + 3)
    d3 = rng.uniform(8000, 15000, n_persons)[person]
    a3 = rng.uniform(0, 2 * math.pi, n_persons)[person]
    lat = np.where(on_trip, home_lat + d3 * np.sin(a3) / M_PER_DEG_LAT, lat)
    lon = np.where(on_trip, home_lon + d3 * np.cos(a3) / M_PER_DEG_LON, lon)
    # GPS error: reported accuracy is a 68 % radius (lognormal around 15 m, up to ~150 m);
    # the true error is Rayleigh with that 68 % radius.
    acc = np.clip(rng.lognormal(math.log(15.0), 0.7, n_fixes), 3.0, 150.0)
    sigma = acc / 1.5096
    err = sigma * np.sqrt(-2.0 * np.log(rng.uniform(1e-12, 1.0, n_fixes)))
    ang = rng.uniform(0, 2 * math.pi, n_fixes)
    lat = lat + err * np.sin(ang) / M_PER_DEG_LAT
    lon = lon + err * np.cos(ang) / M_PER_DEG_LON
    # Bad fixes: 1 % low accuracy, 0.1 % null island, 0.05 % mock, 0.05 % future, 0.02 % jumps.
    u = rng.uniform(size=n_fixes)
    acc = np.where(u < 0.01, rng.uniform(300, 2000, n_fixes), acc)
    lat = np.where((u >= 0.01) & (u < 0.011), 0.0, lat)
    lon = np.where((u >= 0.01) & (u < 0.011), 0.0, lon)
    mock = (u >= 0.011) & (u < 0.0115)
    t_future = (u >= 0.0115) & (u < 0.012)
    jump = (u >= 0.012) & (u < 0.0122)
    lat = np.where(jump, lat + 0.5, lat)
    received_us = t_us + rng.integers(1_000_000, 30_000_000, n_fixes)
    t_us = np.where(t_future, t_us + 86_400_000_000 * 30, t_us)
    wgs_lat, wgs_lon = lat.copy(), lon.copy()
    # Datums as the phones send them.
    crs = np.zeros(n_fixes, dtype=np.int8)
    c = rng.uniform(size=n_fixes)
    crs[c < 0.30] = CRS_CODES[Crs.GCJ02]
    crs[c < 0.05] = CRS_CODES[Crs.BD09]
    raw_lat, raw_lon = lat.copy(), lon.copy()
    for code, name in ((CRS_CODES[Crs.GCJ02], Crs.GCJ02), (CRS_CODES[Crs.BD09], Crs.BD09)):
        rows = crs == code
        raw_lat[rows], raw_lon[rows] = from_wgs84_array(lat[rows], lon[rows], name)
    # Future fixes break time order; re-sort by (person, time) as an ingest batch would be.
    order = np.lexsort((t_us, person))
    return {
        "person": person[order].astype(np.int64),
        "t_us": t_us[order],
        "received_us": np.where(t_future, NO_TIME, received_us)[order].astype(np.int64),
        "lat": raw_lat[order],
        "lon": raw_lon[order],
        "wgs_lat": wgs_lat[order],
        "wgs_lon": wgs_lon[order],
        "acc": acc[order],
        "crs": crs[order],
        "mock": mock[order],
    }


# ---------------------------------------------------------------------------
# Timed stages
# ---------------------------------------------------------------------------


def reference(zone_sets: list[list[Zone]], person: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> float:
    """Seconds for raw contains_xy on prepared geometry, grouped per person."""
    prepared = []
    for zones in zone_sets:
        geoms = [shapely.transform(z.geometry, lambda c: c) for z in zones]
        for g in geoms:
            shapely.prepare(g)
        prepared.append(geoms)
    bounds = np.searchsorted(person, np.arange(len(zone_sets) + 1))
    inside = 0
    start = time.perf_counter()
    for p, geoms in enumerate(prepared):
        s, e = int(bounds[p]), int(bounds[p + 1])
        if s == e:
            continue
        x = lon[s:e]
        y = lat[s:e]
        for g in geoms:
            inside += int(shapely.contains_xy(g, x, y).sum())
    elapsed = time.perf_counter() - start
    assert inside >= 0  # keep the result alive
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run (300 zones, 30,000 fixes)")
    parser.add_argument("--seed", type=int, default=20240304)
    parser.add_argument(
        "--repeats",
        type=int,
        default=5,
        help="timed runs of each stage, best kept (default 5; the machine may be shared)",
    )
    args = parser.parse_args()
    # CI runs every benchmark at its CI size (BENCH_SIZE=ci): here the smoke run.
    args.quick = args.quick or os.environ.get("BENCH_SIZE", "").lower() == "ci"
    load_before = [round(x, 2) for x in os.getloadavg()]
    n_zones, n_fixes = (300, 30_000) if args.quick else (10_000, 1_000_000)
    rng = np.random.default_rng(args.seed)

    t0 = time.perf_counter()
    zone_sets, homes = build_zones(rng, n_zones)
    data = build_fixes(rng, homes, n_fixes)
    ids = [f"f{i}" for i in range(n_fixes)]
    t_data = time.perf_counter() - t0

    t0 = time.perf_counter()
    evaluator = BatchEvaluator(zone_sets)
    t_warm = time.perf_counter() - t0

    # Reference and verdict stage on the same WGS-84 arrays; best of a few runs each.
    person, wlat, wlon, acc = data["person"], data["wgs_lat"], data["wgs_lon"], data["acc"]
    repeats = max(1, args.repeats)
    t_ref = min(reference(evaluator.zone_sets, person, wlon, wlat) for _ in range(repeats))
    t_verdict = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        evaluator.verdicts(person, wlon, wlat, acc)
        t_verdict = min(t_verdict, time.perf_counter() - start)

    # Full path in two half-day batches; the whole day is replayed from empty states a few
    # times and the best time kept, like the other two stages (the machine is shared).
    noon_us = to_epoch_us(DAY_START + dt.timedelta(hours=12))
    first = data["t_us"] < noon_us
    now = DAY_START + dt.timedelta(hours=24, minutes=5)
    batches = []
    for half in (first, ~first):
        rows = np.flatnonzero(half)
        batches.append(
            FixBatch(
                ids=[ids[i] for i in rows.tolist()],
                person=data["person"][rows],
                recorded_us=data["t_us"][rows],
                received_us=data["received_us"][rows],
                lat=data["lat"][rows],
                lon=data["lon"][rows],
                accuracy_m=data["acc"][rows],
                crs=data["crs"][rows],
                mock=data["mock"][rows],
            )
        )
    t_full = math.inf
    full_runs: list[float] = []
    counts: dict[str, int] = {}
    stages: dict[str, float] = {}
    for _ in range(repeats):
        states: dict = {}
        counts = {}
        elapsed = 0.0
        laps: dict[str, float] = {}
        for batch in batches:
            start = time.perf_counter()
            result = evaluator.evaluate(states, batch, now=now)
            elapsed += time.perf_counter() - start
            states.update(result.states)
            for name, seconds in result.timings.items():
                laps[name] = laps.get(name, 0.0) + seconds
            for event in result.events:
                counts[event.kind.value] = counts.get(event.kind.value, 0) + 1
        full_runs.append(elapsed)
        if elapsed < t_full:
            t_full = elapsed
            stages = laps

    figures = {
        "benchmark": "geofence",
        "quick": args.quick,
        "zones": len(evaluator.zones),
        "persons": len(evaluator.person_ids),
        "fixes": n_fixes,
        "full_path_fixes_per_s": round(n_fixes / t_full),
        "verdict_fixes_per_s": round(n_fixes / t_verdict),
        "reference_fixes_per_s": round(n_fixes / t_ref),
        "verdict_to_reference_ratio": round(t_ref / t_verdict, 3),
        "full_path_to_reference_ratio": round(t_ref / t_full, 3),
        "full_path_s": round(t_full, 3),
        "verdict_s": round(t_verdict, 3),
        "reference_s": round(t_ref, 3),
        "warm_s": round(t_warm, 2),
        "data_s": round(t_data, 2),
        "full_path_stages_s": {name: round(seconds, 3) for name, seconds in stages.items()},
        "full_path_runs_s": [round(seconds, 3) for seconds in full_runs],
        "loadavg_before_after": [load_before, [round(x, 2) for x in os.getloadavg()]],
        "events": dict(sorted(counts.items())),
    }
    breaches = counts.get(EventKind.BREACH_OPENED.value, 0)
    print(f"geofence benchmark: {figures['zones']} zones, {figures['persons']} persons, {n_fixes} fixes")
    print(f"  reference (contains_xy, prepared, per person): {figures['reference_fixes_per_s']:>12,} fixes/s")
    print(
        f"  verdict stage (accuracy-aware):                {figures['verdict_fixes_per_s']:>12,} fixes/s"
        f"  = {figures['verdict_to_reference_ratio']:.0%} of reference"
    )
    print(
        f"  full path (normalise, classify, verdict, state): {figures['full_path_fixes_per_s']:>10,} fixes/s"
        f"  = {figures['full_path_to_reference_ratio']:.0%} of reference"
    )
    print("  full path stages (s): " + ", ".join(f"{k} {v:.3f}" for k, v in stages.items()))
    print(
        "  full path runs (s): "
        + ", ".join(f"{v:.3f}" for v in full_runs)
        + f"; load average before {load_before}, after {figures['loadavg_before_after'][1]}"
    )
    print(
        f"  setup: data {t_data:.1f} s, filter warm-up {t_warm:.1f} s; breaches opened: {breaches}; events: {counts}"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
