"""Reaching the real services from integration tests, and running the project's servers.

An integration test calls ``require_postgres()`` / ``require_redis()`` first: on a machine without
the service it skips with the reason (and under CI=true the root conftest turns that into a failure).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_postgres() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://... (make test-integration)")


def require_redis() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("needs Redis: run with REDIS_URL=redis://... (make test-integration)")
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, _, port = host_port.rpartition(":")
    if not _reachable(host or "127.0.0.1", int(port or 6379)):
        pytest.skip(f"Redis at {url} is not reachable")
    return url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(**extra: str) -> dict[str, str]:
    """The environment of a server process sharing this test run's database and Redis."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_SETTINGS")}
    env.update(
        DJANGO_SETTINGS_MODULE="backend.config.settings",
        DATABASE_URL=url,
        PYTHONPATH=str(ROOT),
        LOG_LEVEL="WARNING",
        STAFF_OTP_REQUIRED="0",  # the second factor is tested in tests/backend/accounts
        **extra,
    )
    return env


def people_with_a_forbidden_zone(
    office: Any, officer: Any, count: int, label: str, lat: float, lon: float, **zone: Any
) -> list[tuple[Any, str]]:
    """``count`` people of ``office``, each with a 300 m exclusion zone around (lat, lon) that a
    single fix inside breaches (``zone`` overrides its fields) and an enrolled phone (signing with
    its key, ``tests.conftest.phone_key``); returns (subject, device token) pairs."""
    import datetime as dt

    from django.utils import timezone

    from backend.monitoring.models import Zone
    from backend.supervision.models import Subject
    from tests.conftest import enroll_phone

    today = timezone.localdate()
    people = []
    for i in range(count):
        subject = Subject.objects.create(
            office=office,
            name=f"{label}{i}",
            gender="male",
            id_number=f"3710821985{sum(map(ord, label)) % 1000:03d}{i:05d}",
            home_address="村",
            case_number=f"(2026){label}{i}号",
            sentence_type="probation",
            supervision_start=today - dt.timedelta(days=30),
            supervision_end=today + dt.timedelta(days=300),
        )
        Zone.objects.create(
            **{
                "office": office,
                "subject": subject,
                "name": "禁入区",
                "kind": "exclusion",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "radius_m": 300,
                "confirm_fixes": 1,
                "confirm_seconds": 0,
                **zone,
            }
        )
        people.append((subject, enroll_phone(subject, officer)[1]))
    return people


def stop_process_group(proc: subprocess.Popen[Any]) -> None:
    """SIGTERM a server started with ``start_new_session=True`` and its children; SIGKILL after 10 s."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@contextmanager
def _serving(command: list[str], env: dict[str, str], started_within_s: float) -> Iterator[str]:
    """Run a server of the project on a free port (``command`` formats ``{port}``) in its own process
    group; yields its base URL once ``/healthz`` answers."""
    port = free_port()
    proc = subprocess.Popen(
        [part.format(port=port) for part in command], cwd=ROOT, env=env, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + started_within_s
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{command[0]} on {port} did not start (exit {proc.poll()})") from None
                time.sleep(0.2)
        yield base
    finally:
        stop_process_group(proc)


def asgi_server(env: dict[str, str]) -> AbstractContextManager[str]:
    """Run ``uvicorn backend.config.asgi:application``; yields its base URL."""
    command = [str(BIN / "uvicorn"), "backend.config.asgi:application", "--host", "127.0.0.1"]
    return _serving([*command, "--port", "{port}", "--log-level", "warning"], env, 30)


def wsgi_server(env: dict[str, str], workers: int) -> AbstractContextManager[str]:
    """Run the API as production serves it (gunicorn, sync workers, the check-in fast path); yields
    its base URL."""
    command = [str(BIN / "gunicorn"), "backend.config.wsgi:application", "--workers", str(workers)]
    return _serving([*command, "--bind", "127.0.0.1:{port}", "--log-level", "warning"], env, 60)


def start_evaluator(env: dict[str, str]) -> subprocess.Popen[str]:
    """``manage.py run_evaluator`` (CHECKIN_EVALUATION=queue, its own process group), returned once
    it polls for marked fixes; stop it with ``stop_process_group``."""
    proc = subprocess.Popen(
        [sys.executable, "backend/manage.py", "run_evaluator"],
        cwd=ROOT,
        env={**env, "CHECKIN_EVALUATION": "queue"},
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # "polling every ..." once it is, or "" if it died
    if "polling" not in line:
        stop_process_group(proc)
        raise RuntimeError(f"run_evaluator did not start (exit {proc.poll()}): {line!r}")
    return proc


@contextmanager
def evaluator_process(env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    """Run ``manage.py run_evaluator`` for the block."""
    proc = start_evaluator(env)
    try:
        yield proc
    finally:
        stop_process_group(proc)


def start_celery_worker(
    env: dict[str, str], pool: str = "solo", concurrency: int = 1
) -> subprocess.Popen[bytes]:
    """A Celery worker of the project (its own process group: SIGKILL it with ``os.killpg``, stop it
    with ``stop_process_group``)."""
    return subprocess.Popen(
        [
            str(BIN / "celery"),
            "-A",
            "backend.config.celery_app",
            "worker",
            "--pool",
            pool,
            "--concurrency",
            str(concurrency),
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
