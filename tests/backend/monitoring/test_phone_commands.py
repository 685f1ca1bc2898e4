"""Orders to the phone ride on every check-in and status answer until the phone acknowledges
them; the acknowledgement is idempotent, expired and withdrawn orders are no longer sent."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.backend.monitoring.helpers import fix, post_checkins
from tests.conftest import device_client, enroll_phone

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone(subject_a: Any, officer_a: Any) -> tuple[Any, Any]:
    device, token = enroll_phone(subject_a, officer_a)
    return device, device_client(token)


def test_a_command_rides_on_every_answer_until_acknowledged(subject_a: Any, phone: Any) -> None:
    from backend.monitoring.models import PhoneCommand
    from backend.monitoring.services import send_command

    device, client = phone
    command = send_command(subject_a, "fix_now", {"reason": "宵禁核查"}, dedupe_key="curfew:1")
    first = post_checkins(client, [fix()]).json()["commands"]
    assert first == [
        {
            "id": str(command.pk),
            "kind": "fix_now",
            "payload": {"reason": "宵禁核查"},
            "created_at": first[0]["created_at"],
            "expires_at": None,
        }
    ]
    assert PhoneCommand.objects.get().delivered_at is not None
    status = client.post("/api/v1/mobile/status", {"battery": 80}, format="json")
    assert [c["id"] for c in status.json()["commands"]] == [str(command.pk)]
    assert [c["id"] for c in client.get("/api/v1/mobile/commands").json()] == [str(command.pk)]

    ack = client.post(f"/api/v1/mobile/commands/{command.pk}/ack")
    assert ack.status_code == 200
    again = client.post(f"/api/v1/mobile/commands/{command.pk}/ack")  # a retry after a lost answer
    assert again.status_code == 200 and again.json() == ack.json()
    assert PhoneCommand.objects.get().acknowledged_device == device
    assert post_checkins(client, [fix()]).json()["commands"] == []


def test_sending_twice_with_one_key_makes_one_command(subject_a: Any) -> None:
    from backend.monitoring.models import PhoneCommand
    from backend.monitoring.services import send_command

    a = send_command(subject_a, "fix_now", {"reason": "x"}, dedupe_key="k")
    b = send_command(subject_a, "fix_now", {"reason": "x"}, dedupe_key="k")
    assert a.pk == b.pk and PhoneCommand.objects.count() == 1


def test_a_newer_sampling_command_withdraws_the_older(subject_a: Any, phone: Any) -> None:
    from backend.monitoring.services import send_command

    _device, client = phone
    send_command(subject_a, "sampling", {"regime": "continuous", "interval_s": 60})
    newer = send_command(subject_a, "sampling", {"regime": "verification", "interval_s": 14400})
    assert [c["id"] for c in post_checkins(client, [fix()]).json()["commands"]] == [str(newer.pk)]


def test_an_expired_command_is_no_longer_sent(subject_a: Any, phone: Any) -> None:
    from backend.monitoring.services import send_command

    _device, client = phone
    send_command(subject_a, "fix_now", {"reason": "x"}, expires_at=timezone.now() - dt.timedelta(seconds=1))
    live = send_command(
        subject_a,
        "leave_decision",
        {"leave_request": 3, "status": "approved", "note": ""},
        expires_at=timezone.now() + dt.timedelta(days=1),
    )
    answer = post_checkins(client, [fix()]).json()["commands"]
    assert [c["id"] for c in answer] == [str(live.pk)]
    assert answer[0]["expires_at"] is not None


def test_another_persons_command_is_404(subject_a: Any, subject_b: Any, officer_b: Any, phone: Any) -> None:
    from backend.monitoring.services import send_command

    _device, client = phone
    theirs = send_command(subject_b, "fix_now", {"reason": "x"})
    assert client.post(f"/api/v1/mobile/commands/{theirs.pk}/ack").status_code == 404
    assert client.post("/api/v1/mobile/commands/999999/ack").status_code == 404
    assert client.post("/api/v1/mobile/commands/abc/ack").status_code == 404


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        ("sampling", {"regime": "always", "interval_s": 60}),
        ("sampling", {"regime": "continuous", "interval_s": 0}),
        ("sampling", {"regime": "continuous", "interval_s": True}),
        ("sampling", {"regime": "continuous"}),
        ("fix_now", {"reason": "x", "extra": 1}),
        ("fix_now", {"reason": "a\x00b"}),
        ("leave_decision", {"leave_request": 1, "status": "", "note": ""}),
        ("reboot", {}),
    ],
)
def test_a_payload_not_of_the_documented_shape_is_refused(subject_a: Any, kind: str, payload: Any) -> None:
    from backend.monitoring.services import send_command

    with pytest.raises(ValueError):
        send_command(subject_a, kind, payload)


def test_the_answers_match_the_published_contract(subject_a: Any, phone: Any) -> None:
    from backend.monitoring.services import send_command
    from tests.openapi_helpers import assert_matches_spec

    _device, client = phone
    send_command(subject_a, "sampling", {"regime": "continuous", "interval_s": 30})
    command = send_command(
        subject_a, "leave_decision", {"leave_request": "12", "status": "rejected", "note": "理由不足"}
    )
    assert_matches_spec(post_checkins(client, [fix()]), "/api/v1/mobile/checkins", "post")
    assert_matches_spec(
        client.post("/api/v1/mobile/status", {}, format="json"), "/api/v1/mobile/status", "post"
    )
    assert_matches_spec(client.get("/api/v1/mobile/commands"), "/api/v1/mobile/commands", "get")
    assert_matches_spec(
        client.post(f"/api/v1/mobile/commands/{command.pk}/ack"), "/api/v1/mobile/commands/{id}/ack", "post"
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.none(),
        st.text(max_size=20),
        st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8), max_size=3),
    )
)
def test_hostile_ack_bodies_change_nothing_bad(subject_a: Any, phone: Any, data: Any) -> None:
    from backend.monitoring.services import send_command

    _device, client = phone
    command = send_command(subject_a, "fix_now", {"reason": "x"}, dedupe_key="hostile")
    answer = client.post(f"/api/v1/mobile/commands/{command.pk}/ack", data, format="json")
    assert answer.status_code in (200, 400), answer.content
