"""PostgreSQL stopped for 10 s under a phone that keeps uploading: the API answers 503 with
Retry-After in the JSON error shape (never a 500), the phone retries, and every fix the server
acknowledged is stored exactly once; /readyz says 503 while the database is away.

The database is a cluster of its own (initdb in a temporary folder, on a free port), so stopping it
disturbs nothing else on the machine. gunicorn serves the project as in production.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.realservices import free_port, stop_process_group
from tests.phone_auth import SignedPhoneAuth, new_key, public_key_of

# The phone's signing key (it registers the public half at enrollment).
PHONE_KEY = new_key()

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ARTIFACTS = ROOT / "test-artifacts"
OUTAGE_S = 10

SETUP = """
import datetime as dt
from backend.accounts.models import Office, User
from backend.supervision.models import Subject
from backend.supervision.services import enroll_device, issue_enrollment_code
bureau = Office.objects.create(code="bureau", name="局", kind=Office.Kind.BUREAU)
office = Office.objects.create(code="o", name="所", parent=bureau)
officer = User.objects.create(username="officer", role="officer", office=office, is_staff=True)
subject = Subject.objects.create(
    office=office, responsible_officer=officer, name="对象", gender="male", id_number="110101198503120014",
    home_address="村", home_lat=37.15, home_lon=122.35, case_number="(2026)测1号", sentence_type="probation",
    supervision_start=dt.date(2026, 1, 1), supervision_end=dt.date(2027, 12, 31), supervision_level="normal",
)
code = issue_enrollment_code(subject, officer).code
enrollment = enroll_device(
    code, {"platform": "android", "model": "m", "os_version": "14", "app_version": "1", "public_key": PUBLIC_KEY}
)
print("TOKEN=" + enrollment.device_token)
"""


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


@dataclass
class Cluster:
    bindir: Path
    data: Path
    port: int
    as_owner: list[str]

    def ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.as_owner, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60", *args],
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        self.ctl(
            "-o",
            f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off",
            "-l",
            str(self.data / "log"),
            "start",
        )

    def stop(self) -> None:
        self.ctl("-m", "fast", "stop")

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/outage"


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL's server programs are not installed (/usr/lib/postgresql/*/bin)")
    # Directly under /tmp: pytest's own temporary folders are closed to the postgres user.
    root = Path(tempfile.mkdtemp(prefix="cm-pg-outage-"))
    data = root / "data"
    as_owner: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: the cluster belongs to postgres
        shutil.chown(root, "postgres", "postgres")
        as_owner = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [
            *as_owner,
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        ],
        check=True,
        capture_output=True,
    )
    found = Cluster(bindir, data, free_port(), as_owner)
    found.start()
    try:
        subprocess.run(
            [
                *as_owner,
                str(bindir / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(found.port),
                "-U",
                "postgres",
                "-c",
                "CREATE DATABASE outage",
            ],
            check=True,
            capture_output=True,
        )
        yield found
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            found.ctl("-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Phone:
    """Uploads a batch of fresh fixes every 50 ms; keeps a batch until the server acknowledges it."""

    url: str
    token: str
    acknowledged: set[str] = field(default_factory=set)
    statuses: dict[int, int] = field(default_factory=dict)
    bad_503: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def batch(self) -> list[dict[str, Any]]:
        now = time.time()
        return [
            {
                "id": str(uuid.uuid4()),
                "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now - i)) + "Z",
                "lat": 37.15,
                "lon": 122.35,
                "accuracy_m": 12,
                "crs": "wgs84",
            }
            for i in range(3)
        ]

    def run(self) -> None:
        pending = self.batch()
        # Each attempt, a retry included, is signed anew (a new signing time).
        with httpx.Client(
            base_url=self.url, timeout=5, auth=SignedPhoneAuth(self.token, PHONE_KEY)
        ) as client:
            while True:
                try:
                    answer = client.post("/api/v1/mobile/checkins", json={"checkins": pending})
                except httpx.HTTPError:
                    time.sleep(0.2)
                    continue
                self.statuses[answer.status_code] = self.statuses.get(answer.status_code, 0) + 1
                if answer.status_code == 200:
                    self.acknowledged.update(fix["id"] for fix in pending)
                    if self.stop.is_set():
                        return
                    pending = self.batch()
                    time.sleep(0.05)
                elif answer.status_code == 503:
                    ok = (
                        answer.headers.get("Retry-After") == "5"
                        and answer.json().get("code") == "service_unavailable"
                    )
                    if not ok:
                        self.bad_503.append(answer.text[:200])
                    # The phone honours Retry-After; the test caps the wait to keep its run short.
                    time.sleep(min(float(answer.headers.get("Retry-After", 1)), 0.5))
                else:
                    time.sleep(0.2)


def stored_ids(cluster: Cluster) -> list[str]:
    out = subprocess.run(
        [
            *cluster.as_owner,
            str(cluster.bindir / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(cluster.port),
            "-U",
            "postgres",
            "-d",
            "outage",
            "-At",
            "-c",
            "SELECT client_id FROM monitoring_checkin",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [line for line in out.split() if line]


def lost_or_doubled(acknowledged: set[str], stored: list[str]) -> tuple[set[str], int]:
    return acknowledged - set(stored), len(stored) - len(set(stored))


def test_a_phone_loses_nothing_while_postgresql_is_stopped_for_10_s(cluster: Cluster) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REDIS_", "DATABASE_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="backend.config.settings",
        DATABASE_URL=cluster.url,
        CELERY_TASK_ALWAYS_EAGER="1",
        LOG_LEVEL="WARNING",
    )
    manage = [sys.executable, str(ROOT / "backend" / "manage.py")]
    subprocess.run(
        [*manage, "migrate", "--no-input", "-v0"],
        cwd=ROOT,
        env={**env, "DJANGO_ENV": "development"},
        check=True,
    )
    setup = subprocess.run(
        [*manage, "shell", "-c", SETUP.replace("PUBLIC_KEY", repr(public_key_of(PHONE_KEY)))],
        cwd=ROOT,
        env={**env, "DJANGO_ENV": "development"},
        check=True,
        capture_output=True,
        text=True,
    )
    token = setup.stdout.split("TOKEN=", 1)[1].strip()
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    server_env = {
        **env,
        "DJANGO_ENV": "development",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECRET_KEY": secrets.token_urlsafe(40),
    }
    with open(ARTIFACTS / "outage-server.log", "wb") as log:
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "backend.config.wsgi:application",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
            ],
            cwd=ROOT,
            env=server_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
            time.sleep(0.2)
        phone = Phone(url, token)
        worker = threading.Thread(target=phone.run, daemon=True)
        worker.start()
        time.sleep(2)
        cluster.stop()
        time.sleep(1)
        ready_while_down = httpx.get(url + "/readyz", timeout=5)
        health_while_down = httpx.get(url + "/healthz", timeout=5)
        time.sleep(OUTAGE_S - 1)
        cluster.start()
        time.sleep(5)
        phone.stop.set()
        worker.join(timeout=30)
        assert not worker.is_alive(), "the phone never got its last batch acknowledged"
        ready_after = httpx.get(url + "/readyz", timeout=5)
    finally:
        stop_process_group(server)

    assert ready_while_down.status_code == 503 and ready_while_down.headers["Retry-After"] == "5"
    assert health_while_down.status_code == 200  # the process lives; it is not ready
    assert ready_after.status_code == 200
    assert phone.statuses.get(503, 0) > 0, phone.statuses  # the outage was seen
    assert phone.statuses.get(500, 0) == 0, phone.statuses
    assert phone.bad_503 == []
    stored = stored_ids(cluster)
    lost, doubled = lost_or_doubled(phone.acknowledged, stored)
    assert (lost, doubled) == (set(), 0), phone.statuses
    assert len(phone.acknowledged) > 50
    (ARTIFACTS / "outage-summary.json").write_text(
        json.dumps(
            {"statuses": phone.statuses, "acknowledged": len(phone.acknowledged), "stored": len(stored)}
        )
    )
    # Negative control: the check does see a fix that went missing.
    missing = next(iter(phone.acknowledged))
    assert lost_or_doubled(phone.acknowledged, [i for i in stored if i != missing]) == ({missing}, 0)
