"""Zones for the engine: one validator for the API, the admin and the loader, and the engine zones
of each person.

Engine zones are built from database rows once and cached per (zone id, updated_at), so a busy
phone costs one small query for its zone list and no geometry work beyond the evaluation itself.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db.models import Field, Q

import geofence as gf
from backend.monitoring.models import Zone
from backend.supervision.models import Subject

log = logging.getLogger(__name__)

_CACHE_SIZE = 20_000
_cache: OrderedDict[tuple[int, dt.datetime], gf.Zone | ZoneNotEvaluable] = OrderedDict()
_cache_lock = threading.Lock()


def active_zones_query(subject: Subject) -> Any:
    """The zones that apply to ``subject``: its own, its office's, and the county-wide ones."""
    return Zone.objects.filter(is_active=True).filter(
        Q(subject=subject)
        | Q(subject__isnull=True, office_id=subject.office_id)
        | Q(subject__isnull=True, office__kind="bureau")
    )


# ---------------------------------------------------------------------------------------------
# Zones: one validator for the API, the admin and the loader
# ---------------------------------------------------------------------------------------------

# The stored fields the engine reads (with the zone's id); the API and the admin check exactly these.
ENGINE_FIELDS = (
    "kind",
    "geometry",
    "radius_m",
    "schedule",
    "approach_buffer_m",
    "confirm_fixes",
    "confirm_seconds",
    "clear_fixes",
)
_EPISODE_FIELDS = ("confirm_fixes", "confirm_seconds", "clear_fixes")
# The stored field that each part named by a geofence error belongs to.
_FIELD_OF_PART = {
    "coordinates": "geometry",
    "properties": "geometry",
    "id": "geometry",
    "episode": "confirm_fixes",
}


