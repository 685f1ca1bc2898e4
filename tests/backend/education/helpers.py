"""Builders for the education tests: sessions and stored check-ins."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.utils import timezone

PLACE = (37.150, 122.350)


def make_session(
    office: Any, *, start: dt.datetime | None = None, minutes: int = 120, **overrides: Any
) -> Any:
    from backend.education.services import create_session

    start = start or timezone.now() - dt.timedelta(hours=3)
    values: dict[str, Any] = {
        "office": office,
        "kind": "group",
        "topic": "法律法规学习",
        "place_name": "司法所教育基地",
        "place_lat": PLACE[0],
        "place_lon": PLACE[1],
        "place_radius_m": 100.0,
        "starts_at": start,
        "ends_at": start + dt.timedelta(minutes=minutes),
        "capacity": 10,
    }
    values.update(overrides)
    return create_session(None, **values)


def store_fixes(
    subject: Any, device: Any, start: dt.datetime, count: int, every_min: int = 10, **fields: Any
) -> None:
    """Stored check-ins (what ingestion leaves in the table), one every ``every_min`` minutes."""
    from backend.monitoring.models import CheckIn

    rows = []
    for i in range(count):
        at = start + dt.timedelta(minutes=every_min * i)
        values: dict[str, Any] = {
            "lat": PLACE[0],
            "lon": PLACE[1],
            "accuracy_m": 15.0,
            "quality": "ok",
            "mock_location": False,
            "evaluation_error": "",
        }
        values.update(fields)
        rows.append(
            CheckIn(
                subject=subject,
                device=device,
                client_id=uuid.uuid4(),
                body_hash="x" * 32,
                recorded_at=at,
                received_at=at,
                raw_lat=values["lat"],
                raw_lon=values["lon"],
                crs="wgs84",
                **values,
            )
        )
    CheckIn.objects.bulk_create(rows)


def enroll(session: Any, subject: Any) -> Any:
    """An enrollment made before the session (the service refuses a session that is over)."""
    from backend.education.models import Enrollment

    return Enrollment.objects.create(session=session, subject=subject)


def set_required_hours(hours: int) -> None:
    """Every level's policy requires ``hours`` a month."""
    from decimal import Decimal

    from backend.supervision.models import SupervisionPolicy
    from backend.supervision.rules import DEFAULT_ROWS

    for level, row in DEFAULT_ROWS.items():
        SupervisionPolicy.objects.update_or_create(
            level=level, defaults={**row, "education_hours_per_month": Decimal(hours)}
        )
