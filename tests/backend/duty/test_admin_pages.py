"""The roster, the escalation policy and the periodic jobs' schedule are in the admin, in Chinese;
office staff see their office's roster only, an office head edits it, an officer does not."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.backend.duty.conftest import shift
from tests.conftest import signed_in_client

pytestmark = pytest.mark.django_db


def login(user: Any) -> Client:
    return signed_in_client(user, HTTP_ACCEPT_LANGUAGE="zh-hans")


def test_the_schedule_and_the_policy_are_in_chinese_for_the_system_administrator(sysadmin: Any) -> None:
    client = login(sysadmin)
    jobs = client.get("/admin/django_celery_beat/periodictask/")
    assert jobs.status_code == 200
    text = jobs.content.decode()
    assert "周期性任务" in text and "detect-offline-phones" in text and "escalate-alerts" in text
    from django_celery_beat.models import PeriodicTask

    job = PeriodicTask.objects.get(name="detect-offline-phones")
    change = client.get(f"/admin/django_celery_beat/periodictask/{job.pk}/change/").content.decode()
    assert "脱管检测" in change  # what the job does, for staff
    assert "执行选项" in change  # the one label django-celery-beat's catalogue lacks
    policy = client.get("/admin/duty/escalationpolicy/").content.decode()
    assert "预警升级规则" in policy and "升级至所长（分钟）" in policy


def test_office_staff_see_their_own_roster_and_only_a_head_edits_it(
    officer_a: Any, head_a: Any, officer_b: Any, office_a: Any, office_b: Any
) -> None:
    own = shift(office_a, officer_a)
    other = shift(office_b, officer_b)
    listing = login(officer_a).get("/admin/duty/dutyshift/")
    assert listing.status_code == 200 and "值班表" in listing.content.decode()
    assert f"/admin/duty/dutyshift/{own.pk}/change/" in listing.content.decode()
    assert f"/admin/duty/dutyshift/{other.pk}/change/" not in listing.content.decode()
    assert login(officer_a).get("/admin/duty/dutyshift/add/").status_code == 403
    head = login(head_a)
    assert head.get(f"/admin/duty/dutyshift/{other.pk}/change/").status_code in (302, 404)
    answer = head.post(
        f"/admin/duty/dutyshift/{own.pk}/change/",
        {
            "office": office_a.pk,
            "user": officer_b.pk,  # not the office's: refused by the roster's rule
            "starts_at_0": "2026-12-05",
            "starts_at_1": "08:00:00",
            "ends_at_0": "2026-12-05",
            "ends_at_1": "20:00:00",
        },
    )
    assert answer.status_code == 200 and "errornote" in answer.content.decode()
