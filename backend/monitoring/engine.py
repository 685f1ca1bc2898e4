"""The bridge between stored zones and check-ins and the pure ``geofence`` engine.

Engine zones are built from database rows once and cached per (zone id, updated_at), so a busy
phone costs one small query for its zone list and no geometry work beyond the evaluation itself.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Q
from django.utils.translation import gettext as _

import geofence as gf
from backend.monitoring.checkin_input import FixInput
from backend.monitoring.models import Zone
from backend.supervision.models import Subject

log = logging.getLogger(__name__)

_CACHE_SIZE = 20_000
_cache: OrderedDict[tuple[int, dt.datetime], gf.Zone] = OrderedDict()
_cache_lock = threading.Lock()


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


@dataclass(frozen=True)
class Evaluation:
    state: dict[str, Any]
    qualities: dict[str, str]
    wgs84: dict[str, tuple[float, float]]
    events: list[EngineEvent]


def active_zones_query(subject: Subject) -> Any:
    """The zones that apply to ``subject``: its own, its office's, and the county-wide ones."""
    return Zone.objects.filter(is_active=True).filter(
        Q(subject=subject) | Q(subject__isnull=True, office_id=subject.office_id)
        | Q(subject__isnull=True, office__kind="bureau"))


def to_engine_zone(zone: Zone) -> gf.Zone:
    key = (zone.pk, zone.updated_at)
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
    built = _build(zone)
    with _cache_lock:
        _cache[key] = built
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return built


def _build(zone: Zone) -> gf.Zone:
    geometry: dict[str, Any] = dict(zone.geometry)
    if zone.radius_m is not None:
        geometry = {**geometry, "radius_m": zone.radius_m}
    return gf.Zone.from_geojson(
        geometry, id=str(zone.pk),
        kind=gf.ZoneKind.INCLUSION if zone.kind == Zone.Kind.INCLUSION else gf.ZoneKind.EXCLUSION,
        schedule=gf.Schedule.from_dict(zone.schedule) if zone.schedule else None,
        approach_buffer_m=zone.approach_buffer_m,
        episode=gf.EpisodeConfig(confirm_fixes=zone.confirm_fixes, confirm_seconds=zone.confirm_seconds,
                                 clear_fixes=zone.clear_fixes),
    )


ZONES_GENERATION_KEY = "monitoring:zones-generation"
_subject_zones: dict[int, tuple[int, list[gf.Zone]]] = {}


def zones_changed() -> None:
    """Called when any zone changes: every process rebuilds its per-subject zone lists."""
    try:
        cache.incr(ZONES_GENERATION_KEY)
    except ValueError:
        cache.set(ZONES_GENERATION_KEY, 1, timeout=None)


def zones_for(subject: Subject) -> list[gf.Zone]:
    """The engine zones of ``subject``, from a per-process cache checked against a shared generation.

    One cache read per upload instead of a zone query: with Redis configured the generation is
    shared by every API process, so a zone edited anywhere is used everywhere on the next upload.
    """
    generation = cache.get(ZONES_GENERATION_KEY, 0)
    cached = _subject_zones.get(subject.pk)
    if cached is not None and cached[0] == generation:
        return cached[1]
    zones = _load_zones(subject)
    if len(_subject_zones) > _CACHE_SIZE:
        _subject_zones.clear()
    _subject_zones[subject.pk] = (generation, zones)
    return zones


def _load_zones(subject: Subject) -> list[gf.Zone]:
    rows = active_zones_query(subject).only("id", "updated_at", "geometry", "radius_m", "schedule", "kind",
                                            "approach_buffer_m", "confirm_fixes", "confirm_seconds", "clear_fixes")
    zones = []
    for row in rows:
        try:
            zones.append(to_engine_zone(row))
        except (gf.ZoneError, gf.ScheduleError, ValueError, TypeError, KeyError):
            # A zone stored in a form the engine refuses (written around the API's validation) must
            # not stop the person's check-ins from being stored and checked against the other zones.
            log.exception("zone %s cannot be evaluated; fix it in the admin", row.pk)
    return zones


def evaluate(subject: Subject, state: dict[str, Any], fixes: list[FixInput], now: dt.datetime) -> Evaluation:
    """Run the engine on new fixes of one subject; returns the new state, fix classes and events."""
    engine_fixes = [
        gf.Fix(id=str(f.client_id), person_id=str(subject.pk), recorded_at=f.recorded_at, lat=f.lat, lon=f.lon,
               accuracy_m=f.accuracy_m, crs=gf.Crs(f.crs), received_at=now, mock_location=f.mock_location,
               speed_mps=f.speed_mps)
        for f in fixes
    ]
    previous = gf.PersonState.from_dict(state) if state else None
    result = gf.evaluate_person(previous, engine_fixes, zones_for(subject), now=now)
    wgs84 = {}
    for fix in fixes:
        wgs84[str(fix.client_id)] = gf.to_wgs84(fix.lat, fix.lon, fix.crs) if fix.crs != "wgs84" else (fix.lat, fix.lon)
    events = [EngineEvent(kind=event.kind.value, zone_id=int(event.zone_id) if event.zone_id else None,
                          at=event.at, fix_ids=list(event.fix_ids), late=event.late, detail=dict(event.detail))
              for event in result.events]
    qualities = {fix_id: quality.value for fix_id, quality in result.qualities.items()}
    return Evaluation(state=result.state.to_dict(), qualities=qualities, wgs84=wgs84, events=events)


def validate_zone_fields(values: dict[str, Any], crs: str) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """Check a zone's geometry and schedule with the engine; returns WGS-84 GeoJSON or field errors.

    A zone drawn on a GCJ-02 or BD-09 map is converted to WGS-84 here, once, on the way in.
    """
    errors: dict[str, list[str]] = {}
    geometry = values.get("geometry")
    if not isinstance(geometry, dict):
        return None, {"geometry": [_("A GeoJSON geometry object is required.")]}
    if values.get("radius_m") is not None:
        geometry = {**geometry, "radius_m": values["radius_m"]}
    try:
        zone = gf.Zone.from_geojson(geometry, id="new", kind=gf.ZoneKind.INCLUSION, crs=gf.Crs(crs))
    except gf.ZoneError as exc:
        field = "radius_m" if exc.field == "radius_m" else "geometry"
        errors[field] = [str(exc)]
        zone = None
    if values.get("schedule"):
        try:
            gf.Schedule.from_dict(values["schedule"])
        except (gf.ScheduleError, ValueError, TypeError, KeyError) as exc:
            errors["schedule"] = [str(exc)]
    if errors or zone is None:
        return None, errors
    stored: dict[str, Any] = dict(zone.to_geojson()["geometry"])
    return stored, {}
