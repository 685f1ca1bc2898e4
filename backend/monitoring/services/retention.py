"""Retention of location data: where a supervised person was is kept ``LOCATION_RETENTION_DAYS``.

Past that, ``purge_expired_locations`` deletes the fixes (check-ins, by the server's receipt time),
the console events of that age (their payloads carry positions), the positions inside old alerts'
evidence (the alert itself stays: who was warned of what, and how it was handled, is a supervision
record), and the latest position of people not seen since. Each run that removes anything is one
entry of the access log (action ``purge``, resource ``location``) with the cut-off and the counts.

The deletes go in batches, each its own transaction, so a first run over a large table neither
holds long locks on the check-ins phones are writing nor builds one enormous transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from backend.audit.models import AccessLog
from backend.audit.services import record_access
from backend.monitoring.models import Alert, CheckIn, ConsoleEvent, MonitorState

BATCH = 5000
# Keys of alert evidence that hold a place (at any depth).
LOCATION_KEYS = frozenset(
    {"lat", "lon", "latitude", "longitude", "accuracy_m", "position", "positions", "last_position", "track"}
)


@dataclass
class Purged:
    cutoff: str
    checkins: int = 0
    console_events: int = 0
    alert_evidence: int = 0
    last_positions: int = 0

    @property
    def total(self) -> int:
        return self.checkins + self.console_events + self.alert_evidence + self.last_positions


def retention_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    days = int(getattr(settings, "LOCATION_RETENTION_DAYS", 180))
    return (now or timezone.now()) - dt.timedelta(days=days)


def without_locations(value: Any) -> tuple[Any, bool]:
    """``value`` with every location key removed at any depth, and whether anything was."""
    if isinstance(value, dict):
        changed = False
        kept: dict[str, Any] = {}
        for key, item in value.items():
            if key in LOCATION_KEYS:
                changed = True
                continue
            kept[key], sub = without_locations(item)
            changed = changed or sub
        return kept, changed
    if isinstance(value, list):
        items = [without_locations(item) for item in value]
        return [item for item, _ in items], any(sub for _, sub in items)
    return value, False


def _delete_in_batches(queryset: Any, key: str = "pk") -> int:
    total = 0
    while True:
        with transaction.atomic():
            ids = list(queryset.values_list(key, flat=True)[:BATCH])
            if not ids:
                return total
            total += queryset.model.objects.filter(**{f"{key}__in": ids}).delete()[0]


def purge_expired_locations(now: dt.datetime | None = None) -> Purged:
    """Remove location data older than the retention period; one access-log entry if any went."""
    cutoff = retention_cutoff(now)
    purged = Purged(cutoff=cutoff.isoformat())
    purged.checkins = _delete_in_batches(CheckIn.objects.filter(received_at__lt=cutoff).order_by("pk"))
    purged.console_events = _delete_in_batches(
        ConsoleEvent.objects.filter(created_at__lt=cutoff).order_by("seq"), key="seq"
    )
    for alert_id, evidence in (
        Alert.objects.filter(occurred_at__lt=cutoff).values_list("pk", "evidence").iterator(chunk_size=BATCH)
    ):
        cleaned, changed = without_locations(evidence)
        if changed:
            cleaned["locations_purged_at"] = timezone.now().isoformat()
            Alert.objects.filter(pk=alert_id).update(evidence=cleaned)
            purged.alert_evidence += 1
    purged.last_positions = MonitorState.objects.filter(
        last_fix_at__lt=cutoff, last_lat__isnull=False
    ).update(last_lat=None, last_lon=None, last_accuracy_m=None)
    if purged.total:
        record_access(
            None,
            action=AccessLog.Action.PURGE,
            resource="location",
            status_code=200,
            detail=asdict(purged),
            reason=f"retention of location data: {getattr(settings, 'LOCATION_RETENTION_DAYS', 180)} days",
        )
    return purged
