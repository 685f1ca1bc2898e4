"""ConsoleTransport: the default stand-in keeps every message and reports every token delivered."""

from __future__ import annotations

import logging

from notifications import ConsoleTransport, Message, Priority


def test_every_token_is_delivered_and_the_message_kept_in_the_outbox():
    transport = ConsoleTransport()
    message = Message(
        tokens=("a", "b"), title="外出请假已批准", body="请于5月3日前返回", priority=Priority.HIGH
    )

    results = transport.send(message)

    assert [(r.token, r.ok) for r in results] == [("a", True), ("b", True)]
    assert all(r.message_id == "console-1" for r in results)
    assert transport.outbox == [message]


def test_each_send_gets_its_own_message_id():
    transport = ConsoleTransport()

    first = transport.send(Message(tokens=("a",), title="t", body="1"))
    second = transport.send(Message(tokens=("a",), title="t", body="2"))

    assert first[0].message_id != second[0].message_id


def test_the_message_is_logged_with_its_chinese_text(caplog):
    transport = ConsoleTransport()

    with caplog.at_level(logging.INFO, logger="notifications.console"):
        transport.send(Message(tokens=("a",), title="越界预警", body="请立即返回", data={"alert_id": "9"}))

    assert "越界预警" in caplog.text
    assert "请立即返回" in caplog.text
    assert "alert_id" in caplog.text


def test_clear_empties_the_outbox():
    transport = ConsoleTransport()
    transport.send(Message(tokens=("a",), title="t", body="b"))

    transport.clear()

    assert transport.outbox == []
