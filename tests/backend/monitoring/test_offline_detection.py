"""A phone that stays silent past its due time raises one offline (脱管) alert per silence."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.backend.monitoring.helpers import fix, post_checkins
from tests.conftest import device_client, enroll_phone

pytestmark = pytest.mark.django_db


def test_a_silent_phone_raises_one_offline_alert(subject_a: Any, officer_a: Any) -> None:
    from backend.monitoring.models import Alert
    from backend.monitoring.services import detect_offline

    _, token = enroll_phone(subject_a, officer_a)
    post_checkins(device_client(token), [fix()])
    later = timezone.now() + dt.timedelta(hours=5)
    assert detect_offline(later) == 1
    assert detect_offline(later + dt.timedelta(minutes=5)) == 0  # the job runs again: no duplicate
    alert = Alert.objects.get()
    assert (alert.kind, alert.category) == ("offline", "risk")
    # The phone comes back, then falls silent again: a new episode, a new alert.
    post_checkins(device_client(token), [fix()])
    assert detect_offline(timezone.now() + dt.timedelta(hours=5)) == 1
    assert Alert.objects.count() == 2


def test_a_phone_on_time_raises_nothing(subject_a: Any, officer_a: Any) -> None:
    from backend.monitoring.services import detect_offline

    _, token = enroll_phone(subject_a, officer_a)
    post_checkins(device_client(token), [fix()])
    assert detect_offline(timezone.now() + dt.timedelta(hours=3)) == 0


def test_the_celery_task_runs_the_detection(subject_a: Any, officer_a: Any) -> None:
    from backend.monitoring.models import MonitorState
    from backend.monitoring.tasks import detect_offline_phones

    MonitorState.objects.create(subject=subject_a, next_checkin_due=timezone.now() - dt.timedelta(hours=2))
    assert detect_offline_phones.delay().get() == 1
