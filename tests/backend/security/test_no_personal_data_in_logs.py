"""Canary values planted in every kind of input never reach a log: passwords, TOTP secrets and
codes, API and phone tokens, identity numbers, names, coordinates, push credentials.

Every logger is captured at DEBUG (more than production's INFO) while the flows run: failed and
successful sign-ins (API and admin), a lockout, record reads, an identity reveal, a phone's
enrollment and check-ins, a Huawei push that fails."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from tests.backend.monitoring.helpers import fix
from tests.conftest import device_client, enroll_phone, make_subject, otp_code, valid_id_number

pytestmark = pytest.mark.django_db
PASSWORD = "Canary-Pass-7731!"
NAME = "金丝雀测试人"
LAT, LON = 37.1234567, 122.3456789
HMS_SECRET = "canary-hms-secret-55"


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        self.lines.append(text + " " + repr(getattr(record, "args", "")))


@pytest.fixture
def captured() -> Iterator[Capture]:
    handler = Capture()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    levels = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.NOTSET)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
        for lg, level in levels:
            lg.setLevel(level)


def test_no_canary_reaches_a_log(captured: Capture, officer_a: Any, head_a: Any, office_a: Any) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from notifications import Message
    from notifications.huawei import HuaweiTransport

    cache.clear()
    id_number = valid_id_number(777, "19770707")
    subject = make_subject(office_a, officer_a, name=NAME, id_number=id_number)
    head_a.set_password(PASSWORD)
    head_a.save()
    canaries = {"password": PASSWORD, "id number": id_number, "name": NAME, "lat": str(LAT), "lon": str(LON)}

    # Sign-ins: wrong password, wrong code, right ones (API and admin), a lockout.
    code = otp_code(head_a)
    device = TOTPDevice.objects.get(user=head_a)
    canaries["totp secret"] = base64.b32encode(device.bin_key).decode()
    canaries["totp key"] = device.key
    api = APIClient()
    api.post(
        "/api/v1/auth/login",
        {"username": "head_a", "password": PASSWORD + "x", "otp_token": code},
        format="json",
    )
    body = api.post(
        "/api/v1/auth/login",
        {"username": "head_a", "password": PASSWORD, "otp_token": code, "issue_token": True},
        format="json",
    ).json()
    canaries["api token"] = body["token"]
    Client().post(
        "/admin/login/", {"username": "head_a", "password": PASSWORD, "otp_token": otp_code(head_a)}
    )
    for _ in range(6):
        APIClient().post(
            "/api/v1/auth/login",
            {"username": "officer_a", "password": PASSWORD, "otp_token": "123456"},
            format="json",
        )

    # Reads, a reveal, a phone's check-ins.
    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    script.get(f"/api/v1/subjects/{subject.pk}")
    script.get(f"/api/v1/subjects/{subject.pk}", {"reveal": "id_number", "reason": "核对"})
    script.get("/api/v1/subjects", {"search": NAME})
    _device, phone_token = enroll_phone(subject, officer_a)
    canaries["phone token"] = phone_token
    device_client(phone_token).post("/api/v1/mobile/checkins", {"checkins": [fix(LAT, LON)]}, format="json")
    device_client(phone_token + "x").post(
        "/api/v1/mobile/checkins", {"checkins": [fix(LAT, LON)]}, format="json"
    )
    script.get(f"/api/v1/subjects/{subject.pk}/track")

    # A push through Huawei whose credentials are refused.
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": 1101})

    hms = HuaweiTransport("104857600", HMS_SECRET, client=httpx.Client(transport=httpx.MockTransport(refuse)))
    canaries["hms secret"] = HMS_SECRET
    try:
        hms.send(Message(tokens=("hms-canary-token",), title="t", body="b"))
    except Exception as exc:
        logging.getLogger("tests.push").warning("push failed: %s %r", exc, exc)

    logs = "\n".join(captured.lines)
    assert captured.lines, "nothing was logged: the capture is not working"
    found = {what: value for what, value in canaries.items() if value in logs}
    assert not found, f"found in the logs: {sorted(found)}"
