"""Location data past LOCATION_RETENTION_DAYS is purged by the daily job: fixes, their console
events, positions in alert evidence, last positions; the purge is one access-log entry."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.backend.monitoring.helpers import fix
from tests.conftest import device_client, enroll_phone

pytestmark = pytest.mark.django_db


def upload(subject: Any, officer: Any, n: int = 3) -> None:
    _device, token = enroll_phone(subject, officer)
    response = device_client(token).post(
        "/api/v1/mobile/checkins", {"checkins": [fix() for _ in range(n)]}, format="json"
    )
    assert response.status_code == 200, response.content


def test_the_job_purges_what_is_past_retention_and_keeps_the_rest(
    officer_a: Any, subject_a: Any, subject_b: Any, officer_b: Any, settings: Any
) -> None:
    from backend.audit.models import AccessLog
    from backend.monitoring.models import Alert, CheckIn, ConsoleEvent, MonitorState
    from backend.monitoring.services.alerts import raise_alert
    from backend.monitoring.tasks import purge_expired_location_data

    settings.LOCATION_RETENTION_DAYS = 30
    old = timezone.now() - dt.timedelta(days=31)
    upload(subject_a, officer_a)
    upload(subject_b, officer_b)
    raise_alert(
        subject_a,
        kind="left_zone",
        severity="critical",
        occurred_at=old,
        dedupe_key="old-breach",
        evidence={"fix_ids": ["x"], "lat": 37.1, "lon": 122.3, "detail": {"position": [1, 2], "speed": 3}},
    )
    recent = raise_alert(
        subject_b,
        kind="left_zone",
        severity="critical",
        occurred_at=timezone.now(),
        dedupe_key="new",
        evidence={"lat": 37.1, "lon": 122.4},
    )
    # Subject A's data is old; subject B's is fresh.
    CheckIn.objects.filter(subject=subject_a).update(received_at=old)
    ConsoleEvent.objects.filter(office=subject_a.office).update(created_at=old)
    MonitorState.objects.filter(subject=subject_a).update(last_fix_at=old, last_lat=37.15, last_lon=122.35)
    kept_events = ConsoleEvent.objects.filter(office=subject_b.office).count()

    assert purge_expired_location_data() > 0
    assert not CheckIn.objects.filter(subject=subject_a).exists()
    assert CheckIn.objects.filter(subject=subject_b).count() == 3
    assert not ConsoleEvent.objects.filter(office=subject_a.office).exists()
    assert ConsoleEvent.objects.filter(office=subject_b.office).count() == kept_events
    evidence = Alert.objects.get(dedupe_key="old-breach").evidence
    assert "lat" not in evidence and "lon" not in evidence and "position" not in evidence["detail"]
    assert (
        evidence["fix_ids"] == ["x"]
        and evidence["detail"]["speed"] == 3
        and "locations_purged_at" in evidence
    )
    assert Alert.objects.get(pk=recent.pk).evidence == {"lat": 37.1, "lon": 122.4}
    state = MonitorState.objects.get(subject=subject_a)
    assert state.last_lat is None and state.last_lon is None
    entry = AccessLog.objects.get(action="purge")
    assert entry.resource == "location" and entry.detail["checkins"] == 3 and "30 days" in entry.reason
    # Run again: nothing left, no second entry.
    assert purge_expired_location_data() == 0
    assert AccessLog.objects.filter(action="purge").count() == 1


def test_the_job_is_scheduled_daily(settings: Any) -> None:
    schedule = settings.CELERY_BEAT_SCHEDULE["purge-expired-location-data"]
    assert schedule["task"] == "backend.monitoring.tasks.purge_expired_location_data"
