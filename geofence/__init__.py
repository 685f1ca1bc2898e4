"""geofence: an exact, drift-proof geofence engine for community-corrections supervision.

Pure Python on Shapely 2, geopy and NumPy; imports nothing from Django. The backend feeds
it fixes and zones and turns its events into alerts. Start with ``evaluate_person`` (one
person, one upload) or ``BatchEvaluator`` (many people at once).
"""

from geofence.batch import BatchEvaluation, BatchEvaluator, GlobalVerdicts, VerdictTable
from geofence.compliance import Compliance, ComplianceAnswer, schedule_compliance
from geofence.crs import Crs, from_wgs84, from_wgs84_array, in_china, to_wgs84, to_wgs84_array
from geofence.engine import Evaluation, evaluate_person
from geofence.events import EventKind, GeofenceEvent
from geofence.fixes import Fix, FixBatch, FixQuality, QualityConfig, classify_fix
from geofence.schedule import DatedWindow, Schedule, ScheduleError, WeeklyWindow
from geofence.state import FixPoint, PersonState, ZoneEpisodeState
from geofence.verdicts import Verdict, verdict_for, zone_distance_m
from geofence.zones import Circle, EpisodeConfig, Zone, ZoneError, ZoneKind

__all__ = [
    "BatchEvaluation",
    "BatchEvaluator",
    "Circle",
    "Compliance",
    "ComplianceAnswer",
    "Crs",
    "DatedWindow",
    "EpisodeConfig",
    "Evaluation",
    "EventKind",
    "Fix",
    "FixBatch",
    "FixPoint",
    "FixQuality",
    "GeofenceEvent",
    "GlobalVerdicts",
    "PersonState",
    "QualityConfig",
    "Schedule",
    "ScheduleError",
    "Verdict",
    "VerdictTable",
    "WeeklyWindow",
    "Zone",
    "ZoneEpisodeState",
    "ZoneError",
    "ZoneKind",
    "classify_fix",
    "evaluate_person",
    "from_wgs84",
    "from_wgs84_array",
    "in_china",
    "schedule_compliance",
    "to_wgs84",
    "to_wgs84_array",
    "verdict_for",
    "zone_distance_m",
]