class ZoneNotEvaluable(ValueError):
    """A zone the engine refuses; ``problems`` maps each stored field to what is wrong with it."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{field}: {' '.join(messages)}" for field, messages in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class CheckedZone:
    """A zone as the engine accepted it, and its fields in the form they are stored (WGS-84)."""

    zone: gf.Zone
    geometry: dict[str, Any]
    radius_m: float | None
    schedule: dict[str, Any] | None


def _stored_field(part: str) -> str:
    if part.startswith("episode."):
        return part.removeprefix("episode.")
    return _FIELD_OF_PART.get(part, part)


def check_zone(values: dict[str, Any], *, crs: str = "wgs84", zone_id: str = "new") -> CheckedZone:
    """Build the engine zone from a zone's fields (``ENGINE_FIELDS``), or raise ``ZoneNotEvaluable``.

    The one validator of zones: the API serializer, the admin form and the loader all call it, and
    it states no limit of its own, the geofence constructors decide. The schedule and each breach
    setting are checked on their own so that every bad one is named, not just the first; the
    geometry, radius, kind and approach distance are checked by building the zone. A geometry drawn
    on a GCJ-02 or BD-09 map (``crs``) is converted to WGS-84 here, once, on the way in.
    """
    problems: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    raw_schedule = values.get("schedule")
    schedule = None
    # An empty object is how a form says "no schedule"; anything else must be a schedule.
    if raw_schedule is not None and raw_schedule != {}:
        try:
            schedule = gf.Schedule.from_dict(raw_schedule)
        except gf.ScheduleError as exc:
            refuse("schedule", str(exc))
    for name in _EPISODE_FIELDS:
        try:
            one: dict[str, Any] = {name: values.get(name)}
            gf.EpisodeConfig(**one)
        except gf.ZoneError as exc:
            refuse(name, str(exc))
    episode_settings: dict[str, Any] = {name: values.get(name) for name in _EPISODE_FIELDS}
    episode = None if problems.keys() & set(_EPISODE_FIELDS) else gf.EpisodeConfig(**episode_settings)
    # Whatever was submitted: ``from_geojson`` says what is wrong with it.
    geometry: Any = values.get("geometry")
    if isinstance(geometry, dict) and values.get("radius_m") is not None:
        geometry = {**geometry, "radius_m": values["radius_m"]}
    zone = None
    try:
        zone = gf.Zone.from_geojson(
            geometry,
            id=zone_id,
            kind=values.get("kind"),
            crs=gf.Crs(crs),
            schedule=schedule,
            approach_buffer_m=values.get("approach_buffer_m", 0.0),
            episode=episode,
        )
    except gf.ZoneError as exc:
        refuse(_stored_field(exc.field), str(exc))
    except (TypeError, ValueError, ArithmeticError, KeyError) as exc:
        # The engine should only ever refuse with a ZoneError naming the field; anything else is a
        # bug in it, and still a zone that cannot be evaluated rather than a server error.
        log.exception("the engine failed on a zone instead of refusing it")
        refuse("geometry", f"the engine cannot read this zone: {exc}")
    if problems or zone is None:
        raise ZoneNotEvaluable(problems)
    circle = zone.circle_spec
    return CheckedZone(
        zone=zone,
        geometry=dict(zone.to_geojson()["geometry"]),  # type: ignore[arg-type]
        radius_m=circle.radius_m if circle is not None else None,
        schedule=schedule.to_dict() if schedule is not None else None,
    )


def zone_field(name: str) -> Field[Any, Any]:
    """The field of ``Zone`` called ``name``: a column (the engine's fields all are), not a relation's other end."""
    field = Zone._meta.get_field(name)
    if not isinstance(field, Field):
        raise TypeError(f"Zone.{name} is not a column")
    return field


def stored_values(zone: Zone) -> dict[str, Any]:
    """The ``ENGINE_FIELDS`` of a stored zone."""
    return {name: getattr(zone, name) for name in ENGINE_FIELDS}


def to_engine_zone(zone: Zone) -> gf.Zone:
    """The engine zone of a stored zone, built once per version; raises ``ZoneNotEvaluable``.

    A refused version is remembered too, so it is logged once, not at every load of every
    person it applies to.
    """
    key = (zone.pk, zone.updated_at)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
    if cached is None:
        cached = _build(zone)
        if isinstance(cached, ZoneNotEvaluable):
            log.warning(
                "zone %s (version of %s) cannot be evaluated, fix it in the admin: %s",
                zone.pk,
                zone.updated_at.isoformat() if zone.updated_at else None,
                cached,
            )
        with _cache_lock:
            _cache[key] = cached
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    if isinstance(cached, ZoneNotEvaluable):
        raise cached
    return cached


def _build(zone: Zone) -> gf.Zone | ZoneNotEvaluable:
    try:
        return check_zone(stored_values(zone), zone_id=str(zone.pk)).zone
    except ZoneNotEvaluable as exc:
        return exc


def zone_problems(zone: Zone) -> dict[str, list[str]]:
    """Why the engine cannot evaluate a stored zone, field by field (empty when it can)."""
    try:
        to_engine_zone(zone)
    except ZoneNotEvaluable as exc:
        return exc.problems
    return {}


ZONES_GENERATION_KEY = "monitoring:zones-generation"
_subject_zones: dict[int, tuple[int, list[gf.Zone]]] = {}


def zones_changed() -> None:
    """Called when any zone changes: every process rebuilds its per-subject zone lists.

    The shared generation is a fresh random number, not a counter: a Redis restarted empty would
    count again from 1 and meet a generation a process still holds zone lists of.
    """
    _generation[1] = -1.0  # this process sees its own edit at once
    _subject_zones.clear()
    try:
        cache.set(ZONES_GENERATION_KEY, secrets.randbits(52), timeout=None)
    except Exception as exc:  # Redis away: the others read no generation and reload every zone
        log.warning("could not share the zones' new generation: %s", exc)


# Read the shared generation at most this often per process: a zone edit reaches every evaluator
# within this many seconds, and a busy evaluator does not pay a cache round trip every round.
GENERATION_MAX_AGE_S = 0.5
_generation: list[float] = [0.0, -1.0]  # value, monotonic time read
# While the shared cache cannot be read, each round gets a generation of its own (negative, never
# shared): zones come from the database every round, so no edit made meanwhile goes unseen.
_unshared_generations = itertools.count(-1, -1)
_cache_away = [False]


def zones_generation() -> int:
    now = time.monotonic()
    if now - _generation[1] > GENERATION_MAX_AGE_S:
        try:
            value = cache.get(ZONES_GENERATION_KEY, 0)
        except Exception as exc:  # Redis away: evaluation goes on, from the database
            if not _cache_away[0]:
                log.warning("the zones' generation cannot be read (%s): zones are read every round", exc)
            _cache_away[0] = True
            _subject_zones.clear()
            return next(_unshared_generations)
        if _cache_away[0]:
            # Back: what was kept before the outage may predate an edit made during it.
            _cache_away[0] = False
            _subject_zones.clear()
        _generation[:] = [float(value), now]
    return int(_generation[0])


def zones_for(subject: Subject, generation: int | None = None) -> list[gf.Zone]:
    """The engine zones of ``subject``, from a per-process cache checked against a shared generation.

    One cache read per evaluation round instead of a zone query per person: with Redis configured
    the generation is shared by every process, so a zone edited anywhere is used everywhere next.
    """
    generation = zones_generation() if generation is None else generation
    cached = _subject_zones.get(subject.pk)
    if cached is not None and cached[0] == generation:
        return cached[1]
    zones = _load_zones(subject)
    if len(_subject_zones) > _CACHE_SIZE:
        _subject_zones.clear()
    _subject_zones[subject.pk] = (generation, zones)
    return zones


# ---------------------------------------------------------------------------------------------
# Suspensions: a module above monitoring switches some of a person's zones off for a time
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ZoneSuspension:
    """The person's zones of ``purpose`` do not apply from ``start`` to ``end`` (aware times).

    Casework suspends the county boundary (``Zone.Purpose.COUNTY``) while an approved leave runs.
    The suspension is written into the zone's schedule as an off window, so the switch at its
    start and end needs nobody to act then: every fix is judged by the zones of its own time
    (a late fix from the leave too), and the per-person zone list stays valid across the switch.
    """

    purpose: str
    start: dt.datetime
    end: dt.datetime


ZoneSuspensions = Callable[[Subject], Iterable[ZoneSuspension]]
_suspension_sources: list[ZoneSuspensions] = []
_suspended_cache: OrderedDict[tuple[Any, ...], gf.Zone] = OrderedDict()


def register_zone_suspensions(fn: ZoneSuspensions) -> None:
    """Let ``fn(subject)`` suspend some of the person's zones (registered in an ``AppConfig.ready``).

    The source must call ``zones_changed`` (after commit) whenever what it answers changes.
    """
    if fn not in _suspension_sources:
        _suspension_sources.append(fn)


def suspended_zone(row: Zone, zone: gf.Zone, spans: list[ZoneSuspension]) -> gf.Zone:
    """``zone`` with each of ``spans`` switched off in its schedule, built once per version."""
    key = (row.pk, row.updated_at, tuple((s.start, s.end) for s in spans))
    with _cache_lock:
        cached = _suspended_cache.get(key)
    if cached is not None:
        return cached
    tz = zone.schedule.tz if zone.schedule is not None else "Asia/Shanghai"
    local = ZoneInfo(tz)
    windows = tuple(
        gf.DatedWindow(
            s.start.astimezone(local).replace(tzinfo=None), s.end.astimezone(local).replace(tzinfo=None)
        )
        for s in spans
        if s.end > s.start
    )
    if not windows:
        return zone
    schedule = zone.schedule.with_off_windows(windows) if zone.schedule else gf.Schedule(off_windows=windows)
    built = replace(zone, schedule=schedule)
    with _cache_lock:
        _suspended_cache[key] = built
        while len(_suspended_cache) > _CACHE_SIZE:
            _suspended_cache.popitem(last=False)
    return built


def suspensions_for(subject: Subject) -> dict[str, list[ZoneSuspension]]:
    """The registered sources' suspensions of the person, by zone purpose."""
    found: dict[str, list[ZoneSuspension]] = {}
    for source in _suspension_sources:
        for span in source(subject):
            found.setdefault(span.purpose, []).append(span)
    return found


def _load_zones(subject: Subject) -> list[gf.Zone]:
    suspended = suspensions_for(subject)
    rows = active_zones_query(subject).only(
        "id",
        "updated_at",
        "purpose",
        "geometry",
        "radius_m",
        "schedule",
        "kind",
        "approach_buffer_m",
        "confirm_fixes",
        "confirm_seconds",
        "clear_fixes",
    )
    zones = []
    for row in rows:
        try:
            zone = to_engine_zone(row)
            spans = suspended.get(row.purpose)
            zones.append(suspended_zone(row, zone, spans) if spans else zone)
        except ZoneNotEvaluable:
            # A zone stored in a form the engine refuses (from before its validation, or edited in
            # the database) must not stop the person's check-ins from being stored and checked
            # against the other zones. to_engine_zone logged it once; the API and admin show it.
            continue
    return zones


def cached_zones(subject_id: int) -> list[gf.Zone] | None:
    """The zone list this process holds for the person, as last built (``None``: none yet)."""
    entry = _subject_zones.get(subject_id)
    return None if entry is None else entry[1]
