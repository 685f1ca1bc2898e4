"""Huawei Push Kit: OAuth client credentials, the send call, result codes, token cleanup, routing.

Huawei's servers are faked at httpx's transport (``httpx.MockTransport``): everything above it —
the OAuth form, the token cache and renewal, the JSON body, the parsing of Push Kit's answers —
runs for real, and nothing can reach the network.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from notifications import ConsoleTransport, Message, Priority, TransportError, transport_from_env
from notifications.huawei import SEND_URL, TOKEN_URL, HuaweiTransport
from notifications.routing import RoutingTransport

APP_ID = "104857600"
SECRET = "s3cr3t-app-secret"


class FakeHuawei:
    """Huawei's OAuth and Push Kit endpoints; ``answers`` are popped per send call."""

    def __init__(self) -> None:
        self.oauth_calls: list[dict[str, list[str]]] = []
        self.sends: list[dict[str, Any]] = []
        self.auth_headers: list[str] = []
        self.answers: list[tuple[int, dict[str, Any], dict[str, str]]] = []
        self.oauth_answer: tuple[int, dict[str, Any]] = (200, {"access_token": "AT-1", "expires_in": 3600})

    def handler(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            self.oauth_calls.append(parse_qs(request.content.decode()))
            status, body = self.oauth_answer
            if status == 200:
                body = {**body, "access_token": f"AT-{len(self.oauth_calls)}"}
            return httpx.Response(status, json=body)
        assert str(request.url) == SEND_URL.format(app_id=APP_ID)
        self.sends.append(json.loads(request.content))
        self.auth_headers.append(request.headers["Authorization"])
        status, body, headers = self.answers.pop(0) if self.answers else (200, {"code": "80000000"}, {})
        return httpx.Response(status, json=body, headers=headers)


@pytest.fixture
def huawei() -> FakeHuawei:
    return FakeHuawei()


@pytest.fixture
def clock() -> list[float]:
    return [1_000_000.0]


@pytest.fixture
def transport(huawei: FakeHuawei, clock: list[float]) -> HuaweiTransport:
    client = httpx.Client(transport=httpx.MockTransport(huawei.handler))
    return HuaweiTransport(APP_ID, SECRET, client=client, clock=lambda: clock[0])


def message(*tokens: str, **extra: Any) -> Message:
    return Message(tokens=tokens, title="签到提醒", body="请按时签到", data={"kind": "checkin"}, **extra)


def test_it_gets_an_access_token_with_client_credentials_and_reuses_it(
    transport: HuaweiTransport, huawei: FakeHuawei
) -> None:
    transport.send(message("t1"))
    transport.send(message("t2"))
    assert huawei.oauth_calls == [
        {"grant_type": ["client_credentials"], "client_id": [APP_ID], "client_secret": [SECRET]}
    ]
    assert huawei.auth_headers == ["Bearer AT-1", "Bearer AT-1"]


def test_it_renews_the_access_token_before_it_expires(
    transport: HuaweiTransport, huawei: FakeHuawei, clock: list[float]
) -> None:
    transport.send(message("t1"))
    clock[0] += 3600 - 30  # inside the last minute
    transport.send(message("t1"))
    assert huawei.auth_headers == ["Bearer AT-1", "Bearer AT-2"]


def test_a_rejected_access_token_is_renewed_and_the_send_repeated_once(
    transport: HuaweiTransport, huawei: FakeHuawei
) -> None:
    huawei.answers = [(401, {"code": "80200003", "msg": "OAuth token expired"}, {})]
    results = transport.send(message("t1"))
    assert [r.ok for r in results] == [True]
    assert huawei.auth_headers == ["Bearer AT-1", "Bearer AT-2"]


def test_the_request_body_is_push_kits(transport: HuaweiTransport, huawei: FakeHuawei) -> None:
    transport.send(message("t1", "t2", priority=Priority.HIGH, ttl_seconds=600, channel_id="alerts"))
    body = huawei.sends[0]
    assert body["validate_only"] is False
    sent = body["message"]
    assert sent["token"] == ["t1", "t2"]
    assert json.loads(sent["data"]) == {"kind": "checkin"}
    assert sent["android"]["urgency"] == "HIGH" and sent["android"]["ttl"] == "600s"
    assert sent["android"]["notification"]["title"] == "签到提醒"
    assert sent["android"]["notification"]["channel_id"] == "alerts"


def test_success_delivers_every_token(transport: HuaweiTransport, huawei: FakeHuawei) -> None:
    huawei.answers = [(200, {"code": "80000000", "msg": "Success", "requestId": "r-1"}, {})]
    results = transport.send(message("t1", "t2"))
    assert [(r.token, r.ok, r.message_id) for r in results] == [("t1", True, "r-1"), ("t2", True, "r-1")]


def test_a_partial_success_forgets_the_illegal_tokens_only(
    transport: HuaweiTransport, huawei: FakeHuawei
) -> None:
    msg = json.dumps({"success": 1, "failure": 1, "illegal_tokens": ["dead"]})
    huawei.answers = [(200, {"code": "80100000", "msg": msg, "requestId": "r-2"}, {})]
    results = transport.send(message("alive", "dead"))
    assert results[0].ok
    assert results[1].should_forget_token and results[1].error is not None and results[1].error.permanent


def test_all_tokens_invalid_forgets_them_all(transport: HuaweiTransport, huawei: FakeHuawei) -> None:
    huawei.answers = [(200, {"code": "80300007", "msg": "All the tokens are invalid"}, {})]
    assert all(r.should_forget_token for r in transport.send(message("a", "b")))


@pytest.mark.parametrize(
    ("status", "code", "permanent"),
    [
        (400, "80100001", True),
        (400, "80100003", True),
        (403, "80300002", True),
        (400, "80300008", True),
        (500, "81000001", False),
        (503, "80600003", False),
        (502, "", False),
        (429, "", False),
        (418, "", True),
    ],
)
def test_result_codes_are_mapped_to_permanent_or_temporary(
    transport: HuaweiTransport, huawei: FakeHuawei, status: int, code: str, permanent: bool
) -> None:
    body = {"code": code, "msg": "x"} if code else {}
    huawei.answers = [(status, body, {})]
    (result,) = transport.send(message("t1"))
    assert result.error is not None
    assert result.error.permanent is permanent
    assert not result.should_forget_token  # only dead tokens are forgotten


def test_retry_after_is_kept_on_temporary_failures(transport: HuaweiTransport, huawei: FakeHuawei) -> None:
    huawei.answers = [(503, {"code": "81000001"}, {"Retry-After": "120"})]
    (result,) = transport.send(message("t1"))
    assert result.should_retry and result.error is not None and result.error.retry_after == 120.0


def test_wrong_client_credentials_are_a_permanent_failure(
    transport: HuaweiTransport, huawei: FakeHuawei
) -> None:
    huawei.oauth_answer = (400, {"error": 1101, "error_description": "invalid client"})
    with pytest.raises(TransportError) as raised:
        transport.send(message("t1"))
    assert raised.value.permanent and not raised.value.forget_token
    assert SECRET not in str(raised.value) and SECRET not in repr(transport)


def test_the_network_failing_is_temporary(huawei: FakeHuawei) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no route", request=request)

    transport = HuaweiTransport(APP_ID, SECRET, client=httpx.Client(transport=httpx.MockTransport(down)))
    with pytest.raises(TransportError) as raised:
        transport.send(message("t1"))
    assert not raised.value.permanent


def test_more_than_a_thousand_tokens_go_in_batches(transport: HuaweiTransport, huawei: FakeHuawei) -> None:
    tokens = tuple(f"t{i}" for i in range(2500))
    assert len(transport.send(message(*tokens))) == 2500
    assert [len(s["message"]["token"]) for s in huawei.sends] == [1000, 1000, 500]


# ---------------------------------------------------------------------------------------------
# Routing by the token's provider
# ---------------------------------------------------------------------------------------------


def test_each_token_goes_to_its_providers_transport_and_results_keep_the_stored_token(
    transport: HuaweiTransport, huawei: FakeHuawei
) -> None:
    fcm = ConsoleTransport()
    msg = json.dumps({"illegal_tokens": ["dead"]})
    huawei.answers = [(200, {"code": "80100000", "msg": msg}, {})]
    router = RoutingTransport({"fcm": fcm, "hms": transport}, default="fcm")
    fcm_token = "dXyz:APA91bHhXq"  # FCM tokens have colons of their own
    results = router.send(message("hms:alive", fcm_token, "hms:dead"))
    assert [r.token for r in results] == ["hms:alive", fcm_token, "hms:dead"]
    assert [r.ok for r in results] == [True, True, False]
    assert results[2].should_forget_token
    assert huawei.sends[0]["message"]["token"] == ["alive", "dead"]
    assert fcm.outbox[0].tokens == (fcm_token,)


def test_a_provider_failing_as_a_whole_fails_only_its_tokens(huawei: FakeHuawei) -> None:
    huawei.oauth_answer = (503, {})
    client = httpx.Client(transport=httpx.MockTransport(huawei.handler))
    router = RoutingTransport(
        {"fcm": ConsoleTransport(), "hms": HuaweiTransport(APP_ID, SECRET, client=client)}, "fcm"
    )
    results = router.send(message("hms:a", "b"))
    assert [r.ok for r in results] == [False, True] and results[0].should_retry


def test_the_environment_builds_a_router_for_several_providers() -> None:
    transport = transport_from_env(
        {"PUSH_TRANSPORT": "console,hms", "HMS_APP_ID": APP_ID, "HMS_CLIENT_SECRET": SECRET}
    )
    assert isinstance(transport, RoutingTransport) and transport.default == "console"
    assert isinstance(transport.transports["hms"], HuaweiTransport)
    with pytest.raises(ValueError, match="HMS_APP_ID"):
        transport_from_env({"PUSH_TRANSPORT": "hms"})
