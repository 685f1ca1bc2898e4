"""The demo county's year of 依法行政: the step runs on the bureau's units and the indicators live."""

from __future__ import annotations

import pytest

from backend.accounts.models import Office
from backend.bureau.indicators import ensure_indicators, progress_of
from backend.bureau.models import UnitMembership
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db


def test_the_demo_year_is_loaded_and_the_indicators_read_it(bureau, settings, tmp_path):
    from django.utils import timezone

    from backend.bureau.demo import load_units
    from backend.lawadmin import demo
    from backend.lawadmin.models import ComplianceNotice, EnforcementOfficer, LitigationCase

    settings.MEDIA_ROOT = tmp_path
    for code in ("chengqu", "yatou"):
        Office.objects.create(code=code, name=f"{code}司法所", parent=bureau)
    tianbao = make_staff("tianbao", "reporter")
    load_units()
    assert UnitMembership.objects.get(user=tianbao).unit.name == "城区街道"
    line = demo.load()
    assert 1100 <= EnforcementOfficer.objects.count() <= 1900, line
    assert "joint inspections saved" in line
    assert LitigationCase.objects.count() == 42
    assert ComplianceNotice.objects.exists()
    assert demo.load() == "law-based administration already loaded"
    indicators = {i.code: i for i in ensure_indicators(timezone.localdate().year)}
    hours = progress_of(indicators["enforcement-study-hours"])
    tested = progress_of(indicators["enforcement-tested-share"])
    assert hours is not None and 20 < hours.value < 120
    assert tested is not None and tested.value >= 10


@pytest.mark.parametrize("day", ["2027-01-05", "2026-12-06"])
def test_the_demo_has_compliance_notices_whatever_the_date(bureau, settings, tmp_path, day):
    """Early in the year no quarter of this year is past due, and which units the seeded draws
    skip moved with the date: on 2026-12-06 (Asia/Shanghai) none missed a catalogue and the demo
    had no notice. One unit in turn misses each of the last four quarters past due."""
    import datetime as dt
    from unittest import mock

    from backend.bureau.demo import load_units
    from backend.lawadmin import demo
    from backend.lawadmin.models import ComplianceNotice

    settings.MEDIA_ROOT = tmp_path
    load_units()
    with mock.patch("django.utils.timezone.localdate", return_value=dt.date.fromisoformat(day)):
        demo.load()
    quarters = {(n.year, n.quarter) for n in ComplianceNotice.objects.all()}
    assert len(quarters) == 4, quarters
