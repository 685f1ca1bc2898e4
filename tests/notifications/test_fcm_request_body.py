"""The FCM v1 request that the real firebase-admin code builds from our Message."""

from __future__ import annotations

from notifications import Message, Priority

NOW = 1_700_000_000  # the clock the fcm_transport fixture injects


def test_high_priority_alert_becomes_the_exact_fcm_v1_body(fcm_transport, fake_google):
    message = Message(
        tokens=("token-a",),
        title="越界预警",
        body="您已离开居住地县域，请立即返回并联系司法所。",
        data={"kind": "alert", "alert_id": "42", "office": "城关司法所"},
        priority=Priority.HIGH,
        collapse_key="alert-42",
        ttl_seconds=3600,
        channel_id="alerts",
    )

    [result] = fcm_transport.send(message)

    assert result.ok
    [request] = fake_google.fcm_requests
    assert request.method == "POST"
    assert request.url == fake_google.SEND_URL
    assert request.json() == {
        "message": {
            "token": "token-a",
            "notification": {"title": "越界预警", "body": "您已离开居住地县域，请立即返回并联系司法所。"},
            "data": {"kind": "alert", "alert_id": "42", "office": "城关司法所"},
            "android": {
                "priority": "high",
                "ttl": "3600s",
                "collapse_key": "alert-42",
                "notification": {"channel_id": "alerts"},
            },
            "apns": {
                "headers": {
                    "apns-push-type": "alert",
                    "apns-priority": "10",
                    "apns-collapse-id": "alert-42",
                    "apns-expiration": str(NOW + 3600),
                }
            },
        }
    }


def test_normal_priority_without_options_sends_only_what_was_given(fcm_transport, fake_google):
    fcm_transport.send(Message(tokens=("token-a",), title="教育提醒", body="明天上午九点集中教育。"))

    [request] = fake_google.fcm_requests
    assert request.json() == {
        "message": {
            "token": "token-a",
            "notification": {"title": "教育提醒", "body": "明天上午九点集中教育。"},
            "android": {"priority": "normal"},
            "apns": {"headers": {"apns-push-type": "alert", "apns-priority": "5"}},
        }
    }


def test_data_only_message_is_a_background_push_on_ios(fcm_transport, fake_google):
    fcm_transport.send(
        Message(
            tokens=("token-a",), data={"kind": "checkin_prompt", "prompt_id": "7"}, priority=Priority.HIGH
        )
    )

    [request] = fake_google.fcm_requests
    assert request.json() == {
        "message": {
            "token": "token-a",
            "data": {"kind": "checkin_prompt", "prompt_id": "7"},
            "android": {"priority": "high"},
            "apns": {
                "headers": {"apns-push-type": "background", "apns-priority": "5"},
                "payload": {"aps": {"content-available": 1}},
            },
        }
    }


def test_zero_ttl_means_now_or_never_on_both_platforms(fcm_transport, fake_google):
    fcm_transport.send(Message(tokens=("token-a",), title="签到", body="请在五分钟内签到", ttl_seconds=0))

    body = fake_google.fcm_requests[0].json()["message"]
    assert body["android"]["ttl"] == "0s"
    assert body["apns"]["headers"]["apns-expiration"] == "0"


def test_chinese_text_arrives_byte_for_byte(fcm_transport, fake_google):
    text = "社区矫正对象张三：请于2023年5月1日前到城关司法所报到。𠀀"
    fcm_transport.send(Message(tokens=("token-a",), title=text, body=text, data={"备注": text}))

    raw = fake_google.fcm_requests[0].body
    message = fake_google.fcm_requests[0].json()["message"]
    assert message["notification"] == {"title": text, "body": text}
    assert message["data"] == {"备注": text}
    # The SDK escapes non-ASCII as \uXXXX; that is valid JSON and FCM decodes it to the same text.
    assert raw.isascii()


def test_dry_run_asks_fcm_to_validate_only(make_fcm_transport, fake_google):
    transport = make_fcm_transport(dry_run=True)

    [result] = transport.send(Message(tokens=("token-a",), title="t", body="b"))

    assert result.ok
    assert fake_google.fcm_requests[0].json()["validate_only"] is True


def test_normal_send_does_not_set_validate_only(fcm_transport, fake_google):
    fcm_transport.send(Message(tokens=("token-a",), title="t", body="b"))

    assert "validate_only" not in fake_google.fcm_requests[0].json()


def test_requests_carry_the_oauth_token_fetched_with_the_service_account(make_fcm_transport, fake_google):
    make_fcm_transport().send(Message(tokens=("token-a",), title="t", body="b"))

    assert fake_google.token_requests, "the OAuth token endpoint was never asked"
    headers = fake_google.fcm_requests[0].headers
    assert headers["Authorization"] == f"Bearer {fake_google.ACCESS_TOKEN}"
    assert headers["X-GOOG-API-FORMAT-VERSION"] == "2"


def test_message_id_from_fcm_is_returned(fcm_transport, fake_google):
    [result] = fcm_transport.send(Message(tokens=("token-a",), title="t", body="b"))

    assert result.message_id is not None
    assert result.message_id.startswith(f"projects/{fake_google.PROJECT_ID}/messages/")
    assert result.error is None
