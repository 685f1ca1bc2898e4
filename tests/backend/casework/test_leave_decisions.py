"""Staff decide leave: who may (403 saying who may), the decision pushed and sent as a command,
the return reminders, the report-back (销假), office scoping and the access log."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.backend.casework.helpers import make_leave
from tests.conftest import enroll_phone, make_staff, make_subject
from tests.openapi_helpers import assert_matches_spec

pytestmark = pytest.mark.django_db


def url(leave: Any, what: str = "") -> str:
    return f"/api/v1/leave-requests/{leave.pk}" + (f"/{what}" if what else "")


@pytest.mark.parametrize(
    ("days", "allowed", "refused"),
    [
        (3, ["head_a", "bureau_staff", "bureau_head"], ["officer_a"]),
        (10, ["bureau_staff", "bureau_head"], ["officer_a", "head_a"]),
        (40, ["bureau_head"], ["officer_a", "head_a", "bureau_staff"]),
    ],
)
def test_who_may_decide_follows_the_length(
    request: Any, api: Any, phone_a: Any, days: int, allowed: list[str], refused: list[str]
) -> None:
    device, _client = phone_a
    leave = make_leave(device, days=days)
    for name in refused:
        answer = api(request.getfixturevalue(name)).post(url(leave, "approve"), {}, format="json")
        assert answer.status_code == 403, (name, answer.json())
        assert "只能由" in answer.json()["detail"]
    for name in allowed:
        answer = api(request.getfixturevalue(name)).post(url(leave, "reject"), {"reason": "x"}, format="json")
        assert answer.status_code in (200, 400), (name, answer.json())  # 400: already decided by the first
    leave.refresh_from_db()
    assert leave.status == "rejected"


def test_the_403_says_who_may_decide_in_chinese(api: Any, phone_a: Any, officer_a: Any) -> None:
    device, _client = phone_a
    leave = make_leave(device, days=40)
    answer = api(officer_a).post(url(leave, "approve"), {}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert answer.status_code == 403
    assert "局长" in answer.json()["detail"]


def test_an_approval_makes_the_destination_zone_pushes_and_commands(
    api: Any, phone_a: Any, head_a: Any
) -> None:
    from backend.monitoring.models import PhoneCommand, Zone
    from backend.reminders.models import Reminder

    device, _client = phone_a
    leave = make_leave(device, days=3)
    answer = api(head_a).post(url(leave, "approve"), {"note": "按时销假"}, format="json")
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["status"] == "approved" and body["decided_by"] == head_a.pk
    zone = Zone.objects.get(pk=body["destination_zone"])
    assert zone.subject_id == device.subject_id and zone.kind == "inclusion" and zone.radius_m == 5000
    assert zone.schedule["extra_windows"] and zone.schedule["windows"] == []
    command = PhoneCommand.objects.get(subject=device.subject, kind="leave_decision")
    assert command.payload == {"leave_request": leave.pk, "status": "approved", "note": "按时销假"}
    kinds = set(Reminder.objects.filter(subject=device.subject).values_list("kind", flat=True))
    assert {"leave_return", "other"} <= kinds
    # The decision rides back on the phone's next answers until acknowledged.
    from backend.monitoring.services.commands import pending_commands

    assert [c["kind"] for c in pending_commands(device.subject_id)] == ["leave_decision"]


def test_staff_confirm_a_point_or_draw_the_zone_before_approving(api: Any, phone_a: Any, head_a: Any) -> None:
    device, _client = phone_a
    leave = make_leave(device, point=None)
    refused = api(head_a).post(url(leave, "approve"), {}, format="json")
    assert refused.status_code == 400 and "destination_point" in refused.json()["errors"]
    drawn = {
        "type": "Polygon",
        "coordinates": [[[120.3, 36.0], [120.5, 36.0], [120.5, 36.2], [120.3, 36.2], [120.3, 36.0]]],
    }
    bad = api(head_a).post(
        url(leave, "approve"),
        {"destination_zone": {"type": "Polygon", "coordinates": [[[1, 1]]]}},
        format="json",
    )
    assert bad.status_code == 400 and "destination_zone" in bad.json()["errors"]
    good = api(head_a).post(url(leave, "approve"), {"destination_zone": drawn}, format="json")
    assert good.status_code == 200, good.json()
    from backend.monitoring.models import Zone

    assert Zone.objects.get(pk=good.json()["destination_zone"]).geometry["type"] == "Polygon"


def test_a_decided_request_is_not_decided_again(api: Any, phone_a: Any, head_a: Any) -> None:
    device, _client = phone_a
    leave = make_leave(device)
    assert api(head_a).post(url(leave, "reject"), {"reason": "不符合条件"}, format="json").status_code == 200
    again = api(head_a).post(url(leave, "approve"), {}, format="json")
    assert again.status_code == 400 and "status" in again.json()["errors"]
    assert api(head_a).post(url(leave, "reject"), {}, format="json").json()["errors"]["reason"]


def test_report_back_ends_the_leave_now(
    api: Any, phone_a: Any, head_a: Any, officer_a: Any, auditor: Any
) -> None:
    from backend.casework.services import approve_leave
    from backend.monitoring.models import Zone

    device, _client = phone_a
    leave = make_leave(device, start=timezone.now() - dt.timedelta(hours=2), days=3)
    approve_leave(leave, head_a)
    assert api(auditor).post(url(leave, "report-back"), format="json").status_code == 403
    answer = api(officer_a).post(url(leave, "report-back"), format="json")
    assert answer.status_code == 200 and answer.json()["status"] == "reported_back"
    leave.refresh_from_db()
    zone = Zone.objects.get(pk=leave.destination_zone_id)
    ends = dt.datetime.fromisoformat(zone.schedule["extra_windows"][0]["end"])
    assert ends < (leave.ends_at.astimezone(dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None))
    assert api(officer_a).post(url(leave, "report-back"), format="json").status_code == 400


def test_an_early_report_back_withdraws_the_return_reminders(
    phone_a: Any, head_a: Any, officer_a: Any
) -> None:
    from backend.casework.services import approve_leave, report_back
    from backend.reminders.models import Reminder
    from backend.reminders.services import dispatch_due_reminders, pending_reminders

    device, _client = phone_a
    leave = make_leave(device, start=timezone.now() - dt.timedelta(hours=2), days=3)
    approve_leave(leave, head_a)
    reminders = Reminder.objects.filter(subject=device.subject, kind="leave_return")
    assert reminders.count() == 2 and set(reminders.values_list("push_status", flat=True)) == {"pending"}
    report_back(leave, officer_a)
    assert set(reminders.values_list("push_status", flat=True)) == {"skipped"}
    later = leave.ends_at - dt.timedelta(hours=1)  # when both would have been due
    assert not pending_reminders(device.subject_id, later).filter(kind="leave_return").exists()
    dispatch_due_reminders(later)  # the decision's own push may go; the return reminders never
    assert set(reminders.values_list("push_status", flat=True)) == {"skipped"}


def test_a_leave_without_a_destination_point_matches_the_spec(api: Any, phone_a: Any, officer_a: Any) -> None:
    device, _client = phone_a
    leave = make_leave(device, point=None)
    assert leave.point_source == ""  # no point: no source, which the spec allows
    for path in ("/api/v1/leave-requests", url(leave)):
        answer = api(officer_a).get(path)
        assert answer.status_code == 200
        assert_matches_spec(answer, path, "get")


def test_another_office_sees_nothing_and_reads_are_logged(
    api: Any, phone_a: Any, officer_b: Any, officer_a: Any
) -> None:
    from backend.audit.models import AccessLog

    device, _client = phone_a
    leave = make_leave(device)
    assert api(officer_b).get(url(leave)).status_code == 404
    assert api(officer_b).post(url(leave, "approve"), {}, format="json").status_code == 404
    assert api(officer_b).get("/api/v1/leave-requests").json()["results"] == []
    listed = api(officer_a).get("/api/v1/leave-requests").json()["results"]
    assert [row["id"] for row in listed] == [leave.pk]
    logged = AccessLog.objects.filter(resource="leave_request")
    assert logged.filter(actor=officer_b, outcome="not_found").exists()
    assert logged.filter(actor=officer_a, action="list").exists()


def test_the_list_costs_a_fixed_number_of_queries(
    api: Any, office_a: Any, officer_a: Any, head_a: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(5):
        subject = make_subject(office_a, officer_a)
        device, _token = enroll_phone(subject, officer_a)
        make_leave(device)
    client = api(head_a)
    with django_assert_max_num_queries(8):
        assert len(client.get("/api/v1/leave-requests").json()["results"]) == 5


def test_a_bureau_head_of_another_office_role_is_not_needed(api: Any, phone_a: Any, office_b: Any) -> None:
    """An office head decides for their own office only (another office's request is a 404)."""
    device, _client = phone_a
    leave = make_leave(device)
    head_b = make_staff("head_b2", "office_head", office_b)
    assert api(head_b).post(url(leave, "approve"), {}, format="json").status_code == 404


def test_leave_granted_meanwhile_makes_the_routing_stricter(
    api: Any, phone_a: Any, head_a: Any, bureau_head: Any
) -> None:
    from backend.casework.services import approve_leave

    device, _client = phone_a
    start = timezone.now() + dt.timedelta(hours=1)
    short = make_leave(device, days=5, start=start + dt.timedelta(days=27))
    assert short.approver == "office_head"
    approve_leave(make_leave(device, days=26, start=start), bureau_head)
    refused = api(head_a).post(url(short, "approve"), {}, format="json")
    assert refused.status_code == 403
    short.refresh_from_db()
    assert short.approver == "bureau_head" and short.flagged is True
