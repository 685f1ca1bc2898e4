"""A console that resumes after a number the server has not reached is told to resync, and stays live.

Taking such a number as the console's position would drop every live event until the sequence
caught up with it (with 1e23 as an integer, forever). The server answers ``resync`` with its
newest number instead, and live events follow from there.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.monitoring.consumers import MAX_SEQ
from tests.backend.monitoring.console_ws import connect, console_users, newest_seq, publish, receive_frame

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def users(db: Any, office_a: Any, office_b: Any) -> dict[str, Any]:
    return console_users(office_a, office_b)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ahead=st.integers(1, 2**40) | st.sampled_from([10**23 // 10**5, MAX_SEQ]))
async def test_a_resume_beyond_the_newest_event_resyncs_and_live_events_follow(
    users: Any, office_a: Any, ahead: int
) -> None:
    await publish(office_a.pk)
    newest = await newest_seq()
    console = await connect(users["a"])
    await console.send_json_to({"type": "resume", "after_seq": min(MAX_SEQ, newest + ahead)})
    resync = await receive_frame(console)
    assert (resync["type"], resync["last_seq"]) == ("resync", newest)
    assert await receive_frame(console) == {"type": "replay_done", "last_seq": newest}
    live = await publish(office_a.pk, 2)
    assert [(await receive_frame(console))["seq"] for _ in live] == live
    await console.disconnect()


async def test_a_resume_at_the_newest_event_replays_nothing_and_goes_live(users: Any, office_a: Any) -> None:
    await publish(office_a.pk)
    newest = await newest_seq()
    console = await connect(users["a"])
    await console.send_json_to({"type": "resume", "after_seq": newest})
    assert await receive_frame(console) == {"type": "replay_done", "last_seq": newest}
    live = await publish(office_a.pk)
    assert (await receive_frame(console))["seq"] == live[0]
    await console.disconnect()
