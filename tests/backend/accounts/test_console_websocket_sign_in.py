"""The console websocket checks the sign-in itself: second factor verified, idle and age limits;
disabling the account ends its sessions and tokens and closes its open sockets within 5 s."""

from __future__ import annotations

import time
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient

from backend.config.asgi import application
from tests.conftest import login_verified

pytestmark = pytest.mark.django_db(transaction=True)


def signed_in_cookie(user: Any, *, verified: bool = True) -> tuple[str, str]:
    """A session cookie: through the API login, or (unverified) a session made by a password only."""
    from django.contrib.sessions.backends.db import SessionStore

    from backend.accounts import sessions

    if verified:
        client = APIClient()
        body = login_verified(client, user, issue_token=True)
        return client.cookies["sessionid"].value, body["token"]
    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    store["_auth_user_hash"] = user.get_session_auth_hash()
    sessions.mark_signed_in(store)
    store.save()
    return store.session_key or "", ""


def console(session_key: str) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://testserver"), (b"cookie", f"sessionid={session_key}".encode())]
    return WebsocketCommunicator(application, "/ws/console/", headers=headers)


async def test_a_verified_session_connects_and_a_password_only_session_is_refused(officer_a: Any) -> None:
    key, _token = await database_sync_to_async(signed_in_cookie)(officer_a)
    good = console(key)
    connected, _ = await good.connect()
    assert connected
    assert (await good.receive_json_from())["type"] == "hello"
    await good.disconnect()

    key, _token = await database_sync_to_async(signed_in_cookie)(officer_a, verified=False)
    bad = console(key)
    connected, code = await bad.connect()
    assert not connected and code == 4401


async def test_an_idle_session_is_refused_at_the_handshake(officer_a: Any) -> None:
    from django.contrib.sessions.backends.db import SessionStore

    from backend.accounts import sessions

    key, _token = await database_sync_to_async(signed_in_cookie)(officer_a)

    def age() -> None:
        store = SessionStore(session_key=key)
        store[sessions.SEEN_AT] = store[sessions.SEEN_AT] - 31 * 60
        store.save()

    await database_sync_to_async(age)()
    connected, code = await console(key).connect()
    assert not connected and code == 4401


async def test_disabling_the_account_closes_its_socket_within_five_seconds_and_ends_its_sessions(
    officer_a: Any,
) -> None:
    from django.contrib.sessions.models import Session

    from backend.accounts.models import StaffToken

    key, token = await database_sync_to_async(signed_in_cookie)(officer_a)
    socket = console(key)
    connected, _ = await socket.connect()
    assert connected
    await socket.receive_json_from()

    def disable() -> None:
        officer_a.is_active = False
        officer_a.save()

    started = time.perf_counter()
    await database_sync_to_async(disable)()
    closed = await socket.receive_output(timeout=5)
    elapsed = time.perf_counter() - started
    assert closed == {"type": "websocket.close", "code": 4401}
    print(f"\nsocket closed {elapsed * 1000:.0f} ms after the account was disabled")
    assert elapsed < 5
    assert not await database_sync_to_async(Session.objects.filter(session_key=key).exists)()
    assert not await database_sync_to_async(StaffToken.objects.filter(user=officer_a).exists)()

    def api_status() -> int:
        script = APIClient()
        script.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return int(script.get("/api/v1/auth/me").status_code)

    assert await database_sync_to_async(api_status)() == 401


def test_the_sign_in_clocks_receiver_survives_in_a_production_server() -> None:
    """The receiver that starts a session's clocks was a function made inside ``ready()`` and
    connected weakly: collected once ``ready()`` returned in a production server, so every
    session lacked its clocks, counted as expired, and the console refused every handshake (403).
    Checked in a fresh production process: this test process happens to keep it alive."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="backend.config.settings",
        DJANGO_ENV="production",
        DEBUG="0",
        DEMO_MODE="0",
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="corrections.example.org",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/unused",
        PYTHONPATH=str(root),
    )
    # Every signal's receivers, after a collection: none may have died (the zones' receiver in
    # monitoring had the same fault: zone edits reached no other process).
    code = (
        "import gc, django; django.setup(); gc.collect()\n"
        "from django.dispatch import Signal\n"
        "signals = [o for o in gc.get_objects() if isinstance(o, Signal)]\n"
        "dead = [repr(s) for s in signals if s._dead_receivers]\n"
        "from django.contrib.auth.signals import user_logged_in\n"
        "live = sorted(getattr(r, '__name__', '') for r in user_logged_in._live_receivers(None)[0])\n"
        "print(dead, 'signed_in' in live, len(signals))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[:2] == ["[]", "True"], out.stdout
