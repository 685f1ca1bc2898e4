"""The curfew check of a quiet phone: at each window's start plus grace, the last known fix says
at home, away (alert) or unknown; then the phone is asked for a fix (command and push), and no
answer within the grace is ``curfew_no_answer``. Once per person and window."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from backend.casework import rules
from tests.backend.casework.helpers import FAR_AWAY, set_last_fix

pytestmark = pytest.mark.django_db

HOME = (37.15, 122.35)


@pytest.fixture
def curfew(phone_a: Any) -> Any:
    """subject_a's curfew zone (normal level: 22:00-06:00 by the default policy) and the window
    that opened last night at 22:00 local time."""
    from backend.casework.services import sync_home_zones
    from backend.supervision.rules import policy_for

    device, _client = phone_a
    zones = sync_home_zones(device.subject)
    zone = zones["curfew"]
    assert zone is not None and zone.is_active
    policy = policy_for(device.subject.supervision_level)
    local_now = timezone.now().astimezone(rules.LOCAL_TZ)
    opened = dt.datetime.combine(
        local_now.date() - dt.timedelta(days=1), policy.curfew_start, tzinfo=rules.LOCAL_TZ
    )
    return device.subject, zone, opened


def test_a_recent_fix_at_home_is_compliant_and_nothing_is_asked(curfew: Any) -> None:
    from backend.casework.models import CurfewCheck
    from backend.casework.services import check_curfews
    from backend.monitoring.models import Alert, PhoneCommand

    subject, _zone, opened = curfew
    now = opened + rules.CURFEW_CHECK_GRACE + dt.timedelta(minutes=1)
    set_last_fix(subject, *HOME, at=opened - dt.timedelta(minutes=10))  # a 21:50 fix settles a 22:00 check
    assert check_curfews(now)["compliant"] == 1
    check = CurfewCheck.objects.get()
    assert check.status == "compliant" and check.evidence["fix_before_window"] is True
    assert not Alert.objects.exists() and not PhoneCommand.objects.filter(kind="fix_now").exists()
    assert sum(check_curfews(now).values()) == 0  # once per window


def test_a_recent_fix_away_is_a_curfew_alert(curfew: Any) -> None:
    from backend.casework.services import check_curfews
    from backend.monitoring.models import Alert

    subject, zone, opened = curfew
    now = opened + rules.CURFEW_CHECK_GRACE + dt.timedelta(minutes=1)
    set_last_fix(subject, *FAR_AWAY, at=opened + dt.timedelta(minutes=5))
    assert check_curfews(now)["non_compliant"] == 1
    alert = Alert.objects.get(kind="curfew")
    assert alert.zone_id == zone.pk and alert.severity == "critical"


def test_an_unknown_position_asks_the_phone_and_no_answer_is_an_alert(curfew: Any) -> None:
    from backend.casework.models import CurfewCheck
    from backend.casework.services import check_curfews, settle_curfew_answers
    from backend.monitoring.models import Alert, PhoneCommand
    from backend.reminders.models import Reminder

    subject, _zone, opened = curfew
    now = opened + rules.CURFEW_CHECK_GRACE + dt.timedelta(minutes=1)
    set_last_fix(subject, *HOME, at=opened - dt.timedelta(hours=5))  # too old to say anything
    assert check_curfews(now)["asked"] == 1
    check = CurfewCheck.objects.get()
    assert check.status == "asked" and check.reason == "fix_too_old"
    command = PhoneCommand.objects.get(subject=subject, kind="fix_now")
    assert command.payload == {"reason": "curfew"}
    assert Reminder.objects.filter(subject=subject, urgent=True, data__reason="curfew").exists()
    assert sum(settle_curfew_answers(now + dt.timedelta(minutes=5)).values()) == 0  # still within the grace
    assert settle_curfew_answers(now + rules.CURFEW_CHECK_GRACE)["no_answer"] == 1
    alert = Alert.objects.get(kind="curfew_no_answer")
    assert alert.evidence["curfew_check"] == check.pk
    assert sum(settle_curfew_answers(now + dt.timedelta(hours=1)).values()) == 0


def test_an_answer_at_home_settles_the_check(curfew: Any) -> None:
    from backend.casework.models import CurfewCheck
    from backend.casework.services import check_curfews, settle_curfew_answers
    from backend.monitoring.models import Alert

    subject, _zone, opened = curfew
    now = opened + rules.CURFEW_CHECK_GRACE + dt.timedelta(minutes=1)
    assert check_curfews(now)["asked"] == 1  # no fix at all
    set_last_fix(subject, *HOME, at=now + dt.timedelta(minutes=3))
    assert settle_curfew_answers(now + dt.timedelta(minutes=4))["compliant"] == 1
    assert CurfewCheck.objects.get().status == "compliant"
    assert not Alert.objects.exists()


def test_an_answer_away_from_home_is_a_curfew_alert(curfew: Any) -> None:
    from backend.casework.services import check_curfews, settle_curfew_answers
    from backend.monitoring.models import Alert

    subject, _zone, opened = curfew
    now = opened + rules.CURFEW_CHECK_GRACE + dt.timedelta(minutes=1)
    check_curfews(now)
    set_last_fix(subject, *FAR_AWAY, at=now + dt.timedelta(minutes=3))
    assert settle_curfew_answers(now + dt.timedelta(minutes=4))["non_compliant"] == 1
    assert Alert.objects.get().kind == "curfew"


def test_before_the_grace_nothing_is_checked(curfew: Any) -> None:
    from backend.casework.services import check_curfews

    _subject, _zone, opened = curfew
    assert sum(check_curfews(opened + dt.timedelta(minutes=5)).values()) == 0


def test_a_lenient_person_without_curfew_gets_no_zone(subject_a: Any) -> None:
    from backend.casework.services import sync_home_zones
    from backend.supervision.models import SupervisionPolicy

    SupervisionPolicy.objects.filter(level="lenient").update(curfew_applies=False)
    subject_a.supervision_level = "lenient"
    subject_a.save()
    zones = sync_home_zones(subject_a)
    assert zones["curfew"] is None and zones["home"] is not None and zones["home"].is_active is False


def test_the_zones_follow_the_policy_and_the_home(
    api: Any, subject_a: Any, officer_a: Any, officer_b: Any
) -> None:
    from backend.monitoring.models import Zone
    from backend.supervision.models import SupervisionPolicy

    url = f"/api/v1/subjects/{subject_a.pk}/home-zones"
    assert api(officer_b).post(url, {}, format="json").status_code == 404
    answer = api(officer_a).post(
        url, {"home_point": {"lat": 37.16, "lon": 122.36, "crs": "wgs84"}}, format="json"
    )
    assert answer.status_code == 200, answer.json()
    curfew = Zone.objects.get(pk=answer.json()["curfew_zone"])
    assert curfew.geometry["coordinates"] == [122.36, 37.16] and curfew.purpose == "curfew"
    policy = SupervisionPolicy.objects.get(level=subject_a.supervision_level)
    assert curfew.schedule["windows"][0]["start"].startswith(policy.curfew_start.strftime("%H:%M"))
    policy.curfew_applies = False
    policy.save()
    again = api(officer_a).post(url, {}, format="json").json()
    assert again["curfew_zone"] == curfew.pk and again["curfew_active"] is False
    bad = api(officer_a).post(url, {"home_point": {"lat": "x", "lon": 1}}, format="json")
    assert bad.status_code == 400 and "home_point.lat" in bad.json()["errors"]


def test_a_person_away_on_approved_leave_is_not_checked(curfew: Any, head_a: Any) -> None:
    from backend.casework.services import approve_leave, check_curfews
    from backend.monitoring.models import Alert
    from tests.backend.casework.helpers import make_leave

    subject, _zone, opened = curfew
    device = subject.devices.get()
    leave = make_leave(device, start=timezone.now() - dt.timedelta(hours=1), days=1)
    approve_leave(leave, head_a)
    from backend.casework.models import LeaveRequest

    # The leave covered last night's curfew window.
    LeaveRequest.objects.filter(pk=leave.pk).update(starts_at=opened - dt.timedelta(hours=2))
    now = opened + rules.CURFEW_CHECK_GRACE + dt.timedelta(minutes=1)
    set_last_fix(subject, *FAR_AWAY, at=now - dt.timedelta(minutes=5))
    assert sum(check_curfews(now).values()) == 0
    assert not Alert.objects.exists()
