"""The vectorised batch path gives exactly what the per-person path gives."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from geofence import (
    BatchEvaluator,
    Crs,
    EpisodeConfig,
    Fix,
    FixBatch,
    Schedule,
    Zone,
    evaluate_person,
)
from geofence.verdicts import CODE_NOT_EVALUATED, CODE_OUTSIDE, verdict_codes

from .helpers import HOME_LAT, HOME_LON, T0, fix_at, offset, square_zone


def zone_sets() -> dict[str, list[Zone]]:
    county = square_zone("county", "inclusion", 6000.0)  # shared by everyone
    curfew = Schedule.daily("20:10", "06:00")  # starts ten minutes after T0 (20:00 local)
    out: dict[str, list[Zone]] = {}
    for p in range(6):
        east = 1500.0 * p - 3000.0
        lat, lon = offset(HOME_LAT, HOME_LON, east, 0.0)
        s_lat, s_lon = offset(lat, lon, 0.0, 700.0)
        zones = [
            county,
            Zone.circle("home", "inclusion", lat, lon, 250.0, schedule=curfew),
            square_zone(
                "school",
                "exclusion",
                90.0,
                lat=s_lat,
                lon=s_lon,
                approach_buffer_m=150.0,
                episode=EpisodeConfig(confirm_fixes=2, confirm_seconds=60),
            ),
        ]
        if p % 2:
            zones.append(square_zone("bar", "exclusion", 60.0, lat=lat, lon=lon + 0.01))
        out[f"p{p}"] = zones
    return out


def random_fixes(rng: np.random.Generator, person: int, count: int, start_min: float) -> list[Fix]:
    east0 = 1500.0 * person - 3000.0
    fixes = []
    for k in range(count):
        # Wander around home and towards the school and beyond, with drift.
        phase = rng.choice(["home", "school", "far", "edge"], p=[0.5, 0.2, 0.2, 0.1])
        north = {"home": 0.0, "school": 700.0, "far": 2500.0, "edge": 250.0}[phase]
        acc = float(rng.choice([5.0, 20.0, 60.0, 150.0, 600.0]))
        e = east0 + float(rng.normal(0, acc / 1.5))
        n = north + float(rng.normal(0, acc / 1.5))
        crs = Crs(rng.choice(["wgs84", "gcj02", "bd09"]))
        fix = fix_at(
            e,
            n,
            minutes=start_min + k * float(rng.uniform(0.3, 4)),
            accuracy_m=acc,
            person_id=f"p{person}",
            crs=crs,
            mock=bool(rng.uniform() < 0.03),
            fix_id=f"p{person}-{start_min:g}-{k}",
        )
        if rng.uniform() < 0.03:  # a jump far away
            lat, lon = (
                offset(fix.lat, fix.lon, 0.0, 60_000.0) if crs is Crs.WGS84 else (fix.lat + 0.5, fix.lon)
            )
            fix = Fix(fix.id, fix.person_id, fix.recorded_at, lat, lon, fix.accuracy_m, crs)
        if rng.uniform() < 0.02:
            fix = Fix(fix.id, fix.person_id, fix.recorded_at, 0.0, 0.0, fix.accuracy_m)
        fixes.append(fix)
    return fixes


def events_key(events):
    return sorted((e.person_id, e.kind.value, e.zone_id or "", e.at, e.fix_ids, e.late) for e in events)


def assert_matches_exact_verdicts(evaluator, table, person, lat, lon, acc):
    """Every usable row's code in every slot equals the exact test without filters; slots past a
    person's zones are not evaluated."""
    for p, zones in enumerate(evaluator.zone_sets):
        rows = np.flatnonzero((person == p) & (acc >= 0))
        for slot, zone in enumerate(zones):
            exact = verdict_codes(zone, lat[rows], lon[rows], acc[rows], approach=False, use_filters=False)
            assert np.array_equal(table.codes[rows, slot], exact.codes)
        assert (table.codes[person == p, len(zones) :] == CODE_NOT_EVALUATED).all()


