"""The console websocket refuses whatever a client sends outside its protocol, and stays useful.

Whatever frame arrives (any JSON value, any text, deep nesting, binary, oversized), the consumer
never crashes: it answers with an error message (or the reply the protocol defines, when the
frame happens to be a valid message), or closes with a code that says why. When the socket stays
open, the console still receives the next live alert.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.core.json_input import MAX_JSON_DEPTH
from backend.monitoring.consumers import (
    CLIENT_MESSAGES,
    CLOSE_TOO_BIG,
    CLOSE_UNSUPPORTED_DATA,
    ERROR_CODES,
    MAX_FRAME_BYTES,
    MAX_SEQ,
)
from tests.backend.monitoring.console_ws import (
    connect,
    connect_live,
    console_users,
    publish,
    receive_frame,
    receive_until,
)

pytestmark = [pytest.mark.django_db(transaction=True)]

# Each example opens a console and publishes an alert: fixtures are shared by design.
PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def users(db: Any, office_a: Any, office_b: Any) -> dict[str, Any]:
    return console_users(office_a, office_b)


# ---------------------------------------------------------------------------------------------
# Frames
# ---------------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
# Numbers a hostile client might resume after: huge, negative, fractional, spelled as text, booleans.
seq_like = (
    st.integers()
    | st.sampled_from([0, -1, MAX_SEQ, MAX_SEQ + 1, 10**23, 2**64])
    | st.floats()
    | st.sampled_from([1e23, 1.0, -0.0, float("inf")])
    | st.booleans()
    | st.text(max_size=5)
    | st.none()
)
near_protocol = st.builds(
    lambda kind, extra, seq, with_seq: {"type": kind, **extra, **({"after_seq": seq} if with_seq else {})},
    st.sampled_from(sorted(CLIENT_MESSAGES)) | st.text(max_size=8) | json_values,
    st.dictionaries(st.text(max_size=8), json_values, max_size=2),
    seq_like,
    st.booleans(),
)


def nested(depth: int, opener: str) -> str:
    inner, closer = ('{"a":', "}") if opener == "{" else ("[", "]")
    return inner * depth + "1" + closer * depth


text_frames = (
    json_values.map(lambda value: json.dumps(value))
    | near_protocol.map(lambda value: json.dumps(value))
    | st.text(max_size=200)
    | st.builds(nested, st.integers(MAX_JSON_DEPTH + 1, 3000), st.sampled_from("[{"))
    | st.builds(
        lambda n, ch: ch * n,
        st.integers(MAX_FRAME_BYTES - 2, MAX_FRAME_BYTES * 3),
        st.sampled_from(["1", "中", "["]),
    )
)
frames = text_frames.map(lambda text: ("text", text)) | st.binary(max_size=300).map(
    lambda data: ("bytes", data)
)


def is_closed_for(kind: str, data: Any) -> int | None:
    """The close code the protocol promises for this frame, or ``None`` if the socket stays open."""
    if kind == "bytes":
        return CLOSE_UNSUPPORTED_DATA
    if len(data.encode("utf-8", "surrogatepass")) > MAX_FRAME_BYTES:
        return CLOSE_TOO_BIG
    return None


# ---------------------------------------------------------------------------------------------
# The property
# ---------------------------------------------------------------------------------------------


@PROPERTY
@given(frame=frames)
async def test_any_frame_is_answered_or_closed_and_live_alerts_keep_coming(
    users: Any, office_a: Any, frame: tuple[str, Any]
) -> None:
    kind, data = frame
    console = await connect_live(users["a"])
    # Straight to the consumer: the communicator's own send_to refuses empty frames.
    await console.send_input({"type": "websocket.receive", kind: data})

    expected_close = is_closed_for(kind, data)
    answer = await receive_frame(console)
    if expected_close is not None:
        assert answer == {"type": "websocket.close", "code": expected_close} | {
            "reason": answer.get("reason")
        }
        await console.disconnect()  # what the server does after sending the close frame
        return
    # A valid message gets its reply (a replay ends with replay_done); anything else an error.
    while answer["type"] in ("alert.created", "resync"):
        answer = await receive_frame(console)
    assert answer["type"] in ("error", "pong", "replay_done"), answer
    if answer["type"] == "error":
        assert answer["code"] in ERROR_CODES and isinstance(answer["detail"], str) and answer["detail"]
    assert await console.receive_nothing(timeout=0.05)

    seq = (await publish(office_a.pk))[0]
    live = await receive_frame(console)
    assert (live["type"], live["seq"]) == ("alert.created", seq)
    await console.disconnect()


@PROPERTY
@given(after_seq=seq_like)
async def test_a_resume_takes_only_a_sequence_number_in_range(
    users: Any, office_a: Any, after_seq: Any
) -> None:
    console = await connect_live(users["a"])
    await console.send_json_to({"type": "resume", "after_seq": after_seq})
    answer = await receive_frame(console)
    in_range = isinstance(after_seq, int) and not isinstance(after_seq, bool) and 0 <= after_seq <= MAX_SEQ
    if not in_range:
        assert (answer["type"], answer["code"]) == ("error", "invalid")
    else:
        while answer["type"] != "replay_done":
            assert answer["type"] in ("alert.created", "resync")
            answer = await receive_frame(console)
    seq = (await publish(office_a.pk))[0]
    live = await receive_frame(console)
    assert (live["type"], live["seq"]) == ("alert.created", seq)
    await console.disconnect()


# ---------------------------------------------------------------------------------------------
# The cases the hostile tests found, by name
# ---------------------------------------------------------------------------------------------


async def test_a_binary_frame_closes_with_1003(users: Any) -> None:
    console = await connect(users["a"])
    await console.send_to(bytes_data=b'{"type": "ping"}')
    assert (await receive_frame(console))["code"] == CLOSE_UNSUPPORTED_DATA


async def test_an_oversized_frame_closes_with_1009_unparsed(users: Any) -> None:
    console = await connect(users["a"])
    await console.send_to(text_data=json.dumps({"type": "ping", "pad": "x" * MAX_FRAME_BYTES}))
    assert (await receive_frame(console))["code"] == CLOSE_TOO_BIG


async def test_a_2000_deep_frame_is_refused_before_parsing(users: Any) -> None:
    console = await connect(users["a"])
    await console.send_to(text_data="[" * 2000 + "]" * 2000)
    answer = await receive_frame(console)
    assert (answer["type"], answer["code"]) == ("error", "too_deep")
    await console.send_json_to({"type": "ping"})
    assert (await receive_frame(console))["type"] == "pong"
    await console.disconnect()


async def test_text_that_is_not_json_is_answered_and_the_socket_stays_open(users: Any) -> None:
    console = await connect(users["a"])
    await console.send_to(text_data="hello?")
    answer = await receive_frame(console)
    assert (answer["type"], answer["code"]) == ("error", "invalid_json")
    await console.send_json_to({"type": "ping"})
    assert (await receive_frame(console))["type"] == "pong"
    await console.disconnect()


@pytest.mark.parametrize("after_seq", [-1, 1.5, 1e23, "3", True, None, MAX_SEQ + 1, 10**30])
async def test_a_resume_with_a_bad_after_seq_is_refused_and_changes_nothing(
    users: Any, office_a: Any, after_seq: Any
) -> None:
    console = await connect_live(users["a"])
    await console.send_json_to({"type": "resume", "after_seq": after_seq})
    answer = await receive_frame(console)
    assert (answer["type"], answer["code"]) == ("error", "invalid")
    seq = (await publish(office_a.pk))[0]
    assert (await receive_frame(console))["seq"] == seq
    await console.disconnect()


async def test_unknown_fields_and_types_are_refused_without_echoing_them(users: Any) -> None:
    console = await connect(users["a"])
    for message, code in (
        ({"type": "ping", "x" * 50: 1}, "invalid"),
        ({"type": "resume"}, "invalid"),
        ({"type": "<script>"}, "unknown_type"),
        ({}, "unknown_type"),
        ([1], "not_an_object"),
    ):
        await console.send_json_to(message)
        answer = await receive_frame(console)
        assert (answer["type"], answer["code"]) == ("error", code)
        assert "x" * 50 not in answer["detail"] and "<script>" not in answer["detail"]
    await receive_until_replay(console)
    await console.disconnect()


async def receive_until_replay(console: Any) -> None:
    # Still a working console after all that: it can subscribe.
    await console.send_json_to({"type": "subscribe"})
    await receive_until(console, "replay_done")
