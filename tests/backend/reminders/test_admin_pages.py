"""Reminders, staff push tokens and the delivery log are in the admin, read-only and office-scoped."""

from __future__ import annotations

from typing import Any

import pytest

from tests.backend.reminders.conftest import FakeTransport, add_reminder, long_token, staff_token
from tests.conftest import signed_in_client

pytestmark = pytest.mark.django_db

PAGES = ["reminders/reminder", "reminders/deliveryattempt", "reminders/staffpushtoken"]


@pytest.fixture
def history(phone_a: Any, subject_a: Any, subject_b: Any, officer_a: Any, transport: FakeTransport) -> None:
    from backend.reminders.services import deliver_reminder

    deliver_reminder(add_reminder(subject_a, "seen-by-a").pk)
    add_reminder(subject_b, "office-b-only")
    staff_token(officer_a, "officer-a")


def test_every_page_opens_for_a_system_administrator(sysadmin: Any, history: None) -> None:
    client = signed_in_client(sysadmin)
    for page in PAGES:
        listing = client.get(f"/admin/{page}/")
        assert listing.status_code == 200, page
        assert client.get(f"/admin/{page}/add/").status_code == 403, page  # written by the jobs only


def test_an_officer_sees_only_their_offices_rows_and_no_full_token(officer_a: Any, history: None) -> None:
    from backend.reminders.models import DeliveryAttempt, Reminder, StaffPushToken

    client = signed_in_client(officer_a)
    shown = client.get("/admin/reminders/reminder/").context["cl"].result_list
    assert Reminder.objects.count() == 2
    assert [r.dedupe_key for r in shown] == ["seen-by-a"]
    token = StaffPushToken.objects.get()
    page = client.get(f"/admin/reminders/staffpushtoken/{token.pk}/change/").content.decode()
    assert long_token("officer-a")[:8] in page and long_token("officer-a") not in page
    attempt = DeliveryAttempt.objects.get()
    assert client.get(f"/admin/reminders/deliveryattempt/{attempt.pk}/change/").status_code == 200
