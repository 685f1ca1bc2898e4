"""防脱管 in two stages for one due time: "check-in overdue" past the level's grace, then
"suspected loss of contact" past its threshold; an upload ends the silence, and both warnings'
evidence says when, with ``alert.updated`` sent to the consoles."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.backend.monitoring.helpers import fix, post_checkins
from tests.conftest import device_client, enroll_phone

pytestmark = pytest.mark.django_db


@pytest.fixture
def silent(subject_a: Any, officer_a: Any) -> tuple[Any, str, dt.datetime]:
    """A strict person whose phone uploaded once; its next check-in is due in an hour."""
    from backend.monitoring.models import MonitorState
    from backend.supervision.services import change_level

    change_level(subject_a, "strict", "测试", None)
    _device, token = enroll_phone(subject_a, officer_a)
    post_checkins(device_client(token), [fix()])
    due = MonitorState.objects.get(subject=subject_a).next_checkin_due
    return subject_a, token, due


def test_overdue_then_lost_contact_for_the_same_due_time(silent: Any) -> None:
    from backend.monitoring.models import Alert
    from backend.monitoring.services import detect_lost_contact, detect_offline

    _subject, _token, due = silent
    assert detect_offline(due + dt.timedelta(minutes=29)) == 0
    assert detect_offline(due + dt.timedelta(minutes=31)) == 1
    assert detect_lost_contact(due + dt.timedelta(hours=2)) == 0
    assert detect_lost_contact(due + dt.timedelta(hours=3, minutes=1)) == 1
    assert detect_lost_contact(due + dt.timedelta(hours=4)) == 0  # once per due time
    offline, lost = Alert.objects.order_by("seq")
    assert (offline.kind, offline.severity) == ("offline", "critical")  # strict
    assert (lost.kind, lost.severity, lost.category) == ("lost_contact", "critical", "risk")
    assert offline.evidence["due_at"] == lost.evidence["due_at"] == due.isoformat()
    assert lost.evidence["threshold_s"] == 3 * 3600


def test_stage_two_raises_stage_one_first_if_it_was_missed(silent: Any) -> None:
    from backend.monitoring.models import Alert
    from backend.monitoring.services import detect_lost_contact

    _subject, _token, due = silent
    assert detect_lost_contact(due + dt.timedelta(hours=5)) == 1
    assert sorted(Alert.objects.values_list("kind", flat=True)) == ["lost_contact", "offline"]


def test_the_threshold_is_the_levels(silent: Any, bureau_head: Any) -> None:
    from backend.monitoring.services import detect_lost_contact
    from backend.supervision.services import update_policy

    _subject, _token, due = silent
    update_policy("strict", {"lost_contact_after_minutes": 60}, bureau_head)
    assert detect_lost_contact(due + dt.timedelta(minutes=61)) == 1


def test_contact_resuming_completes_the_evidence_and_updates_the_consoles(
    silent: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from backend.monitoring.models import Alert, ConsoleEvent, MonitorState
    from backend.monitoring.services import detect_lost_contact, note_all_contact_resumed

    subject, token, _due = silent
    MonitorState.objects.filter(subject=subject).update(
        next_checkin_due=timezone.now() - dt.timedelta(hours=4)
    )
    assert detect_lost_contact() == 1
    before = ConsoleEvent.objects.filter(type="alert.updated").count()
    with django_capture_on_commit_callbacks(execute=True):  # the task queued after the upload's commit
        answer = post_checkins(device_client(token), [fix()])
    assert answer.status_code == 200
    alerts = list(Alert.objects.order_by("seq"))
    assert len(alerts) == 2
    resumed = {a.evidence.get("contact_resumed_at") for a in alerts}
    assert len(resumed) == 1 and None not in resumed
    assert ConsoleEvent.objects.filter(type="alert.updated").count() == before + 2
    state = MonitorState.objects.get(subject=subject)
    assert state.offline_alerted_at is None and state.lost_contact_alerted_at is None
    assert state.contact_resumed_at is None
    assert note_all_contact_resumed() == 0  # done once


def test_the_tasks_run_the_checks(silent: Any) -> None:
    from backend.monitoring.models import MonitorState
    from backend.monitoring.tasks import detect_lost_contact, note_contact_resumed_all

    subject, _token, _due = silent
    MonitorState.objects.filter(subject=subject).update(
        next_checkin_due=timezone.now() - dt.timedelta(hours=4)
    )
    assert detect_lost_contact.delay().get() == 1
    assert note_contact_resumed_all.delay().get() == 0
