"""Schemathesis over every operation of ``mobile_api_spec/openapi.yaml``, against the real server.

The server runs as production runs it (``gunicorn backend.config.wsgi``, ``DJANGO_ENV=production``,
behind a proxy that sets ``X-Forwarded-Proto: https``) on a PostgreSQL database created for the run
and dropped after it, with Redis for the cache, throttles and channel layer. ``tests.fuzz.cast``
builds the cast with the project's own commands and services.

Three passes, each one ``schemathesis run`` with a fixed number of examples per operation and
derandomized generation, so a run is reproducible:

- the bureau head (sees every office, and the access log) on every operation: staff operations with
  a staff token, ``/mobile/*`` with the enrolled phone's device token, login, enroll and ping without;
- an office officer on the staff operations (what is scoped to one office);
- and a check that the passes between them tested every operation of the spec.

A pass fails on any server error (``not_a_server_error``) or any answer the spec does not describe
(status code, content type, body schema). The reports and the server's log go to
``test-artifacts/fuzz/``. Run with ``make fuzz``; without PostgreSQL or Redis the tests skip, and
under ``CI=true`` the root conftest turns that skip into a failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
import yaml

from tests.fuzz import summary
from tests.fuzz.operations import operation_kind
from tests.integration.realservices import free_port

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SPEC = ROOT / "mobile_api_spec" / "openapi.yaml"
CONFIG = Path(__file__).with_name("schemathesis.toml")
ARTIFACTS = ROOT / "test-artifacts" / "fuzz"
POSTGRES_URL = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "25"))
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
STAFF_ONLY = r"^/api/v1/(mobile/.*|ping|auth/login)$"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


# ---------------------------------------------------------------------------------------------
# Services, database, server
# ---------------------------------------------------------------------------------------------


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _admin_connection() -> Any:
    import psycopg

    url = _with_database(POSTGRES_URL, "postgres")
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL is not reachable at {url}: {exc}".strip())


def _require_redis() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    finally:
        client.close()


@dataclass
class FuzzServer:
    url: str
    context_path: Path
    log_path: Path
    env: dict[str, str]

    def log_tail(self, lines: int = 80) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def _cast(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tests.fuzz.cast", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"tests.fuzz.cast {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )


def _login(url: str, username: str, password: str) -> str:
    answer = httpx.post(
        url + "/api/v1/auth/login",
        json={"username": username, "password": password},
        headers={"X-Forwarded-Proto": "https"},
        timeout=30,
    )
    assert answer.status_code == 200, f"login as {username}: {answer.status_code} {answer.text[:500]}"
    return str(answer.json()["token"])


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[FuzzServer]:
    """gunicorn with production settings on a fresh database holding the cast; its context file."""
    _require_redis()
    name = f"cm_fuzz_{uuid.uuid4().hex[:12]}"
    with _admin_connection() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    port = free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SCHEMATHESIS_"))}
    env = {
        **base,
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "backend.config.settings",
        "DATABASE_URL": _with_database(POSTGRES_URL, name),
        "REDIS_URL": REDIS_URL,
        "CHANNEL_PREFIX": f"cm-fuzz-{uuid.uuid4().hex[:10]}",
        # Tasks run inside the server: no worker drains a queue during the run.
        "CELERY_TASK_ALWAYS_EAGER": "1",
        # The logout operation logs in once per example; the throttle's counter lives in Redis.
        "LOGIN_THROTTLE": "100000/min",
        # As behind the bureau's proxy: the client address is the last X-Forwarded-For entry,
        # which the harness varies per enrolling phone.
        "NUM_PROXIES": "1",
        "LOG_LEVEL": "WARNING",
    }
    context_path = ARTIFACTS / "context.json"
    log_path = ARTIFACTS / "server.log"
    process = None
    try:
        _cast({**env, "DJANGO_ENV": "development"}, "setup", str(context_path))
        server_env = {
            **env,
            "DJANGO_ENV": "production",
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECRET_KEY": secrets.token_urlsafe(60),
        }
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "backend.config.wsgi:application",
                    "--workers",
                    "3",
                    "--timeout",
                    "60",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--log-level",
                    "warning",
                ],
                cwd=ROOT,
                env=server_env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        url = f"http://127.0.0.1:{port}"
        server = FuzzServer(url=url, context_path=context_path, log_path=log_path, env=server_env)
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited with {process.returncode}:\n{server.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if (
                    httpx.get(url + "/healthz", headers={"X-Forwarded-Proto": "https"}, timeout=2).status_code
                    == 200
                ):
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer /healthz within 60 s:\n{server.log_tail()}")
            time.sleep(0.2)

        context = json.loads(context_path.read_text())
        context["base_url"] = url
        context["tokens"] = {who: _login(url, *credentials) for who, credentials in context["staff"].items()}
        context_path.write_text(json.dumps(context, indent=2))
        _cast({**env, "DJANGO_ENV": "development"}, "pools", str(context_path))
        yield server
    finally:
        if process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, 15)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait(timeout=5)
        with _admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        with contextlib.suppress(Exception):
            import redis

            client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
            for key in client.scan_iter(f"{env['CHANNEL_PREFIX']}*", count=500):
                client.delete(key)
            client.close()


# ---------------------------------------------------------------------------------------------
# The passes
# ---------------------------------------------------------------------------------------------


def spec_operations() -> set[str]:
    """``METHOD /path`` of every operation in the published spec."""
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    return {
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def run_schemathesis(server: FuzzServer, name: str, staff: str, *filters: str) -> tuple[int, str]:
    """One ``schemathesis run``; its exit code and output (also kept in ``test-artifacts/fuzz/``)."""
    reports = ARTIFACTS / name
    command = [
        str(BIN / "schemathesis"),
        "--config-file",
        str(CONFIG),
        "run",
        str(SPEC),
        "--url",
        server.url,
        "--checks",
        CHECKS,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--generation-deterministic",
        "--workers",
        "2",
        "--request-timeout",
        "60",
        "--header",
        "X-Forwarded-Proto: https",
        "--continue-on-failure",
        "--no-color",
        "--report",
        "junit,ndjson",
        "--report-dir",
        str(reports),
        *filters,
    ]
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SCHEMATHESIS_HOOKS": "tests.fuzz.hooks",
        "FUZZ_CONTEXT": str(server.context_path),
        "FUZZ_STAFF": staff,
    }
    started = time.monotonic()
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=840, check=False
    )
    output = f"$ {' '.join(command)}\n(FUZZ_STAFF={staff}, {time.monotonic() - started:.0f} s)\n\n{result.stdout}{result.stderr}"
    (ARTIFACTS / f"{name}.txt").write_text(output, encoding="utf-8")
    return result.returncode, output


def operations_in_report(name: str) -> set[str]:
    """The operations a pass's JUnit report lists (one test case per operation)."""
    junit = next((ARTIFACTS / name).glob("*.xml"), None)
    if junit is None:
        return set()
    return {
        f"{m.group(1)} {m.group(2)}"
        for m in re.finditer(r'<testcase name="([A-Z]+) ([^"]+)"', junit.read_text())
    }


