"""build_transport picks a transport by name; one more (a domestic provider) registers in one line."""

from __future__ import annotations

from typing import ClassVar

import pytest

from notifications import (
    ConsoleTransport,
    DeliveryResult,
    Message,
    Transport,
    available_transports,
    build_transport,
    register_transport,
    transport_from_env,
    unregister_transport,
)


class FakeJPush(Transport):
    """What a JPush / Huawei / Xiaomi transport would look like."""

    name: ClassVar[str] = "jpush"

    def __init__(self, app_key: str, master_secret: str) -> None:
        self.app_key = app_key
        self.master_secret = master_secret

    def send(self, message: Message) -> list[DeliveryResult]:
        return [DeliveryResult.delivered(token, "jpush-1") for token in message.tokens]


@pytest.fixture
def jpush_registered():
    register_transport("jpush", FakeJPush)
    yield
    unregister_transport("jpush")


def test_console_and_fcm_are_built_in():
    assert {"console", "fcm"} <= set(available_transports())
    assert isinstance(build_transport("console"), ConsoleTransport)


def test_fcm_is_built_with_its_options(service_account_file, app_name):
    from notifications.fcm import FCMTransport

    transport = build_transport("fcm", credentials_file=service_account_file, app_name=app_name, dry_run=True)
    try:
        assert isinstance(transport, FCMTransport)
        assert transport.dry_run is True
    finally:
        transport.close()


def test_unknown_name_lists_the_available_ones():
    with pytest.raises(ValueError, match=r"unknown push transport 'huawei'.*console.*fcm"):
        build_transport("huawei")


def test_a_new_transport_is_registered_and_built_with_its_options(jpush_registered):
    transport = build_transport("jpush", app_key="k", master_secret="s")

    assert isinstance(transport, FakeJPush)
    assert (transport.app_key, transport.master_secret) == ("k", "s")
    assert transport.send(Message(tokens=("t",), title="t", body="b"))[0].ok


def test_register_works_as_a_class_decorator():
    @register_transport("xiaomi")
    class Xiaomi(FakeJPush):
        name: ClassVar[str] = "xiaomi"

    try:
        assert isinstance(build_transport("xiaomi", app_key="k", master_secret="s"), Xiaomi)
    finally:
        unregister_transport("xiaomi")


def test_a_taken_name_is_not_silently_replaced(jpush_registered):
    with pytest.raises(ValueError, match="already registered"):
        register_transport("jpush", ConsoleTransport)

    register_transport("jpush", ConsoleTransport, replace=True)
    assert isinstance(build_transport("jpush"), ConsoleTransport)


def test_environment_without_settings_gives_the_console_transport():
    assert isinstance(transport_from_env({}), ConsoleTransport)


def test_environment_selects_fcm_with_its_credentials_file(service_account_file):
    from notifications.fcm import DEFAULT_APP_NAME, FCMTransport

    transport = transport_from_env(
        {"PUSH_TRANSPORT": "fcm", "FCM_CREDENTIALS_FILE": str(service_account_file), "FCM_DRY_RUN": "true"}
    )
    try:
        assert isinstance(transport, FCMTransport)
        assert transport.dry_run is True
        assert transport.app.name == DEFAULT_APP_NAME
    finally:
        transport.close()


def test_fcm_from_environment_without_credentials_file_says_what_is_missing():
    with pytest.raises(ValueError, match="FCM_CREDENTIALS_FILE"):
        transport_from_env({"PUSH_TRANSPORT": "fcm"})


def test_malformed_dry_run_flag_is_an_error_not_a_silent_default(service_account_file):
    with pytest.raises(ValueError, match="FCM_DRY_RUN"):
        transport_from_env(
            {
                "PUSH_TRANSPORT": "fcm",
                "FCM_CREDENTIALS_FILE": str(service_account_file),
                "FCM_DRY_RUN": "maybe",
            }
        )
