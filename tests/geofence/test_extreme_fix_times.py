"""No fix time overflows date arithmetic: the engine answers for any int64 microseconds.

A phone's clock can claim 9999-12-31, year 1 or anything int64 holds. Such fixes must
come back classified (future, stale), and must not stop the engine evaluating the person:
the good fixes beside them are evaluated exactly as they would be without them, in the
batch path and in the scalar path, whatever state the person was left in.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from geofence import (
    BatchEvaluator,
    DatedWindow,
    EventKind,
    Fix,
    FixBatch,
    FixPoint,
    FixQuality,
    PersonState,
    QualityConfig,
    Schedule,
    WeeklyWindow,
    Zone,
    ZoneEpisodeState,
    evaluate_person,
    schedule_compliance,
)
from geofence.fixes import (
    INT64_MAX,
    INT64_MIN,
    MAX_DATETIME_US,
    MIN_DATETIME_US,
    NO_TIME,
    datetime_from_us,
    to_epoch_us,
)

from .helpers import HOME_LAT, HOME_LON, offset, square_zone

CONFIG = QualityConfig()
SKEW_US = int(CONFIG.max_future_skew_s * 1e6)
STALE_US = int(CONFIG.stale_after_s * 1e6)

CURFEW = Schedule.daily("22:00", "06:00")  # Asia/Shanghai
WEEKDAYS = Schedule(
    windows=(WeeklyWindow(frozenset(range(5)), dt.time(7), dt.time(18)),),
    tz="Asia/Shanghai",
    off_dates=frozenset({dt.date(2024, 3, 5)}),
    extra_windows=(DatedWindow(dt.datetime(2024, 3, 9, 8), dt.datetime(2024, 3, 9, 12)),),
)
NEW_YORK = Schedule(
    windows=(WeeklyWindow(frozenset({0, 2, 4, 6}), dt.time(20), dt.time(2)),), tz="America/New_York"
)
KIRITIMATI = Schedule.daily("01:00", "23:00", tz="Pacific/Kiritimati")  # UTC+14
SCHOOL_LAT, SCHOOL_LON = offset(HOME_LAT, HOME_LON, 0.0, 1500.0)
ZONES = [
    square_zone("county", "inclusion", 8000.0),
    Zone.circle("home", "inclusion", HOME_LAT, HOME_LON, 300.0, schedule=CURFEW),
    square_zone("work", "inclusion", 400.0, lat=HOME_LAT + 0.01, schedule=WEEKDAYS),
    Zone.circle(
        "bar", "exclusion", HOME_LAT, HOME_LON - 0.02, 150.0, schedule=NEW_YORK, approach_buffer_m=100.0
    ),
    square_zone("park", "exclusion", 200.0, lat=HOME_LAT - 0.01, schedule=KIRITIMATI),
    # Always active, so a dwell inside it opens a breach whenever the fixes are evaluated.
    Zone.circle("school", "exclusion", SCHOOL_LAT, SCHOOL_LON, 250.0, approach_buffer_m=150.0),
]
PERSON = "p1"

# Times at and around every edge: int64's, datetime's, and the reported 9999-12-31T23:59:59Z.
EDGES = [
    INT64_MIN,
    INT64_MIN + 1,
    MIN_DATETIME_US - 1,
    MIN_DATETIME_US,
    MIN_DATETIME_US + 86_400_000_000,
    253_402_300_799_000_000,
    MAX_DATETIME_US,
    MAX_DATETIME_US + 1,
    INT64_MAX - 1,
    INT64_MAX,
]
any_time = st.one_of(
    st.sampled_from(EDGES),
    st.integers(min_value=INT64_MIN, max_value=INT64_MAX),
    st.integers(min_value=MIN_DATETIME_US - 10**11, max_value=MIN_DATETIME_US + 10**11),
    st.integers(min_value=MAX_DATETIME_US - 10**11, max_value=MAX_DATETIME_US + 10**11),
)
# Server clocks: this decade, and the ends of what a datetime can hold.
nows = st.one_of(
    st.integers(
        min_value=to_epoch_us(dt.datetime(2020, 1, 1, tzinfo=dt.UTC)),
        max_value=to_epoch_us(dt.datetime(2035, 1, 1, tzinfo=dt.UTC)),
    ),
    st.sampled_from([MIN_DATETIME_US + 10 * 86_400_000_000, MAX_DATETIME_US - 10**9]),
)


def bad_time(now_us: int) -> st.SearchStrategy[int]:
    """Times the classifier calls future or stale at ``now_us``."""
    return any_time.filter(lambda t: t > now_us + SKEW_US or t < now_us - STALE_US)


@st.composite
def points(draw: st.DrawFn, prefix: str) -> FixPoint:
    lat, lon = offset(HOME_LAT, HOME_LON, draw(st.floats(-3000, 3000)), draw(st.floats(-3000, 3000)))
    return FixPoint(
        f"{prefix}-{draw(st.integers(0, 9))}", draw(any_time), lat, lon, draw(st.sampled_from([5.0, 50.0]))
    )


@st.composite
def prior_states(draw: st.DrawFn) -> PersonState:
    """Any state a person may have been left in, times anywhere in int64."""
    zones = []
    for zone in draw(st.lists(st.sampled_from(ZONES), unique_by=lambda z: z.id, max_size=3)):
        phase = draw(st.sampled_from(["clear", "pending", "open"]))
        since = None if phase == "clear" else draw(any_time)
        episodes = tuple(draw(st.lists(st.tuples(any_time, st.one_of(st.none(), any_time)), max_size=2)))
        zones.append(
            ZoneEpisodeState(
                zone.id,
                phase,
                since,
                draw(st.integers(0, 3)) if since is not None else 0,
                ("e1",) if since is not None else (),
                draw(any_time) if phase == "open" else None,
                approach_open=draw(st.booleans()) if zone.approach_buffer_m else False,
                episodes=episodes,
            )
        )
    chain = draw(st.one_of(st.none(), points("chain")))
    return PersonState(
        PERSON,
        hwm_us=draw(st.one_of(st.none(), any_time)),
        anchor=draw(st.one_of(st.none(), points("anchor"))),
        chain=chain,
        chain_count=1 if chain is not None else 0,
        teleport_open=chain is not None and draw(st.booleans()),
        mock_open=draw(st.booleans()),
        zones=tuple(sorted(zones, key=lambda z: z.zone_id)),
    )


@st.composite
def good_fixes(draw: st.DrawFn, now_us: int) -> list[Fix]:
    """A track near home that ends with a dwell inside the school: fixes the classifier
    calls OK, recorded within the hour before ``now``."""
    count = draw(st.integers(min_value=0, max_value=4))
    dwell = draw(st.integers(min_value=0, max_value=5))
    start = now_us - 3_600_000_000
    out = []
    for k in range(count + dwell):
        if k < count:
            lat, lon = offset(HOME_LAT, HOME_LON, draw(st.floats(-400, 400)), draw(st.floats(-400, 400)))
        else:
            lat, lon = offset(SCHOOL_LAT, SCHOOL_LON, draw(st.floats(-60, 60)), draw(st.floats(-60, 60)))
        t = start + k * 60_000_000
        received = draw(st.one_of(st.none(), st.integers(min_value=t, max_value=INT64_MAX)))
        # Ids sort in time order; the dwell's start with "s".
        out.append(
            Fix(
                f"{'g' if k < count else 's'}{k:02d}",
                PERSON,
                datetime_from_us(t),
                lat,
                lon,
                draw(st.sampled_from([5.0, 30.0, 90.0])),
                received_at=None if received is None else _datetime_or_none(received),
            )
        )
    return out


def _datetime_or_none(us: int) -> dt.datetime | None:
    return datetime_from_us(us) if MIN_DATETIME_US <= us <= MAX_DATETIME_US else None


def fix_batch(
    rows: list[tuple[str, int, int, float, float, float, bool]], evaluator: BatchEvaluator
) -> FixBatch:
    """Columns from (id, recorded µs, received µs, lat, lon, accuracy, mock): times any int64."""
    return FixBatch(
        ids=[r[0] for r in rows],
        person=np.full(len(rows), evaluator.person_index[PERSON], dtype=np.int64),
        recorded_us=np.array([r[1] for r in rows], dtype=np.int64),
        received_us=np.array([r[2] for r in rows], dtype=np.int64),
        lat=np.array([r[3] for r in rows], dtype=np.float64),
        lon=np.array([r[4] for r in rows], dtype=np.float64),
        accuracy_m=np.array([r[5] for r in rows], dtype=np.float64),
        crs=np.zeros(len(rows), dtype=np.int8),
        mock=np.array([r[6] for r in rows], dtype=bool),
    )


def good_rows(fixes: list[Fix]) -> list[tuple[str, int, int, float, float, float, bool]]:
    return [
        (
            f.id,
            to_epoch_us(f.recorded_at),
            NO_TIME if f.received_at is None else to_epoch_us(f.received_at),
            f.lat,
            f.lon,
            f.accuracy_m,
            False,
        )
        for f in fixes
    ]


def by_zone_id(state: PersonState) -> PersonState:
    return dataclasses.replace(state, zones=tuple(sorted(state.zones, key=lambda z: z.zone_id)))


def events_key(events):
    return sorted(
        (e.kind.value, e.zone_id or "", e.at, e.fix_ids, e.late, json.dumps(dict(e.detail), sort_keys=True))
        for e in events
    )


EVALUATOR = BatchEvaluator({PERSON: ZONES, "p2": ZONES[:2]})


@settings(max_examples=120, deadline=None)
@given(data=st.data())
def test_bad_times_are_classified_and_leave_the_good_fixes_alone_in_the_batch_path(data):
    now_us = data.draw(nows, label="now")
    now = datetime_from_us(now_us)
    state = data.draw(prior_states(), label="state")
    good = data.draw(good_fixes(now_us), label="good")
    bad = []
    for k in range(data.draw(st.integers(min_value=1, max_value=6), label="bad count")):
        t = data.draw(bad_time(now_us), label="bad time")
        received = data.draw(st.one_of(st.just(NO_TIME), any_time), label="received")
        lat, lon = offset(SCHOOL_LAT, SCHOOL_LON, 0.0, 0.0)
        bad.append((f"b{k:02d}", t, received, lat, lon, 5.0, False))
    rows = good_rows(good) + bad
    order = data.draw(st.permutations(range(len(rows))), label="order")
    with_bad = EVALUATOR.evaluate({PERSON: state}, fix_batch([rows[i] for i in order], EVALUATOR), now=now)
    without = EVALUATOR.evaluate({PERSON: state}, fix_batch(good_rows(good), EVALUATOR), now=now)

    qualities = with_bad.qualities()
    for fid, t, received, *_ in bad:
        future = t > now_us + SKEW_US or (received != NO_TIME and t > received + SKEW_US)
        assert qualities[fid] is (FixQuality.FUTURE if future else FixQuality.STALE)
    assert {f.id: qualities[f.id] for f in good} == without.qualities()
    assert events_key(with_bad.events) == events_key(without.events)
    if good:
        # Any fix that is not a mock ends a run of mock fixes, whatever its time, so the
        # bad fixes may close one; everything else in the state is the good fixes' alone.
        mock_open = without.states[PERSON].mock_open
        assert dataclasses.replace(with_bad.states[PERSON], mock_open=mock_open) == without.states[PERSON]
    # A dwell inside the school opens a breach there unless one was open already.
    # (Three good fixes spanning two minutes confirm it: the default episode settings.)
    dwell = [f for f in good if f.id.startswith("s") and qualities[f.id] is FixQuality.OK]
    school_before = state.zone("school")
    if (
        len(dwell) >= 3
        and school_before.phase == "clear"
        and not school_before.episodes
        and all(
            to_epoch_us(f.recorded_at) > (state.hwm_us if state.hwm_us is not None else INT64_MIN)
            for f in dwell
        )
    ):
        assert any(e.kind is EventKind.BREACH_OPENED and e.zone_id == "school" for e in with_bad.events)


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_the_scalar_path_agrees_and_never_raises_at_the_ends_of_the_calendar(data):
    """Fix objects hold datetimes, so their times reach at most the calendar's ends (and a
    few hours past them in UTC, through the fix's own offset)."""
    now_us = data.draw(nows, label="now")
    now = datetime_from_us(now_us)
    state = data.draw(prior_states(), label="state")
    good = data.draw(good_fixes(now_us), label="good")
    bad = []
    for k in range(data.draw(st.integers(min_value=1, max_value=4), label="bad count")):
        local = data.draw(
            st.sampled_from(
                [
                    dt.datetime.min,
                    dt.datetime.max,
                    dt.datetime(9999, 12, 31, 23, 59, 59),
                    dt.datetime(1, 1, 1, 8),
                ]
            ),
            label="calendar end",
        )
        tz = dt.timezone(
            dt.timedelta(hours=data.draw(st.integers(min_value=-23, max_value=23), label="offset"))
        )
        fix = Fix(
            f"b{k:02d}",
            PERSON,
            local.replace(tzinfo=tz),
            SCHOOL_LAT,
            SCHOOL_LON,
            5.0,
            mock_location=data.draw(st.booleans(), label="mock"),
        )
        bad.append(fix)
    fixes = good + bad
    single = evaluate_person(state, fixes, ZONES, now=now, person_id=PERSON)
    batch = EVALUATOR.evaluate({PERSON: state}, FixBatch.from_fixes(fixes, EVALUATOR.person_index), now=now)
    assert events_key(batch.events) == events_key(single.events)
    assert batch.states[PERSON] == single.state
    assert batch.qualities() == single.qualities
    for fix in bad:
        t = to_epoch_us(fix.recorded_at)
        if fix.mock_location:
            assert single.qualities[fix.id] is FixQuality.MOCK_LOCATION
        elif now_us - STALE_US <= t <= now_us + SKEW_US:
            assert single.qualities[fix.id] in (FixQuality.OK, FixQuality.TELEPORT)
        else:
            assert single.qualities[fix.id] in (FixQuality.FUTURE, FixQuality.STALE)
    # Whatever came of it, the new state is stored and read back as it was (zones come
    # back in id order: the backend's JSON column does not keep key order).
    assert PersonState.from_dict(json.loads(json.dumps(single.state.to_dict()))) == by_zone_id(single.state)
    for event in single.events:
        json.dumps(event.to_dict())


