"""Schemathesis over every operation of ``mobile_api_spec/openapi.yaml``, against the real server.

The server runs as production runs it (``gunicorn backend.config.wsgi``, ``DJANGO_ENV=production``,
behind a proxy that sets ``X-Forwarded-Proto: https``) on a PostgreSQL database created for the run
and dropped after it, with Redis for the cache, throttles and channel layer. ``tests.fuzz.cast``
builds the cast with the project's own commands and services.

Three passes, each one ``schemathesis run`` with a fixed number of examples per operation and
derandomized generation, so a run is reproducible:

- the bureau head (sees every office, and the access log) on every operation: staff operations with
  a staff token (from a login with password and TOTP code, computed from the device the cast gave
  them), ``/mobile/*`` with the enrolled phone's device token, login, enroll and ping without;
- an office officer on the staff operations (what is scoped to one office);
- and a check that the passes between them tested every operation of the spec.

A pass fails on any server error (``not_a_server_error``) or any answer the spec does not describe
(status code, content type, body schema). The reports and the server's log go to
``test-artifacts/fuzz/`` (``FUZZ_ARTIFACTS`` elsewhere). Before the passes the harness reads, as each
identity, every list operation of the spec, so ``{id}`` path parameters name real rows of every app.

Sizes: ``FUZZ_MAX_EXAMPLES`` examples per operation and phase, ``FUZZ_PHASES`` (all unless set),
``FUZZ_WORKERS`` (2). ``make fuzz`` is the CI size, ``make fuzz-full`` 100 examples and every phase;
the summary of each pass counts the operations that only ever answered 401/403 (never reached with
valid credentials) and those that never answered 2xx. Run with ``make fuzz``; without PostgreSQL or Redis the tests skip, and
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
from tests.phone_auth import SignedPhoneAuth, key_from_seed

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "25"))
# One pass of schemathesis may take this long (the full size, 100 examples, takes the longest).
PASS_TIMEOUT = int(os.environ.get("FUZZ_PASS_TIMEOUT", str(max(840, 60 * MAX_EXAMPLES))))

pytestmark = [pytest.mark.integration, pytest.mark.timeout(PASS_TIMEOUT + 600)]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SPEC = ROOT / "mobile_api_spec" / "openapi.yaml"
CONFIG = Path(__file__).with_name("schemathesis.toml")
ARTIFACTS = Path(os.environ.get("FUZZ_ARTIFACTS") or ROOT / "test-artifacts" / "fuzz")
POSTGRES_URL = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
# Which of schemathesis' phases run (examples, coverage, fuzzing, stateful); all of them unless set.
# The coverage phase sends some 50 boundary and negative requests per operation whatever the
# number of examples, so the CI size (``make fuzz``) leaves it to the full run (``make fuzz-full``).
PHASES = os.environ.get("FUZZ_PHASES", "")
WORKERS = os.environ.get("FUZZ_WORKERS", "2")
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


def totp_code(key_hex: str) -> str:
    """The code a TOTP device with this (hex) key shows now (django-otp's defaults: 30 s, 6 digits)."""
    from django_otp.oath import totp

    return f"{totp(bytes.fromhex(key_hex)):06d}"


def _login(url: str, username: str, password: str, otp_key: str) -> str:
    answer = httpx.post(
        url + "/api/v1/auth/login",
        json={
            "username": username,
            "password": password,
            "otp_token": totp_code(otp_key),
            "issue_token": True,
        },
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
        context["tokens"] = {
            who: _login(url, *credentials, context["otp_keys"][who])
            for who, credentials in context["staff"].items()
        }
        context["pools"] = {
            **{who: harvest_ids(url, f"Token {token}") for who, token in context["tokens"].items()},
            "phone": harvest_ids(
                url,
                None,
                phone=True,
                auth=SignedPhoneAuth(context["phone"]["token"], key_from_seed(context["phone"]["key"])),
            ),
        }
        # Staff writes stay off the phone's subject (see tests/fuzz/hooks.py).
        for who in context["tokens"]:
            subjects = context["pools"][who].get("/api/v1/subjects", [])
            context["pools"][who]["/api/v1/subjects"] = [
                pk for pk in subjects if pk != context["phone"]["subject"]
            ]
        context_path.write_text(json.dumps(context, indent=2))
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


def collection_paths() -> list[str]:
    """The list operations (``GET /x``) whose rows some operation names by ``/x/{id}``."""
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    listed = {path for path, item in spec["paths"].items() if "get" in item and "{" not in path}
    return sorted({path.split("/{id}", 1)[0] for path in spec["paths"] if "/{id}" in path} & listed)


def _ids_in(payload: Any) -> list[int]:
    """The ``id`` of each row of a list answer (a page, or a bare array; phone ids are strings)."""
    rows = payload.get("results", payload.get("items")) if isinstance(payload, dict) else payload
    if not isinstance(rows, list):
        return []
    ids = []
    for row in rows:
        value = row.get("id") if isinstance(row, dict) else None
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            ids.append(value)
    return ids


def harvest_ids(
    url: str, authorization: str | None, *, phone: bool = False, auth: httpx.Auth | None = None
) -> dict[str, list[int]]:
    """For each list operation an identity may call, the ids of the rows it answers (a page of them):
    the pools ``{id}`` path parameters are drawn from, for every app without a list kept by hand.
    Staff send ``authorization``; the phone's requests are signed by ``auth``."""
    pools: dict[str, list[int]] = {}
    headers = {"X-Forwarded-Proto": "https", **({"Authorization": authorization} if authorization else {})}
    with httpx.Client(base_url=url, headers=headers, auth=auth, timeout=60) as client:
        for path in collection_paths():
            if path.startswith("/api/v1/mobile/") != phone:
                continue
            answer = client.get(path, params={} if phone else {"limit": 200})
            if answer.status_code == 200:
                with contextlib.suppress(ValueError):
                    ids = _ids_in(answer.json())
                    if ids:
                        pools[path] = ids
    return pools


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
        WORKERS,
        *(["--phases", PHASES] if PHASES else []),
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
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=PASS_TIMEOUT, check=False
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


# Known schema violations not fixed yet (never server errors): see the file's head.
KNOWN_DEFECTS_FILE = Path(__file__).with_name("known_defects.txt")
KNOWN_DEFECTS = {
    line.strip()
    for line in KNOWN_DEFECTS_FILE.read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
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
    read = summary.read(ARTIFACTS / name)
    reading = summary.render(name, read, exceptions)
    (ARTIFACTS / f"{name}-summary.txt").write_text(reading + "\n", encoding="utf-8")
    print(reading)
    if staff == "bureau":
        # The bureau head may call every operation: one only ever refused was never reached with
        # valid credentials (the officer's pass is refused, rightly, what the bureau alone may do).
        assert summary.unauthorized_only(read) == [], reading
    assert not exceptions, f"the server raised in pass {name}:\n{reading}"
    unexpected = summary.unexpected_failures(read, KNOWN_DEFECTS)
    assert code == 0 or (unexpected == [] and read.failures), (
        f"schemathesis found failures in pass {name} (exit {code}) not in {KNOWN_DEFECTS_FILE.name}: "
        f"{unexpected}\n{reading}\n\nThe full report (with curl reproductions) is in "
        f"{ARTIFACTS / (name + '.txt')}, the server's log in {fuzz_server.log_path}; the tail of the "
        f"report:\n{output[-3000:]}"
    )


def test_the_passes_tested_every_operation_of_the_spec(fuzz_server: FuzzServer) -> None:
    every = spec_operations()
    tested = set().union(*(operations_in_report(name) for name in PASSES))
    assert every - tested == set(), f"operations no pass tested: {sorted(every - tested)}"
    kinds = {operation_kind(op.split(" ", 1)[1]) for op in every}
    assert kinds == {"public", "phone", "staff", "logout"}, kinds
