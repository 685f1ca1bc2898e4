"""Redis stopped while phones breach their zones (real Redis of its own, PostgreSQL, uvicorn,
``run_evaluator``, then a Celery worker): every upload is stored and every alert recorded while
Redis is away, connected consoles and a console that connects during the outage get every alert
once (from the database), the staff wake-ups wait in the outbox and are queued once Redis is back.

Negative control: the test first shows the outage is real (the broker and the channel layer refuse).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.utils import timezone

from tests.conftest import phone_key
from tests.integration.realservices import (
    asgi_server,
    evaluator_process,
    free_port,
    people_with_a_forbidden_zone,
    require_postgres,
    require_redis,
    server_env,
    start_celery_worker,
    stop_process_group,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

PEOPLE = 30
PASSWORD = "correct-horse-battery"


class OwnRedis:
    """A Redis server of this test's own, on a free port, that the test stops and starts."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.time() + 10
        while not self.answers():
            if time.time() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()  # as a crash: no shutdown save
            self.proc.wait(timeout=10)
            self.proc = None

    def answers(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_timeout=0.5).ping())
        except redis.exceptions.ConnectionError:
            return False


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    require_redis()  # the machine has Redis (and redis-server)
    server = OwnRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _upload(base: str, token: str) -> int:
    from backend.supervision.signing import sign_request

    body = json.dumps(
        {
            "checkins": [
                {
                    "id": str(uuid.uuid4()),
                    "recorded_at": timezone.now().isoformat(),
                    "lat": 37.16,
                    "lon": 122.36,
                    "accuracy_m": 5,
                    "crs": "wgs84",
                }
            ]
        }
    ).encode()
    path = "/api/v1/mobile/checkins"
    headers = {"Content-Type": "application/json", "Authorization": f"Device {token}"}
    key = phone_key(token)
    if key is not None:
        headers.update(sign_request(key, "POST", path, body))
    for _ in range(20):  # a phone retries what was not acknowledged (signed again each time)
        answer = httpx.post(base + path, content=body, headers=headers, timeout=10)
        if answer.status_code == 200:
            return answer.status_code
        time.sleep(0.5)
        if key is not None:
            headers.update(sign_request(key, "POST", path, body))
    return answer.status_code


