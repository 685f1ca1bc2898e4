"""A real Celery worker, on the real broker, runs the 防脱管/防漏管 jobs against PostgreSQL: the
two stages of silence, the note of contact resumed queued by an upload, 漏管, the term ended and
the app removed. Each runs twice: the second run raises nothing."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import enroll_phone, make_subject

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_a_worker_runs_the_contact_jobs(worker: None, subject_a: Any, officer_a: Any) -> None:
    from backend.monitoring import tasks
    from backend.monitoring.models import Alert, MonitorState
    from backend.monitoring.services import record_checkins
    from tests.backend.monitoring.helpers import fix

    device, _token = enroll_phone(subject_a, officer_a)
    MonitorState.objects.filter(subject=subject_a).update(
        next_checkin_due=timezone.now() - dt.timedelta(hours=4)
    )
    assert tasks.detect_offline_phones.delay().get(timeout=60) == 1
    assert tasks.detect_lost_contact.delay().get(timeout=60) == 1
    assert tasks.detect_lost_contact.delay().get(timeout=60) == 0

    # The phone comes back: the upload queues the note of contact resumed after its commit.
    record_checkins(device, [fix()])
    deadline = timezone.now() + dt.timedelta(seconds=60)
    while timezone.now() < deadline:
        if all("contact_resumed_at" in a.evidence for a in Alert.objects.filter(subject=subject_a)):
            break
        time.sleep(0.2)
    assert all("contact_resumed_at" in a.evidence for a in Alert.objects.filter(subject=subject_a))
    assert tasks.note_contact_resumed_all.delay().get(timeout=60) == 0

    forgotten = make_subject(
        subject_a.office, officer_a, supervision_start=timezone.localdate() - dt.timedelta(days=5)
    )
    over = make_subject(
        subject_a.office,
        officer_a,
        supervision_start=dt.date(2024, 1, 1),
        supervision_end=timezone.localdate() - dt.timedelta(days=1),
    )
    assert tasks.detect_unsupervised.delay().get(timeout=60) >= 1
    assert tasks.detect_unsupervised.delay().get(timeout=60) == 0
    assert tasks.detect_term_ended.delay().get(timeout=60) >= 1
    assert tasks.detect_term_ended.delay().get(timeout=60) == 0
    assert Alert.objects.filter(kind="unsupervised", subject=forgotten).exists()
    assert Alert.objects.filter(kind="term_ended", subject=over).exists()
    assert tasks.detect_app_removed.delay().get(timeout=60) == 0
