"""Builders for monitoring tests: fixes, batches, zones."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.utils import timezone

HOME = (37.15, 122.35)  # lat, lon of subject_a's home in the cast


def fix(
    lat: float = HOME[0],
    lon: float = HOME[1],
    *,
    at: dt.datetime | None = None,
    accuracy: float = 10.0,
    crs: str = "wgs84",
    **extra: Any,
) -> dict[str, Any]:
    recorded = at or timezone.now()
    return {
        "id": str(uuid.uuid4()),
        "recorded_at": recorded.isoformat(),
        "lat": lat,
        "lon": lon,
        "accuracy_m": accuracy,
        "crs": crs,
        **extra,
    }


def track(
    points: list[tuple[float, float]],
    *,
    start: dt.datetime | None = None,
    step_s: int = 60,
    accuracy: float = 10.0,
) -> list[dict[str, Any]]:
    begin = start or timezone.now() - dt.timedelta(seconds=step_s * len(points))
    return [
        fix(lat, lon, at=begin + dt.timedelta(seconds=i * step_s), accuracy=accuracy)
        for i, (lat, lon) in enumerate(points)
    ]


def circle_zone(
    subject: Any, lat: float, lon: float, radius_m: float, kind: str = "exclusion", **extra: Any
) -> Any:
    from backend.monitoring.models import Zone

    values = {
        "office_id": subject.office_id,
        "subject": subject,
        "name": "测试围栏",
        "kind": kind,
        "purpose": "exclusion" if kind == "exclusion" else "home",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "radius_m": radius_m,
        "confirm_fixes": 2,
        "confirm_seconds": 60,
        "clear_fixes": 2,
    }
    values.update(extra)
    return Zone.objects.create(**values)


def post_checkins(client: Any, fixes: list[dict[str, Any]], **extra: Any) -> Any:
    return client.post("/api/v1/mobile/checkins", {"checkins": fixes, **extra}, format="json")
