"""Curfew checks when the phone is quiet: compliant, non-compliant or unknown, with a reason."""

from __future__ import annotations

import datetime as dt

import pytest

from geofence import Compliance, Schedule, schedule_compliance

from .helpers import fix_at, square_zone

# Curfew 22:00-06:00 Shanghai; T0 (12:00 UTC) is 20:00 local, so 22:00 local is T0 + 2 h.
HOME = square_zone("home", "inclusion", 200.0, schedule=Schedule.daily("22:00", "06:00"))
OPENED = dt.datetime(2024, 3, 4, 14, 0, tzinfo=dt.UTC)
NOW = OPENED + dt.timedelta(minutes=5)


def check(fix, now=NOW):
    return schedule_compliance(fix, HOME, OPENED, now=now, max_fix_age_s=1800)


def test_a_recent_fix_at_home_is_compliant_even_from_before_the_window():
    answer = check(fix_at(0, 0, minutes=115))  # 21:55 local
    assert (answer.status, answer.reason) == (Compliance.COMPLIANT, "inside")
    assert answer.fix_before_window is True


def test_a_recent_fix_away_is_non_compliant():
    answer = check(fix_at(0, 1500, minutes=121))
    assert (answer.status, answer.reason) == (Compliance.NON_COMPLIANT, "outside")


def test_no_fix_is_unknown():
    assert check(None).reason == "no_fix"
    assert check(None).status is Compliance.UNKNOWN


def test_an_old_fix_is_unknown():
    answer = check(fix_at(0, 0, minutes=60))
    assert (answer.status, answer.reason) == (Compliance.UNKNOWN, "fix_too_old")


def test_a_fix_straddling_the_boundary_is_unknown():
    answer = check(fix_at(200, 0, minutes=120, accuracy_m=50))
    assert (answer.status, answer.reason) == (Compliance.UNKNOWN, "uncertain")


def test_a_bad_last_fix_is_unknown_with_its_class():
    assert check(fix_at(0, 0, minutes=120, accuracy_m=800)).reason == "fix_low_accuracy"
    assert check(fix_at(0, 0, minutes=120, mock=True)).reason == "fix_mock_location"


def test_outside_the_window_nothing_is_asked():
    morning = dt.datetime(2024, 3, 5, 2, 0, tzinfo=dt.UTC)  # 10:00 local
    answer = schedule_compliance(None, HOME, morning, now=morning, max_fix_age_s=1800)
    assert (answer.status, answer.reason) == (Compliance.COMPLIANT, "zone_not_active")


def test_it_refuses_a_window_that_opens_after_now():
    with pytest.raises(ValueError):
        schedule_compliance(None, HOME, NOW, now=OPENED, max_fix_age_s=1800)


def test_the_answer_is_json_ready():
    data = check(fix_at(0, 0, minutes=118)).to_dict()
    assert data["status"] == "compliant"
    assert data["verdict"] == "inside"
