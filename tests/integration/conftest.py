"""Shared fixtures for the integration tests: the real services, a live ASGI server, a browser.

``live_asgi_server`` starts ``uvicorn backend.config.asgi:application`` in a subprocess, on a free port,
against a fresh PostgreSQL database (created here, migrated, loaded with a small demo county and
dropped afterwards) and Redis (channel layer and cache, under a prefix unique to the run). Tasks run
eagerly inside the server. ``browser`` is the system Chromium driven by Playwright; no browser is
ever downloaded.

Without PostgreSQL, Redis or Chromium the tests are skipped with the reason; under ``CI=true`` the
root conftest turns those skips into failures.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.integration.realservices import free_port
from tests.phone_auth import SignedPhoneAuth, new_key, public_key_of

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
POSTGRES_ADMIN_URL = os.environ.get("INTEGRATION_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_BASE_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
DEMO_SUBJECTS, DEMO_RELEASED = 24, 4
OFFICER_PASSWORD = "Demo-officer-2026"  # load_demo's password for every <office>_officer


# ---------------------------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------------------------


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _admin_connection() -> Any:
    import psycopg

    try:
        return psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc}".strip())


def _redis_client() -> Any:
    import redis

    client = redis.Redis.from_url(REDIS_BASE_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_BASE_URL}: {exc}")
    return client


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this run; its URL. Dropped at the end."""
    name = f"cm_it_{uuid.uuid4().hex[:12]}"
    with _admin_connection() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_database(POSTGRES_ADMIN_URL, name)
    finally:
        with _admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_settings() -> Iterator[dict[str, str]]:
    """REDIS_URL and a CHANNEL_PREFIX unique to this run; the run's channel keys are removed after."""
    client = _redis_client()
    prefix = f"cm-it-{uuid.uuid4().hex[:10]}"
    try:
        yield {"REDIS_URL": REDIS_BASE_URL, "CHANNEL_PREFIX": prefix}
    finally:
        with contextlib.suppress(Exception):
            for key in client.scan_iter(f"{prefix}*", count=500):
                client.delete(key)
        client.close()


