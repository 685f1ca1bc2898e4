"""Builders for casework tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

FAR_AWAY = (36.07, 120.38)  # Qingdao, well outside the test county


def leave_body(
    days: float = 3, start_in: dt.timedelta = dt.timedelta(hours=1), **extra: Any
) -> dict[str, Any]:
    start = timezone.now() + start_in
    body: dict[str, Any] = {
        "destination": "青岛市市南区",
        "destination_point": {"lat": FAR_AWAY[0], "lon": FAR_AWAY[1], "crs": "wgs84"},
        "reason": "探亲",
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(days=days)).isoformat(),
    }
    body.update(extra)
    return body


def make_leave(device: Any, days: float = 3, start: dt.datetime | None = None, **extra: Any) -> Any:
    from backend.casework.services import request_leave

    starts_at = start or timezone.now() + dt.timedelta(hours=1)
    values: dict[str, Any] = {
        "destination": "青岛市市南区",
        "reason": "探亲",
        "starts_at": starts_at,
        "ends_at": starts_at + dt.timedelta(days=days),
        "point": FAR_AWAY,
    }
    values.update(extra)
    return request_leave(device, **values)


def set_last_fix(subject: Any, lat: float, lon: float, at: dt.datetime, accuracy: float = 10.0) -> Any:
    from backend.monitoring.models import MonitorState

    state, _ = MonitorState.objects.get_or_create(subject=subject)
    MonitorState.objects.filter(pk=state.pk).update(
        last_lat=lat, last_lon=lon, last_accuracy_m=accuracy, last_fix_at=at, last_checkin_received_at=at
    )
    state.refresh_from_db()
    return state
