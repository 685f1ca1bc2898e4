"""An alert raised through server 1 reaches a console connected to server 2 (real Redis layer).

Both ways of evaluating uploads: inline in the API process, and through the Redis doorbell to a
separate ``run_evaluator`` process (the production setting).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import urllib.request
import uuid
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import enroll_phone, phone_key
from tests.integration.realservices import (
    asgi_server,
    evaluator_process,
    require_postgres,
    require_redis,
    server_env,
)
from tests.phone_auth import signed_headers

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def login_cookie(base: str, username: str) -> str:
    request = urllib.request.Request(
        f"{base}/api/v1/auth/login",
        method="POST",
        data=json.dumps({"username": username, "password": "correct-horse-battery"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return "; ".join(c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") or [])


def post_fix(base: str, token: str, lat: float, lon: float) -> dict[str, Any]:
    body = {
        "checkins": [
            {
                "id": str(uuid.uuid4()),
                "recorded_at": timezone.now().isoformat(),
                "lat": lat,
                "lon": lon,
                "accuracy_m": 5,
                "crs": "wgs84",
            }
        ]
    }
    data = json.dumps(body).encode()
    request = urllib.request.Request(
        f"{base}/api/v1/mobile/checkins",
        method="POST",
        data=data,
        headers={
            "Content-Type": "application/json",
            **signed_headers(token, phone_key(token), "POST", "/api/v1/mobile/checkins", data),
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


@pytest.mark.parametrize("evaluation", ["inline", "queue"])
def test_an_alert_posted_to_one_server_reaches_a_console_on_another(
    officer_a: Any, subject_a: Any, evaluation: str
) -> None:
    require_postgres()
    redis_url = require_redis()
    import websockets
    from django.test import override_settings

    # The servers use the production hashers, not the fast test one.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"]):
        officer_a.set_password("correct-horse-battery")
        officer_a.save()

    from backend.monitoring.models import Zone

    Zone.objects.create(
        office_id=subject_a.office_id,
        subject=subject_a,
        name="禁入区",
        kind="exclusion",
        geometry={"type": "Point", "coordinates": [122.36, 37.16]},
        radius_m=300,
        confirm_fixes=1,
        confirm_seconds=0,
    )
    _, token = enroll_phone(subject_a, officer_a)
    env = server_env(
        REDIS_URL=redis_url,
        CHANNEL_PREFIX=f"it{uuid.uuid4().hex[:8]}",
        CELERY_TASK_ALWAYS_EAGER="1",
        CHECKIN_EVALUATION=evaluation,
    )
    evaluator = evaluator_process(env) if evaluation == "queue" else contextlib.nullcontext()
    with asgi_server(env) as server_1, asgi_server(env) as server_2, evaluator:
        cookie = login_cookie(server_2, "officer_a")

        async def watch() -> dict[str, Any]:
            ws_url = server_2.replace("http", "ws") + "/ws/console/"
            async with websockets.connect(
                ws_url, additional_headers={"Cookie": cookie, "Origin": server_2}
            ) as ws:
                assert json.loads(await ws.recv())["type"] == "hello"
                await ws.send(json.dumps({"type": "subscribe"}))
                assert json.loads(await ws.recv())["type"] == "replay_done"
                loop = asyncio.get_running_loop()
                answer = await loop.run_in_executor(None, post_fix, server_1, token, 37.16, 122.36)
                assert answer["results"][0]["status"] == "accepted"
                while True:
                    message = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
                    if message["type"] == "alert.created":
                        return message

        message = asyncio.run(watch())
    assert message["data"]["subject"]["id"] == subject_a.pk
    assert message["data"]["kind"] == "entered_zone" and message["seq"] >= 1
    from backend.monitoring.models import MonitorState

    assert MonitorState.objects.get(subject=subject_a).pending_since is None
