"""A Message refuses, with a clear error, anything FCM would refuse or silently mangle."""

from __future__ import annotations

import pytest

from notifications import MAX_PAYLOAD_BYTES, Message, Priority


def test_empty_token_list_is_refused():
    with pytest.raises(ValueError, match="at least one recipient"):
        Message(tokens=(), title="t", body="b")


def test_a_bare_string_is_not_taken_for_a_list_of_tokens():
    with pytest.raises(ValueError, match="tuple of push token strings"):
        Message(tokens="abc", title="t", body="b")


@pytest.mark.parametrize("token", ["", "   ", None, 42])
def test_blank_or_non_string_token_is_refused(token):
    with pytest.raises(ValueError, match=r"tokens\[1\]"):
        Message(tokens=("ok", token), title="t", body="b")


def test_duplicate_tokens_are_sent_once_in_first_seen_order():
    message = Message(tokens=("b", "a", "b", "c", "a"), title="t", body="b")

    assert message.tokens == ("b", "a", "c")


def test_list_of_tokens_becomes_a_tuple():
    assert Message(tokens=["a", "b"], title="t", body="b").tokens == ("a", "b")


@pytest.mark.parametrize("value", [42, 1.5, True, None, {"nested": "x"}])
def test_data_value_that_is_not_a_string_is_refused(value):
    with pytest.raises(ValueError, match=r"data\['alert_id'\] must be a string"):
        Message(tokens=("a",), title="t", body="b", data={"alert_id": value})


@pytest.mark.parametrize(
    "key", ["from", "notification", "message_type", "google.sent_time", "gcm.notification"]
)
def test_data_key_reserved_by_fcm_is_refused(key):
    with pytest.raises(ValueError, match="reserved by FCM"):
        Message(tokens=("a",), title="t", body="b", data={key: "x"})


def test_later_changes_to_the_callers_dict_do_not_change_the_message():
    data = {"kind": "alert"}
    message = Message(tokens=("a",), title="t", body="b", data=data)

    data["kind"] = "changed"

    assert message.data == {"kind": "alert"}


def test_payload_limit_counts_utf8_bytes_so_chinese_counts_three_per_character():
    chinese = "矫" * 1366  # 4098 bytes in UTF-8, though only 1366 characters
    ascii_text = "a" * 1366

    assert Message(tokens=("a",), title="t", body=ascii_text).payload_bytes == 1367
    with pytest.raises(ValueError, match="4099 bytes"):
        Message(tokens=("a",), title="t", body=chinese)


def test_payload_limit_includes_data_keys_and_values():
    room = MAX_PAYLOAD_BYTES - len("t") - len("b") - len("k")

    Message(tokens=("a",), title="t", body="b", data={"k": "v" * room})
    with pytest.raises(ValueError, match=f"at most {MAX_PAYLOAD_BYTES}"):
        Message(tokens=("a",), title="t", body="b", data={"k": "v" * (room + 1)})


def test_message_with_nothing_to_show_or_deliver_is_refused():
    with pytest.raises(ValueError, match="title or body"):
        Message(tokens=("a",))


def test_data_only_message_is_allowed():
    message = Message(tokens=("a",), data={"kind": "checkin_prompt"})

    assert message.is_data_only


@pytest.mark.parametrize("ttl", [-1, 28 * 24 * 3600 + 1, 1.5, True])
def test_ttl_outside_zero_to_four_weeks_or_not_an_int_is_refused(ttl):
    with pytest.raises(ValueError, match="ttl_seconds"):
        Message(tokens=("a",), title="t", body="b", ttl_seconds=ttl)


def test_collapse_key_longer_than_apns_allows_is_refused():
    Message(tokens=("a",), title="t", body="b", collapse_key="k" * 64)
    with pytest.raises(ValueError, match="collapse_key"):
        Message(tokens=("a",), title="t", body="b", collapse_key="预" * 22)  # 66 bytes


def test_priority_given_as_text_becomes_the_enum():
    assert Message(tokens=("a",), title="t", body="b", priority="high").priority is Priority.HIGH


def test_unknown_priority_is_refused():
    with pytest.raises(ValueError):
        Message(tokens=("a",), title="t", body="b", priority="urgent")


def test_with_tokens_keeps_everything_else():
    message = Message(
        tokens=("a", "b"), title="t", body="b", data={"k": "v"}, priority=Priority.HIGH, ttl_seconds=60
    )

    retry = message.with_tokens(("b",))

    assert retry.tokens == ("b",)
    assert (retry.title, retry.body, retry.data, retry.priority, retry.ttl_seconds) == (
        "t",
        "b",
        {"k": "v"},
        Priority.HIGH,
        60,
    )


def test_message_is_immutable():
    message = Message(tokens=("a",), title="t", body="b")

    with pytest.raises(AttributeError):
        message.title = "changed"