PASSES = {
    # name: (staff identity, schemathesis filters)
    "bureau-head-every-operation": ("bureau", ()),
    "office-officer-staff-operations": ("officer", ("--exclude-path-regex", STAFF_ONLY)),
}


@pytest.mark.parametrize("name", list(PASSES))
def test_it_answers_every_generated_request_as_the_spec_says(fuzz_server: FuzzServer, name: str) -> None:
    staff, filters = PASSES[name]
    log_offset = fuzz_server.log_path.stat().st_size
    code, output = run_schemathesis(fuzz_server, name, staff, *filters)
    exceptions = summary.server_exceptions(fuzz_server.log_path, log_offset)
    reading = summary.render(name, summary.read(ARTIFACTS / name), exceptions)
    (ARTIFACTS / f"{name}-summary.txt").write_text(reading + "\n", encoding="utf-8")
    print(reading)
    assert code == 0, (
        f"schemathesis found failures in pass {name} (exit {code}):\n{reading}\n\nThe full report "
        f"(with curl reproductions) is in {ARTIFACTS / (name + '.txt')}, the server's log in "
        f"{fuzz_server.log_path}; the tail of the report:\n{output[-3000:]}"
    )


def test_the_passes_tested_every_operation_of_the_spec(fuzz_server: FuzzServer) -> None:
    every = spec_operations()
    tested = set().union(*(operations_in_report(name) for name in PASSES))
    assert every - tested == set(), f"operations no pass tested: {sorted(every - tested)}"
    kinds = {operation_kind(op.split(" ", 1)[1]) for op in every}
    assert kinds == {"public", "phone", "staff", "logout"}, kinds