# ---------------------------------------------------------------------------------------------
# The live server
# ---------------------------------------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def manage(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run a management command against the server's database and settings."""
        return subprocess.run(
            [sys.executable, str(ROOT / "backend" / "manage.py"), *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def _run(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "backend" / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"manage.py {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )


@contextlib.contextmanager
def serve_uvicorn(env: dict[str, str], log_name: str) -> Iterator[LiveServer]:
    """uvicorn serving the project with ``env`` on a free port, up once it answers /healthz;
    stopped on exit. Its output goes to ``test-artifacts/<log_name>``."""
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    log_path = ARTIFACTS / log_name
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "backend.config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(url=f"http://127.0.0.1:{port}", env=env, log_path=log_path, process=process)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"uvicorn exited with {process.returncode}:\n{server.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(server.url + "/healthz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"uvicorn did not answer /healthz within 60 s:\n{server.log_tail()}")
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="session")
def live_asgi_server(postgres_database: str, redis_settings: dict[str, str]) -> Iterator[LiveServer]:
    """uvicorn serving the project (HTTP and websockets) on a free port, with the demo county loaded."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend.config.settings",
        "DJANGO_ENV": "development",
        "DATABASE_URL": postgres_database,
        **redis_settings,
        "CELERY_TASK_ALWAYS_EAGER": "1",
        # The tests log in more often than a person would; the throttle's counter lives in Redis.
        "LOGIN_THROTTLE": "1000/min",
        # They log the same demo users in several times a minute, and a TOTP code is good once
        # per 30 s: the second factor is covered by tests/backend/accounts, skipped here (never
        # allowed in production).
        "STAFF_OTP_REQUIRED": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("CELERY_BROKER_URL", None)
    _run(env, "migrate", "--no-input", "-v0")
    _run(env, "load_demo", "--subjects", str(DEMO_SUBJECTS), "--released", str(DEMO_RELEASED), "--quiet")

    with serve_uvicorn(env, "live-server.log") as server:
        yield server


# ---------------------------------------------------------------------------------------------
# API clients
# ---------------------------------------------------------------------------------------------


def staff_client(server: LiveServer, username: str, password: str = OFFICER_PASSWORD) -> httpx.Client:
    """An httpx client of the staff API, authenticated with the token from ``POST /auth/login``."""
    client = httpx.Client(base_url=server.url + "/api/v1", timeout=30)
    answer = client.post(
        "/auth/login", json={"username": username, "password": password, "issue_token": True}
    )
    assert answer.status_code == 200, answer.text
    client.headers["Authorization"] = f"Token {answer.json()['token']}"
    client.cookies.clear()  # the token alone, so no CSRF token is needed
    return client


def phone_client(server: LiveServer, staff: httpx.Client, subject_id: int) -> httpx.Client:
    """Enroll a phone for ``subject_id`` (code from the officer, then the phone's enroll call)."""
    code = staff.post(f"/subjects/{subject_id}/enrollment-code")
    assert code.status_code == 201, code.text
    phone = httpx.Client(base_url=server.url + "/api/v1", timeout=30)
    key = new_key()
    enrolled = phone.post(
        "/mobile/enroll",
        json={
            "code": code.json()["code"],
            "device": {
                "platform": "android",
                "model": "Mate 60",
                "os_version": "14",
                "app_version": "1.0.0",
                "public_key": public_key_of(key),
            },
        },
    )
    assert enrolled.status_code == 201, enrolled.text
    # Every later request carries the token and is signed with the phone's key.
    phone.auth = SignedPhoneAuth(enrolled.json()["device_token"], key)
    return phone


@pytest.fixture
def staff_login(live_asgi_server: LiveServer) -> Iterator[Any]:
    """``staff_login(username)`` → an authenticated httpx client; closed after the test."""
    clients: list[httpx.Client] = []

    def login(username: str, password: str = OFFICER_PASSWORD) -> httpx.Client:
        client = staff_client(live_asgi_server, username, password)
        clients.append(client)
        return client

    yield login
    for client in clients:
        client.close()


# ---------------------------------------------------------------------------------------------
# Browser
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """The system Chromium (headless) through Playwright's sync API, for one test module.

    Module scope on purpose: while Playwright's sync API runs, the main thread has a running event
    loop, and Django refuses synchronous database access there, so other modules' database tests
    must run after it has stopped.
    """
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        pytest.skip(f"playwright is not installed: {exc}")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        except PlaywrightError as exc:
            pytest.skip(f"Chromium at {CHROMIUM} did not start: {exc}")
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def browser_page(request: pytest.FixtureRequest, browser: Any, live_asgi_server: LiveServer) -> Iterator[Any]:
    """A fresh browser context and page in Chinese, Beijing time, a desktop-sized window."""
    context = browser.new_context(
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1440, "height": 900},
        base_url=live_asgi_server.url,
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    # What the page said, kept for the post-mortem of a failed run.
    lines: list[str] = []
    page.on("console", lambda message: lines.append(f"console.{message.type}: {message.text}"))
    page.on("pageerror", lambda error: lines.append(f"page error: {error}"))
    page.on(
        "response",
        lambda response: (
            lines.append(f"HTTP {response.status} {response.request.method} {response.url}")
            if response.status >= 400
            else None
        ),
    )
    try:
        yield page
    finally:
        context.close()
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / f"browser-{request.node.name}.log").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def worker() -> Iterator[None]:
    """A Celery worker on the real broker for the test (skips without one)."""
    from django.conf import settings

    from tests.integration.realservices import (
        require_postgres,
        require_redis,
        server_env,
        start_celery_worker,
        stop_process_group,
    )

    require_postgres()
    redis_url = require_redis()
    if settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("CELERY_TASK_ALWAYS_EAGER is on; the worker test needs a broker (REDIS_URL)")
    process = start_celery_worker(server_env(REDIS_URL=redis_url))
    try:
        yield
    finally:
        stop_process_group(process)
