"""The console websocket: scoped live events, resume with replay in order, gap filling."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction

from backend.config.asgi import application
from tests.backend.monitoring.console_ws import connect, console_users, publish, receive_until

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def users(db: Any, office_a: Any, office_b: Any) -> dict[str, Any]:
    return console_users(office_a, office_b)


async def test_anonymous_connections_are_refused(users: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    communicator = WebsocketCommunicator(
        application, "/ws/console/", headers=[(b"origin", b"http://testserver")]
    )
    communicator.scope["user"] = AnonymousUser()
    connected, _code = await communicator.connect()
    assert not connected


async def test_a_foreign_origin_is_refused(users: Any) -> None:
    communicator = WebsocketCommunicator(
        application, "/ws/console/", headers=[(b"origin", b"http://evil.example")]
    )
    communicator.scope["user"] = users["a"]
    connected, _ = await communicator.connect()
    assert not connected


async def test_resume_replays_missed_events_in_order_then_goes_live(users: Any, office_a: Any) -> None:
    missed = await publish(office_a.pk, 3)
    console = await connect(users["a"])
    await console.send_json_to({"type": "resume", "after_seq": missed[0]})
    replay = await receive_until(console, "replay_done")
    assert [m["seq"] for m in replay[:-1]] == missed[1:]
    live = await publish(office_a.pk)
    message = await console.receive_json_from(timeout=3)
    assert message["seq"] == live[0] and message["type"] == "alert.created"
    await console.disconnect()


async def test_office_consoles_see_only_their_office(users: Any, office_a: Any, office_b: Any) -> None:
    console_a = await connect(users["a"])
    console_bureau = await connect(users["bureau"])
    for console in (console_a, console_bureau):
        await console.send_json_to({"type": "subscribe"})
        await receive_until(console, "replay_done")
    b_seq = await publish(office_b.pk)
    a_seq = await publish(office_a.pk)
    assert (await console_a.receive_json_from(timeout=3))["seq"] == a_seq[0]
    assert await console_a.receive_nothing(timeout=0.2)
    assert [(await console_bureau.receive_json_from(timeout=3))["seq"] for _ in range(2)] == [
        b_seq[0],
        a_seq[0],
    ]
    # Replay is scoped too.
    await console_a.send_json_to({"type": "resume", "after_seq": 0})
    replay = await receive_until(console_a, "replay_done")
    assert [m["seq"] for m in replay[:-1]] == a_seq
    await console_a.disconnect()
    await console_bureau.disconnect()


async def test_a_dropped_group_message_is_filled_from_the_database(users: Any, office_a: Any) -> None:
    from backend.monitoring.models import ConsoleEvent

    console = await connect(users["a"])
    await console.send_json_to({"type": "subscribe"})
    await receive_until(console, "replay_done")

    # An event committed but whose delivery was lost (as when channels-redis is over capacity).
    @database_sync_to_async
    def lost_event() -> int:
        from backend.monitoring.events import next_sequence

        with transaction.atomic():
            seq = next_sequence()
            ConsoleEvent.objects.create(
                seq=seq, office_id=office_a.pk, type="alert.created", payload={"lost": 1}
            )
        return seq

    lost = await lost_event()
    delivered = await publish(office_a.pk)
    first, second = await console.receive_json_from(timeout=3), await console.receive_json_from(timeout=3)
    assert (first["seq"], first["data"]) == (lost, {"lost": 1})
    assert second["seq"] == delivered[0]
    await console.disconnect()


async def test_events_arriving_during_replay_are_not_duplicated(users: Any, office_a: Any) -> None:
    before = await publish(office_a.pk, 2)
    console = await connect(users["a"])
    during = await publish(office_a.pk, 2)  # delivered to the group before the resume
    await console.send_json_to({"type": "resume", "after_seq": 0})
    messages = await receive_until(console, "replay_done")
    seqs = [m["seq"] for m in messages[:-1]]
    assert seqs == before + during
    assert await console.receive_nothing(timeout=0.3)
    await console.disconnect()


async def test_ping_and_bad_messages(users: Any) -> None:
    console = await connect(users["a"])
    await console.send_json_to({"type": "ping"})
    assert (await console.receive_json_from())["type"] == "pong"
    await console.send_json_to({"type": "resume", "after_seq": "x"})
    assert (await console.receive_json_from())["type"] == "error"
    await console.disconnect()


async def test_a_dropped_tail_of_a_burst_arrives_shortly_after(users: Any, office_a: Any) -> None:
    from backend.monitoring.models import ConsoleEvent

    console = await connect(users["a"])
    await console.send_json_to({"type": "subscribe"})
    await receive_until(console, "replay_done")

    @database_sync_to_async
    def delivered_then_lost() -> tuple[int, int]:
        from backend.monitoring.events import next_sequence, publish_event

        with transaction.atomic():
            first = publish_event(office_a.pk, "alert.created", {"n": 1}).seq
            # The last event of the burst is committed but its group message is lost.
            lost = next_sequence()
            ConsoleEvent.objects.create(
                seq=lost, office_id=office_a.pk, type="alert.created", payload={"n": 2}
            )
        return first, lost

    first, lost = await delivered_then_lost()
    assert (await console.receive_json_from(timeout=3))["seq"] == first
    # No later event reveals the gap; the consumer looks for newer stored events by itself.
    assert (await console.receive_json_from(timeout=3))["seq"] == lost
    await console.disconnect()


@database_sync_to_async
def publish_positions(positions: list[tuple[int, int]]) -> None:
    from backend.monitoring.events import publish_positions

    with transaction.atomic():
        publish_positions(
            [
                (office_id, {"subject_id": subject_id, "lat": 37.1, "lon": 122.4})
                for office_id, subject_id in positions
            ]
        )


async def test_a_rounds_positions_reach_each_console_of_their_office_one_by_one(
    users: Any, office_a: Any, office_b: Any
) -> None:
    console_a = await connect(users["a"])
    console_bureau = await connect(users["bureau"])
    for console in (console_a, console_bureau):
        await console.send_json_to({"type": "subscribe"})
        await receive_until(console, "replay_done")
    await publish_positions([(office_a.pk, 1), (office_b.pk, 2), (office_a.pk, 3)])
    seen_a = [await console_a.receive_json_from(timeout=3) for _ in range(2)]
    assert [(m["type"], m["seq"], m["data"]["subject_id"]) for m in seen_a] == [
        ("position", None, 1),
        ("position", None, 3),
    ]
    assert await console_a.receive_nothing(timeout=0.2), "office B's position is not office A's business"
    seen_bureau = [await console_bureau.receive_json_from(timeout=3) for _ in range(3)]
    assert [m["data"]["subject_id"] for m in seen_bureau] == [1, 2, 3]
    await console_a.disconnect()
    await console_bureau.disconnect()
