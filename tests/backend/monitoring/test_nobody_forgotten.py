"""防漏管: a person in supervision with no active phone some days after it began, a term that
ended without anyone ending the supervision (ended automatically where the policy says so), and
a silent phone whose push token the push service forgot (the app was probably removed)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import enroll_phone, make_subject

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 5)


def test_no_phone_some_days_after_the_start_is_unsupervised(office_a: Any, officer_a: Any) -> None:
    from backend.monitoring.models import Alert
    from backend.monitoring.services import detect_unsupervised

    late = make_subject(office_a, officer_a, supervision_start=TODAY - dt.timedelta(days=3))
    make_subject(office_a, officer_a, supervision_start=TODAY - dt.timedelta(days=2))  # still in time
    with_phone = make_subject(office_a, officer_a, supervision_start=TODAY - dt.timedelta(days=30))
    enroll_phone(with_phone, officer_a)
    assert detect_unsupervised(TODAY) == 1
    assert detect_unsupervised(TODAY) == 0  # the job runs again: no duplicate
    alert = Alert.objects.get()
    assert (alert.kind, alert.subject, alert.severity) == ("unsupervised", late, "critical")
    assert alert.evidence["days_allowed"] == 3


def test_a_revoked_phone_restarts_the_count(office_a: Any, officer_a: Any) -> None:
    from backend.monitoring.models import Alert
    from backend.monitoring.services import detect_unsupervised
    from backend.supervision.services import revoke_device

    subject = make_subject(office_a, officer_a, supervision_start=TODAY - dt.timedelta(days=100))
    device, _token = enroll_phone(subject, officer_a)
    revoke_device(device, "lost")
    today = timezone.localdate()
    assert detect_unsupervised(today) == 0
    assert detect_unsupervised(today + dt.timedelta(days=3)) == 1
    assert Alert.objects.get().evidence["last_phone_revoked_reason"] == "lost"


def test_the_days_are_the_levels(office_a: Any, officer_a: Any, bureau_head: Any) -> None:
    from backend.monitoring.services import detect_unsupervised
    from backend.supervision.services import update_policy

    make_subject(office_a, officer_a, supervision_start=TODAY - dt.timedelta(days=3))
    update_policy("normal", {"unsupervised_after_days": 10}, bureau_head)
    assert detect_unsupervised(TODAY) == 0


def test_a_term_past_its_end_raises_one_alert(office_a: Any, officer_a: Any) -> None:
    from backend.monitoring.models import Alert
    from backend.monitoring.services import detect_term_ended

    over = make_subject(
        office_a,
        officer_a,
        supervision_start=dt.date(2025, 1, 1),
        supervision_end=TODAY - dt.timedelta(days=1),
    )
    make_subject(office_a, officer_a, supervision_start=dt.date(2025, 1, 1), supervision_end=TODAY)
    assert detect_term_ended(TODAY) == 1
    assert detect_term_ended(TODAY) == 0
    alert = Alert.objects.get()
    assert (alert.kind, alert.subject) == ("term_ended", over)
    over.refresh_from_db()
    assert over.status == "active"  # staff end it (the policy does not say otherwise)


def test_where_the_policy_says_so_the_supervision_ends_by_itself(
    office_a: Any, officer_a: Any, bureau_head: Any
) -> None:
    from backend.monitoring.models import Alert
    from backend.monitoring.tasks import detect_term_ended
    from backend.supervision.services import update_policy

    update_policy("normal", {"auto_end_at_term": True}, bureau_head)
    over = make_subject(
        office_a, officer_a, supervision_start=dt.date(2025, 1, 1), supervision_end=dt.date(2025, 12, 31)
    )
    assert detect_term_ended.delay().get() == 0
    over.refresh_from_db()
    assert over.status == "ended" and over.ended_at is not None
    assert not Alert.objects.exists()


def _forget_token(device: Any, at: dt.datetime) -> None:
    from backend.reminders.models import DeliveryAttempt, Reminder
    from backend.reminders.services import schedule_reminder_once

    reminder, _new = schedule_reminder_once(
        device.subject, Reminder.Kind.CHECKIN, at, "请签到", "请签到", {}, dedupe_key=f"t:{device.pk}:{at}"
    )
    device.push_token = ""
    device.save(update_fields=["push_token"])
    DeliveryAttempt.objects.create(
        reminder=reminder,
        subject_id=device.subject_id,
        recipient="subject",
        device=device,
        token_prefix="abc",
        transport="fcm",
        attempt=1,
        at=at,
        result="permanent",
        token_forgotten=True,
    )


def test_silence_and_a_forgotten_token_is_app_removed(subject_a: Any, officer_a: Any) -> None:
    from backend.monitoring.models import Alert, MonitorState
    from backend.monitoring.services import detect_app_removed

    device, _token = enroll_phone(subject_a, officer_a)
    now = timezone.now()
    MonitorState.objects.filter(subject=subject_a).update(
        next_checkin_due=now - dt.timedelta(hours=1), last_checkin_received_at=now - dt.timedelta(hours=5)
    )
    assert detect_app_removed(now) == 0  # silent, but the token is still known
    _forget_token(device, now - dt.timedelta(hours=2))
    assert detect_app_removed(now) == 1
    assert detect_app_removed(now) == 0
    alert = Alert.objects.get()
    assert (alert.kind, alert.category) == ("app_removed", "risk")
    assert alert.evidence["device_id"] == device.pk


def test_a_phone_that_uploaded_after_the_token_was_forgotten_is_not_removed(
    subject_a: Any, officer_a: Any
) -> None:
    from backend.monitoring.models import MonitorState
    from backend.monitoring.services import detect_app_removed

    device, _token = enroll_phone(subject_a, officer_a)
    now = timezone.now()
    _forget_token(device, now - dt.timedelta(hours=6))
    MonitorState.objects.filter(subject=subject_a).update(
        next_checkin_due=now - dt.timedelta(hours=1), last_checkin_received_at=now - dt.timedelta(hours=5)
    )
    assert detect_app_removed(now) == 0
    # Nor one that is on time.
    MonitorState.objects.filter(subject=subject_a).update(
        next_checkin_due=now + dt.timedelta(hours=1), last_checkin_received_at=now - dt.timedelta(hours=8)
    )
    assert detect_app_removed(now) == 0