def _login(base: str, username: str) -> str:
    answer = httpx.post(
        f"{base}/api/v1/auth/login", json={"username": username, "password": PASSWORD}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return "; ".join(f"{name}={value}" for name, value in answer.cookies.items())


class Console:
    """A console websocket that records every alert event it is sent."""

    def __init__(self, base: str, cookie: str) -> None:
        self.url = base.replace("http", "ws") + "/ws/console/"
        self.origin = base
        self.cookie = cookie
        self.hello: dict[str, Any] = {}
        self.handshake_s = 0.0
        self.alerts: list[int] = []
        self.types: list[str] = []

    async def follow(self, until: asyncio.Event) -> None:
        import websockets

        started = time.perf_counter()
        async with websockets.connect(
            self.url, additional_headers={"Cookie": self.cookie, "Origin": self.origin}, open_timeout=15
        ) as ws:
            self.hello = json.loads(await ws.recv())
            self.handshake_s = time.perf_counter() - started
            await ws.send(json.dumps({"type": "subscribe"}))
            while not until.is_set():
                try:
                    message = json.loads(await asyncio.wait_for(ws.recv(), timeout=0.5))
                except TimeoutError:
                    continue
                self.types.append(message["type"])
                if message["type"] == "alert.created":
                    self.alerts.append(message["data"]["id"])


def test_alerts_are_recorded_and_shown_while_redis_is_stopped(
    own_redis: OwnRedis, office_a: Any, officer_a: Any
) -> None:
    require_postgres()
    from asgiref.sync import sync_to_async
    from django.test import override_settings

    from backend.core.models import OutboxTask
    from backend.monitoring.models import Alert, CheckIn

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"]):
        officer_a.set_password(PASSWORD)
        officer_a.save()
    phones = people_with_a_forbidden_zone(office_a, officer_a, PEOPLE, "停机", 37.16, 122.36)
    figures: dict[str, Any] = {"people": PEOPLE}
    env = server_env(
        REDIS_URL=own_redis.url,
        CHANNEL_PREFIX=f"it{uuid.uuid4().hex[:8]}",
        CELERY_TASK_ALWAYS_EAGER="0",
        CHECKIN_EVALUATION="queue",
    )
    with asgi_server(env) as base, evaluator_process(env) as evaluator:
        cookie = _login(base, "officer_a")

        async def scenario() -> tuple[Console, Console, Console]:
            done = asyncio.Event()
            before = Console(base, cookie)
            following = asyncio.create_task(before.follow(done))
            await asyncio.sleep(1.5)  # connected and live with Redis up
            assert before.hello.get("degraded") is False

            own_redis.stop()
            # Negative control: the outage is real for the broker and the channel layer alike.
            assert not own_redis.answers()
            during = Console(base, cookie)
            following_during = asyncio.create_task(during.follow(done))
            await asyncio.sleep(1.0)
            assert during.hello.get("degraded") is True, during.hello

            figures["console handshake with Redis away (s)"] = round(during.handshake_s, 2)
            loop = asyncio.get_running_loop()
            uploads_started = time.monotonic()
            statuses = await asyncio.gather(
                *(loop.run_in_executor(None, _upload, base, token) for _, token in phones)
            )
            uploads_answered_s = round(time.monotonic() - uploads_started, 1)
            assert statuses == [200] * PEOPLE, statuses
            deadline = time.time() + 60
            recorded_s = None
            while time.time() < deadline and (len(before.alerts) < PEOPLE or len(during.alerts) < PEOPLE):
                if recorded_s is None and await sync_to_async(Alert.objects.count)() >= PEOPLE:
                    recorded_s = round(time.monotonic() - uploads_started, 1)
                await asyncio.sleep(0.5)
            figures["uploads answered (s)"] = uploads_answered_s
            figures["alerts recorded after the uploads began (s)"] = recorded_s
            figures["uploads accepted with Redis away"] = statuses.count(200)
            figures["alerts on both consoles after the uploads began (s)"] = round(
                time.monotonic() - uploads_started, 1
            )
            own_redis.start()
            after = Console(base, cookie)
            following_after = asyncio.create_task(after.follow(done))
            await asyncio.sleep(8)  # the degraded consoles rejoin their groups
            done.set()
            await asyncio.gather(following, following_during, following_after)
            return before, during, after

        before, during, after = asyncio.run(scenario())
        assert evaluator.poll() is None  # the evaluator lived through it

    alerts = list(Alert.objects.filter(kind="entered_zone").values_list("pk", flat=True))
    assert len(alerts) == PEOPLE and CheckIn.objects.count() == PEOPLE
    for console in (before, during):
        assert sorted(console.alerts) == sorted(alerts), (len(console.alerts), console.types[-5:])
    assert "live" in during.types and "live" in before.types  # both went live again
    assert after.hello.get("degraded") is False and after.handshake_s < 3.0, after.handshake_s
    figures["console handshake after Redis returned (s)"] = round(after.handshake_s, 2)
    figures["alerts recorded"] = len(alerts)
    waiting = list(OutboxTask.objects.values_list("task", "args"))
    assert sorted(waiting) == sorted(("backend.monitoring.tasks.push_alert_to_staff", [pk]) for pk in alerts)

    # Redis is back: a worker starts and queues what waited, each once.
    worker = start_celery_worker(env)
    worker_started = time.monotonic()
    try:
        deadline = time.time() + 60
        while OutboxTask.objects.exists() and time.time() < deadline:
            time.sleep(0.5)
        assert not OutboxTask.objects.exists(), list(OutboxTask.objects.values_list("task", "attempts"))
    finally:
        stop_process_group(worker)
    figures["outbox emptied after the worker started (s)"] = round(time.monotonic() - worker_started, 1)
    print("\nRedis outage:", json.dumps(figures, ensure_ascii=False))


def test_an_idle_console_channel_outlasts_the_blocking_pop(own_redis: OwnRedis) -> None:
    """redis-py 8 reads with a 5 s timeout by default, as long as channels-redis's blocking pop:
    with the project's layer settings an idle receive keeps waiting (an idle console used to die
    after 5 s). Negative control: with the library's defaults the same receive fails."""
    import channels_redis.core
    import redis.exceptions
    from django.conf import settings

    from backend.core.channel_layer import RedisChannelLayer

    [host] = settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"]
    assert isinstance(host, dict), "the Redis layer's host carries its timeouts"
    hosts = [{**host, "address": own_redis.url}]

    async def idle(layer: Any) -> str:
        channel = await layer.new_channel()
        try:
            await asyncio.wait_for(layer.receive(channel), timeout=7)
        except TimeoutError:
            return "still waiting"
        return "received"

    # The library's own layer (not ours, whose receive also waits through errors) with our hosts.
    assert asyncio.run(idle(channels_redis.core.RedisChannelLayer(hosts=hosts))) == "still waiting"
    assert asyncio.run(idle(RedisChannelLayer(hosts=hosts))) == "still waiting"
    with pytest.raises(redis.exceptions.TimeoutError):
        asyncio.run(idle(channels_redis.core.RedisChannelLayer(hosts=[own_redis.url])))