@settings(max_examples=150, deadline=None)
@given(
    times=st.lists(any_time, min_size=1, max_size=20),
    schedule=st.sampled_from([CURFEW, WEEKDAYS, NEW_YORK, KIRITIMATI]),
)
def test_schedules_answer_for_any_int64_time(times, schedule):
    us = np.array(times, dtype=np.int64)
    mask = schedule.active_mask(us)
    assert mask.shape == us.shape
    # Where a datetime can hold the instant, the datetime form gives the same answer.
    for t, active in zip(times, mask.tolist(), strict=True):
        if MIN_DATETIME_US <= t <= MAX_DATETIME_US:
            assert schedule.is_active(datetime_from_us(t)) is active
            assert ZONES[1].is_active(t) is (CURFEW.is_active(datetime_from_us(t)))


@settings(max_examples=80, deadline=None)
@given(
    now_us=st.integers(min_value=MIN_DATETIME_US, max_value=MAX_DATETIME_US),
    fix_us=st.integers(min_value=MIN_DATETIME_US, max_value=MAX_DATETIME_US),
    zone=st.sampled_from(ZONES),
)
def test_schedule_compliance_answers_at_any_instant(now_us, fix_us, zone):
    now = datetime_from_us(now_us)
    last = Fix("f", PERSON, datetime_from_us(fix_us), HOME_LAT, HOME_LON, 10.0)
    opened = datetime_from_us(max(MIN_DATETIME_US, now_us - 3_600_000_000))
    answer = schedule_compliance(last, zone, opened, now=now, max_fix_age_s=900.0)
    json.dumps(answer.to_dict())


@settings(max_examples=150, deadline=None)
@given(state=prior_states())
def test_a_state_with_any_times_round_trips_through_json(state):
    data = json.loads(json.dumps(state.to_dict()))
    assert PersonState.from_dict(data) == state