@pytest.mark.parametrize("seed", range(6))
def test_evaluate_matches_evaluate_person_across_two_batches(seed):
    rng = np.random.default_rng(seed)
    sets = zone_sets()
    evaluator = BatchEvaluator(sets)
    first = [f for p in range(6) for f in random_fixes(rng, p, 60, 0.0)]
    # The second batch continues, plus some late fixes from the first hour.
    second = [f for p in range(6) for f in random_fixes(rng, p, 40, 240.0)]
    second += [f for p in range(6) for f in random_fixes(rng, p, 8, 30.5)]
    rng.shuffle(second)
    now = T0 + dt.timedelta(hours=6)

    states_b: dict = {}
    states_p: dict = {}
    for batch in (first, second):
        result = evaluator.evaluate(states_b, FixBatch.from_fixes(batch, evaluator.person_index), now=now)
        states_b.update(result.states)
        expected_events = []
        expected_q = {}
        for pid, zones in sets.items():
            mine = [f for f in batch if f.person_id == pid]
            single = evaluate_person(states_p.get(pid), mine, zones, now=now, person_id=pid)
            states_p[pid] = single.state
            expected_events.extend(single.events)
            expected_q.update(single.qualities)
        assert events_key(result.events) == events_key(expected_events)
        assert result.qualities() == expected_q
        for pid in sets:
            assert states_b[pid] == states_p[pid]
    assert any(e.late for e in expected_events)


def test_verdicts_match_the_exact_test_per_zone():
    rng = np.random.default_rng(5)
    sets = zone_sets()
    evaluator = BatchEvaluator(sets)
    n = 4000
    person = rng.integers(0, 6, n)
    east = 1500.0 * person - 3000.0 + rng.normal(0, 400, n)
    north = rng.choice([0.0, 700.0, 2500.0], n) + rng.normal(0, 200, n)
    kx, ky = math.cos(math.radians(HOME_LAT)) * 111_320.0, 110_990.0
    lat = HOME_LAT + north / ky
    lon = HOME_LON + east / kx
    acc = rng.choice([3.0, 15.0, 45.0, 120.0, 900.0], n)
    acc[:5] = -1.0  # unusable rows
    table = evaluator.verdicts(person, lon, lat, acc)
    assert (table.codes[:5] == CODE_NOT_EVALUATED).all()
    assert_matches_exact_verdicts(evaluator, table, person, lat, lon, acc)


def test_the_global_query_finds_every_pair_that_is_not_outside():
    rng = np.random.default_rng(6)
    evaluator = BatchEvaluator(zone_sets())
    n = 3000
    kx, ky = math.cos(math.radians(HOME_LAT)) * 111_320.0, 110_990.0
    lat = HOME_LAT + rng.uniform(-8000, 8000, n) / ky
    lon = HOME_LON + rng.uniform(-8000, 8000, n) / kx
    acc = rng.choice([5.0, 50.0, 300.0], n)
    found = evaluator.verdicts_global(lon, lat, acc)
    got = set(zip(found.fix.tolist(), found.zone.tolist(), found.codes.tolist(), strict=True))
    expected = set()
    for zi, zone in enumerate(evaluator.zones):
        codes = verdict_codes(zone, lat, lon, acc, approach=False, use_filters=False).codes
        for row in np.flatnonzero(codes != CODE_OUTSIDE).tolist():
            expected.add((row, zi, int(codes[row])))
    assert got == expected
    assert len(expected) > 100


def test_shared_zones_are_prepared_once():
    sets = zone_sets()
    evaluator = BatchEvaluator(sets)
    assert len(evaluator.zones) == 1 + 6 * 2 + 3


def test_verdicts_match_when_slots_mix_zone_kinds():
    """The filter stage works per slot across persons: a slot may hold an inclusion zone for
    one person, an exclusion zone (with or without approach buffer) or a circle for another,
    and persons may have no fixes, only unusable ones, or fixes all deep inside."""
    rng = np.random.default_rng(11)
    kx, ky = math.cos(math.radians(HOME_LAT)) * 111_320.0, 110_990.0
    sets: dict[str, list[Zone]] = {}
    centres = []
    for p in range(8):
        lat, lon = offset(HOME_LAT, HOME_LON, 4000.0 * p, 0.0)
        centres.append((lat, lon))
        big = square_zone(f"big{p}", "inclusion", 1500.0, lat=lat, lon=lon)
        small = square_zone(
            f"small{p}", "exclusion", 200.0, lat=lat, lon=lon, approach_buffer_m=100.0 if p % 2 else 0.0
        )
        ring = Zone.circle(f"circle{p}", "exclusion", lat, lon, 400.0)
        order = [[big, small, ring], [small, big], [ring, small, big], [small, ring, big]][p % 4]
        sets[f"p{p}"] = order
    evaluator = BatchEvaluator(sets)
    n = 6000
    person = np.sort(rng.integers(0, 7, n))  # p7 has no fixes
    centre = np.array(centres)[person]
    spread = np.where(person == 5, 50.0, 900.0)  # p5 stays deep inside its big square
    lat = centre[:, 0] + rng.normal(0, 1, n) * spread / ky
    lon = centre[:, 1] + rng.normal(0, 1, n) * spread / kx
    lat = np.where(person == 5, lat + 600.0 / ky, lat)
    acc = rng.choice([3.0, 15.0, 45.0, 120.0, 900.0], n)
    acc[person == 3] = -1.0  # p3: only unusable rows
    table = evaluator.verdicts(person, lon, lat, acc)
    assert (table.codes[person == 3] == CODE_NOT_EVALUATED).all()
    assert_matches_exact_verdicts(evaluator, table, person, lat, lon, acc)


