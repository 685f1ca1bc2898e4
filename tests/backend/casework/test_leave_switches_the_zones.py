"""While an approved leave runs the county boundary does not apply to the person and the
destination does; both switch by themselves at the leave's start and end, and the per-person
zone list stays right across the switch (and across a report-back)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from geofence.fixes import to_epoch_us
from tests.backend.casework.helpers import FAR_AWAY, make_leave
from tests.backend.monitoring.helpers import post_checkins, track

pytestmark = pytest.mark.django_db

HOME = (37.15, 122.35)


def zone_kinds_at(subject: Any, at: dt.datetime) -> dict[str, bool]:
    """Which of the person's engine zones count at ``at`` (by zone id)."""
    from backend.monitoring.zones import zones_for

    us = to_epoch_us(at)
    return {zone.id: zone.is_active(us) for zone in zones_for(subject)}


def shorten(leave: Any, ends_at: dt.datetime) -> None:
    from backend.casework.models import LeaveRequest
    from backend.casework.services.leave import destination_zone_values
    from backend.monitoring.models import Zone
    from backend.monitoring.zones import zones_changed

    LeaveRequest.objects.filter(pk=leave.pk).update(ends_at=ends_at)
    leave.refresh_from_db()
    Zone.objects.filter(pk=leave.destination_zone_id).update(
        schedule=destination_zone_values(leave)["schedule"], updated_at=timezone.now()
    )
    zones_changed()


def test_the_county_is_suspended_and_the_destination_applies_during_the_leave(
    phone_a: Any, head_a: Any, county_zone: Any
) -> None:
    from backend.casework.services import approve_leave
    from backend.monitoring.zones import zones_for

    device, _client = phone_a
    subject = device.subject
    start = timezone.now() + dt.timedelta(hours=1)
    before = zones_for(subject)
    assert [z.id for z in before] == [str(county_zone.pk)]
    leave = approve_leave(make_leave(device, start=start, days=2), head_a)
    county, destination = str(county_zone.pk), str(leave.destination_zone_id)
    # The approval reaches the zone list (a new generation after commit; the test runs in one
    # transaction, so the commit hooks are run by hand).
    from backend.monitoring.zones import zones_changed

    zones_changed()
    assert zone_kinds_at(subject, start - dt.timedelta(minutes=1)) == {county: True, destination: False}
    assert zone_kinds_at(subject, start + dt.timedelta(hours=1)) == {county: False, destination: True}
    after = start + dt.timedelta(days=2, minutes=1)
    assert zone_kinds_at(subject, after) == {county: True, destination: False}


def test_fixes_away_during_the_leave_raise_nothing_and_after_it_the_county_alerts(
    phone_a: Any, head_a: Any, county_zone: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from backend.casework.services import approve_leave
    from backend.monitoring.models import Alert

    device, client = phone_a
    start = timezone.now() - dt.timedelta(hours=6)
    with django_capture_on_commit_callbacks(execute=True):
        leave = approve_leave(make_leave(device, start=start, days=1), head_a)
        # Time passes: the leave ended an hour ago (as if approved the day before).
        ended = timezone.now() - dt.timedelta(hours=1)
        shorten(leave, ended)
    during = track([FAR_AWAY] * 4, start=start + dt.timedelta(hours=1), step_s=120)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_checkins(client, during).status_code == 200
    assert not Alert.objects.filter(kind="left_zone").exists()
    after = track([FAR_AWAY] * 4, start=leave.ends_at + dt.timedelta(minutes=5), step_s=120)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_checkins(client, after).status_code == 200
    alert = Alert.objects.get(kind="left_zone")
    assert alert.zone_id == county_zone.pk


def test_leaving_the_destination_during_the_leave_alerts(
    phone_a: Any, head_a: Any, county_zone: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from backend.casework.services import approve_leave
    from backend.monitoring.models import Alert

    device, client = phone_a
    start = timezone.now() - dt.timedelta(hours=3)
    with django_capture_on_commit_callbacks(execute=True):
        leave = approve_leave(make_leave(device, start=start, days=2), head_a)
    elsewhere = (31.23, 121.47)  # Shanghai: neither home nor the destination
    fixes = track([elsewhere] * 4, start=start + dt.timedelta(hours=1), step_s=120)
    with django_capture_on_commit_callbacks(execute=True):
        post_checkins(client, fixes)
    alert = Alert.objects.get(kind="left_zone")
    assert alert.zone_id == leave.destination_zone_id


def test_a_report_back_brings_the_county_back_at_once(
    phone_a: Any, head_a: Any, officer_a: Any, county_zone: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from backend.casework.services import approve_leave, report_back
    from backend.monitoring.zones import zones_for

    device, _client = phone_a
    start = timezone.now() - dt.timedelta(hours=3)
    with django_capture_on_commit_callbacks(execute=True):
        leave = approve_leave(make_leave(device, start=start, days=2), head_a)
    now = timezone.now()
    county = str(county_zone.pk)
    assert zone_kinds_at(device.subject, now)[county] is False
    cached = zones_for(device.subject)
    with django_capture_on_commit_callbacks(execute=True):
        report_back(leave, officer_a)
    assert zones_for(device.subject) is not cached  # the per-person list was rebuilt
    later = timezone.now() + dt.timedelta(seconds=5)
    states = zone_kinds_at(device.subject, later)
    assert states[county] is True and states[str(leave.destination_zone_id)] is False
    # A late fix from the leave is still judged by the zones of its own time.
    assert zone_kinds_at(device.subject, start + dt.timedelta(hours=1))[county] is False


def test_a_rejected_or_pending_leave_changes_no_zone(phone_a: Any, head_a: Any, county_zone: Any) -> None:
    from backend.casework.services import reject_leave

    device, _client = phone_a
    start = timezone.now() - dt.timedelta(hours=1)
    pending = make_leave(device, start=start, days=1)
    assert zone_kinds_at(device.subject, timezone.now()) == {str(county_zone.pk): True}
    reject_leave(pending, head_a, reason="no")
    assert zone_kinds_at(device.subject, timezone.now()) == {str(county_zone.pk): True}