@pytest.mark.parametrize("seed", range(4))
def test_crossing_screens_agree_with_evaluate_person(seed):
    """Sparse tracks that jump across, beside and into exclusion zones (some scheduled),
    with teleports, late fixes and a stored anchor between batches: the batch path's
    crossing screens (bounding box, then both ends certainly outside, the zone active at
    one end and the segment meeting the zone) must not drop a crossing."""
    rng = np.random.default_rng(100 + seed)
    evening = Schedule.daily("20:20", "23:00")  # T0 is 20:00 local
    sets: dict[str, list[Zone]] = {}
    for p in range(10):
        lat, lon = offset(HOME_LAT, HOME_LON, 3000.0 * p, 0.0)
        sets[f"p{p}"] = [
            square_zone("area", "inclusion", 2500.0, lat=lat, lon=lon),
            square_zone("school", "exclusion", 120.0, lat=lat, lon=lon, schedule=evening if p % 2 else None),
            square_zone(
                "bar",
                "exclusion",
                60.0,
                lat=offset(lat, lon, 0.0, 500.0)[0],
                lon=lon,
                approach_buffer_m=80.0 if p % 3 == 0 else 0.0,
            ),
        ]
    evaluator = BatchEvaluator(sets)

    def fixes_for(p: int, count: int, start_min: float, tag: str) -> list[Fix]:
        out = []
        for k in range(count):
            e = 3000.0 * p + float(rng.uniform(-700, 700))
            n = float(rng.uniform(-400, 900))
            if rng.uniform() < 0.05:
                e += 40_000.0  # a teleport
            acc = float(rng.choice([5.0, 20.0, 60.0]))
            out.append(
                fix_at(
                    e,
                    n,
                    minutes=start_min + k * float(rng.uniform(1, 6)),
                    accuracy_m=acc,
                    person_id=f"p{p}",
                    fix_id=f"p{p}-{tag}-{k}",
                )
            )
        return out

    first = [f for p in range(10) for f in fixes_for(p, 25, 0.0, "a")]
    second = [f for p in range(10) for f in fixes_for(p, 25, 150.0, "b")]
    second += [f for p in range(0, 10, 3) for f in fixes_for(p, 3, 10.5, "late")]
    now = T0 + dt.timedelta(hours=5)
    states_b: dict = {}
    states_p: dict = {}
    crossings = 0
    for batch in (first, second):
        result = evaluator.evaluate(states_b, FixBatch.from_fixes(batch, evaluator.person_index), now=now)
        states_b.update(result.states)
        expected_events = []
        for pid, zones in sets.items():
            mine = [f for f in batch if f.person_id == pid]
            single = evaluate_person(states_p.get(pid), mine, zones, now=now, person_id=pid)
            states_p[pid] = single.state
            expected_events.extend(single.events)
        assert events_key(result.events) == events_key(expected_events)
        for pid in sets:
            assert states_b[pid] == states_p[pid]
        crossings += sum(e.kind.value == "crossing" for e in expected_events)
    assert crossings > 0


def test_a_crossing_from_the_stored_anchor_is_found_behind_a_late_fix():
    """The batch's first possibly-good fix is late (before the high-water mark); the
    crossing is between the stored anchor and the first fresh fix, a pair the batch does
    not hold consecutively: its screen must still see it."""
    school = square_zone("school", "exclusion", 150.0)
    sets = {"p1": [school]}
    evaluator = BatchEvaluator(sets)
    now = T0 + dt.timedelta(hours=1)
    first = [fix_at(-500.0, -500.0, minutes=10.0, fix_id="a")]
    # A late fix far north (its boxes with the anchor and with the next fix miss the
    # school), then a fresh fix across the school from the anchor.
    second = [
        fix_at(-500.0, 2000.0, minutes=5.0, fix_id="late"),
        fix_at(500.0, 500.0, minutes=13.0, fix_id="b"),
    ]
    states_b: dict = {}
    states_p: dict = {}
    for batch in (first, second):
        result = evaluator.evaluate(states_b, FixBatch.from_fixes(batch, evaluator.person_index), now=now)
        states_b.update(result.states)
        single = evaluate_person(states_p.get("p1"), batch, [school], now=now, person_id="p1")
        states_p["p1"] = single.state
        assert events_key(result.events) == events_key(single.events)
        assert states_b["p1"] == states_p["p1"]
    assert [e.kind.value for e in single.events] == ["crossing"]
