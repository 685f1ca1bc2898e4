"""Quarterly risk screening at county scale, on PostgreSQL with two Celery workers.

A generated county (12 offices; 90 % corrections subjects with phones, 10 % released persons) with
a quarter (2026Q3) of the records the factors read: alerts of every kind (overdue and lost-contact
episodes, fences, curfew, leave, reachability…) and reminders (monthly reports, education, return
from leave, check-in prompts), about 28 rows a subject; no raw fixes. The county is screened at
10,000 people, then grown to 100,000 and screened again; a Celery worker with two processes does
the work (``--concurrency 2``) and the clock runs from ``start_screening``'s commit to the run's
finish. Then the ledger of the 100,000 rows is exported through the API view in a process of its
own, whose peak resident memory is reported.

Reference in the same run: the time per person at 10,000 (the ratio at 100,000 must stay
within 1.5×). Targets: 100,000 people ≤ 60 s, the XLSX ≤ 15 s under 200 MB.

    DATABASE_URL=postgres://… REDIS_URL=redis://…/4 python benchmarks/screening_bench.py
    BENCH_SIZE=ci …                     # 1,000 and 10,000 people: a few minutes at most

The last line of output is one JSON object of figures.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CI = os.environ.get("BENCH_SIZE", "").lower() == "ci"
SMALL, LARGE = (1_000, 10_000) if CI else (10_000, 100_000)
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
_base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
_parts = urlsplit(_base)
PG_ADMIN_URL = urlunsplit((_parts.scheme, _parts.netloc, "/postgres", "", ""))
BENCH_DB = os.environ.get("BENCH_DB", f"screening_bench_{os.getpid()}")
KEEP_DB = os.environ.get("BENCH_KEEP_DB") == "1"  # leave the county for profiling
DB_URL = urlunsplit((_parts.scheme, _parts.netloc, f"/{BENCH_DB}", "", ""))
QUARTER = "2026Q3"


def env() -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    values.update(
        DJANGO_SETTINGS_MODULE="backend.config.settings",
        DATABASE_URL=DB_URL,
        REDIS_URL=REDIS_URL,
        CELERY_TASK_ALWAYS_EAGER="0",
        CHANNEL_PREFIX=f"screenbench{os.getpid()}",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    return values


# ---------------------------------------------------------------------------------------------
# The county, in SQL (set-based: a 100,000-person quarter in seconds)
# ---------------------------------------------------------------------------------------------

SEED_OFFICES = """
INSERT INTO accounts_office (code, name, kind, parent_id, address, phone, is_active, created_at)
SELECT 'bench-bureau', '基准司法局', 'bureau', NULL, '', '', true, now();
INSERT INTO accounts_office (code, name, kind, parent_id, address, phone, is_active, created_at)
SELECT 'bench-' || g, '基准第' || g || '司法所', 'office',
       (SELECT id FROM accounts_office WHERE code = 'bench-bureau'), '', '', true, now()
FROM generate_series(1, 12) AS g;
"""

# People numbered from %(first)s to %(last)s; every tenth is a released person.
SEED_PEOPLE = """
WITH offices AS (SELECT array_agg(id ORDER BY id) AS ids FROM accounts_office WHERE kind = 'office')
INSERT INTO supervision_subject (office_id, name, gender, id_number, phone, home_address, notes,
    created_at, updated_at, case_number, sentence_type, crime, supervision_start, supervision_end,
    supervision_level, status)
SELECT ids[1 + g %% 12], '对象' || g, 'male', '37108219850312' || lpad((g %% 10000)::text, 4, '0'), '',
       '村', '', '2026-01-01', now(), '(2026)基' || g || '号', 'probation', '', '2026-01-01',
       '2028-12-31', (ARRAY['strict','normal','lenient'])[1 + g %% 3], 'active'
FROM offices, generate_series(%(first)s::int, %(last)s::int) AS g WHERE g %% 10 <> 0;

WITH offices AS (SELECT array_agg(id ORDER BY id) AS ids FROM accounts_office WHERE kind = 'office')
INSERT INTO supervision_releasedperson (office_id, name, gender, id_number, phone, home_address, notes,
    created_at, updated_at, source, crime, prison, release_date, is_key_person, status,
    handover_deadline)
SELECT ids[1 + g %% 12], '释放' || g, 'male', '37108219790101' || lpad((g %% 10000)::text, 4, '0'), '',
       '路', '', '2026-01-01', now(), 'prison', '', '', '2026-05-01', g %% 7 = 0, 'resettling',
       CASE WHEN g %% 11 = 0 THEN timestamptz '2026-08-01' END
FROM offices, generate_series(%(first)s::int, %(last)s::int) AS g WHERE g %% 10 = 0;

INSERT INTO supervision_device (subject_id, token_hash, token_prefix, platform, model, os_version,
    app_version, push_token, enrolled_at, revoked_reason, public_key)
SELECT id, md5('bench' || id), 'bench', 'android', '', '', '', '', '2026-01-02', '', ''
FROM supervision_subject WHERE id > (SELECT coalesce(max(subject_id), 0) FROM supervision_device);
"""

# A quarter of alerts for the new subjects: kinds in realistic proportions, times spread over it.
SEED_RECORDS = """
WITH new AS (SELECT id, office_id FROM supervision_subject WHERE id > %(after)s::bigint),
kinds(kind, per_person, category, severity) AS (VALUES
    ('offline', 3, 'risk', 'warning'), ('lost_contact', 1, 'risk', 'critical'),
    ('left_zone', 1, 'position', 'warning'), ('entered_zone', 1, 'position', 'critical'),
    ('curfew', 1, 'position', 'warning'), ('curfew_no_answer', 1, 'risk', 'warning'),
    ('low_battery', 2, 'risk', 'info'), ('permission_off', 1, 'risk', 'warning'),
    ('leave_overdue', 1, 'risk', 'critical'), ('unreachable', 1, 'risk', 'warning'))
INSERT INTO monitoring_alert (seq, dedupe_key, category, kind, severity, subject_id, office_id,
    occurred_at, raised_at, late, evidence, status, resolution, resolution_note, escalation_level,
    escalations)
SELECT nextval('bench_seq'), 'bench:' || currval('bench_seq'), k.category, k.kind, k.severity, new.id,
       new.office_id, timestamptz '2026-07-01 00:00+08' + (random() * interval '91 days'),
       now(), false, '{}', 'resolved', '', '', 0, '[]'
FROM new CROSS JOIN kinds k CROSS JOIN generate_series(1, k.per_person) AS n
WHERE random() < CASE k.kind WHEN 'offline' THEN 0.8 WHEN 'low_battery' THEN 0.5 ELSE 0.25 END;

WITH new AS (SELECT id FROM supervision_subject WHERE id > %(after)s::bigint),
kinds(kind, per_person) AS (VALUES ('monthly_report', 3), ('education', 6), ('leave_return', 1),
    ('checkin', 10))
INSERT INTO reminders_reminder (subject_id, kind, dedupe_key, title, body, data, urgent, due_at,
    send_at, created_at, acknowledged_at, push_status, push_attempts)
SELECT new.id, k.kind, 'bench:' || k.kind || ':' || n, '提醒', '提醒', '{}', false, t, t, t,
       CASE WHEN random() < 0.85 THEN t + interval '2 hours' END, 'sent', 1
FROM new CROSS JOIN kinds k CROSS JOIN generate_series(1, k.per_person) AS n
CROSS JOIN LATERAL (SELECT timestamptz '2026-07-01 00:00+08' + (random() * interval '91 days') AS t) AS at;
"""


def sql(statements: str, params: dict[str, Any] | None = None) -> None:
    import psycopg

    with psycopg.connect(DB_URL, autocommit=True) as conn:
        for statement in statements.split(";\n"):
            if statement.strip():
                conn.execute(statement, params or {})  # type: ignore[arg-type]


def grow_county(first: int, last: int) -> float:
    """People ``first``..``last`` with their quarter of records; seconds taken."""
    import psycopg

    began = time.perf_counter()
    with psycopg.connect(DB_URL, autocommit=True) as conn:
        after = conn.execute("SELECT coalesce(max(id), 0) FROM supervision_subject").fetchone()[0]  # type: ignore[index]
    sql(SEED_PEOPLE, {"first": first, "last": last})
    sql(SEED_RECORDS, {"after": after})
    sql("VACUUM ANALYZE")
    return time.perf_counter() - began


# ---------------------------------------------------------------------------------------------
# Workers and runs
# ---------------------------------------------------------------------------------------------


def start_worker() -> subprocess.Popen[bytes]:
    worker = subprocess.Popen(
        [str(Path(PY).parent / "celery"), "-A", "backend.config.celery_app", "worker", "--pool", "prefork",
         "--concurrency", "2", "--without-gossip", "--without-mingle", "-l", "warning"],
        cwd=ROOT, env=env(), start_new_session=True,
    )  # fmt: skip
    from backend.config.celery_app import app

    deadline = time.monotonic() + 60
    while not app.control.ping(timeout=0.5):
        if worker.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the Celery worker did not start")
    return worker


def worker_cpu(worker: subprocess.Popen[bytes]) -> float:
    """CPU seconds the worker and its pool processes have used so far (not PostgreSQL's)."""
    import psutil

    main = psutil.Process(worker.pid)
    total = 0.0
    for process in [main, *main.children(recursive=True)]:
        times = process.cpu_times()
        total += times.user + times.system
    return total


def screen(expected: int) -> tuple[float, int]:
    """Start a county-wide screening of ``QUARTER`` and wait for it; (seconds, people)."""
    from django.db import transaction

    from backend.screening.models import Screening
    from backend.screening.services import start_screening

    began = time.perf_counter()
    with transaction.atomic():
        screening = start_screening(quarter=QUARTER)
    while True:
        time.sleep(0.05)
        screening.refresh_from_db()
        if screening.status == Screening.Status.FINISHED:
            elapsed = time.perf_counter() - began
            break
        if time.perf_counter() - began > 900:
            raise SystemExit(f"screening not finished after 900 s: {screening.done}/{screening.total}")
    if screening.done != expected:
        raise SystemExit(f"screened {screening.done} people, expected {expected}")
    return elapsed, screening.pk


EXPORT = """
import json, os, resource, time, django
django.setup()
from rest_framework.test import APIClient
from backend.accounts.models import User
user, _ = User.objects.get_or_create(username="bench_bureau", defaults={"role": "bureau_staff"})
client = APIClient()
client.force_authenticate(user)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
began, cpu = time.perf_counter(), time.process_time()
answer = client.get("/api/v1/screenings/%d/export.xlsx", HTTP_HOST="localhost")
size = sum(len(part) for part in answer.streaming_content)
elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
assert answer.status_code == 200, answer.status_code
print(json.dumps({"s": elapsed, "cpu_s": cpu, "bytes": size, "rss_before_mb": before,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def export(screening_id: int) -> dict[str, float]:
    out = subprocess.run(
        [PY, "-c", EXPORT % screening_id], cwd=ROOT, env=env(), check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    os.environ.update(env())
    worker = None
    try:
        subprocess.run(
            [PY, "backend/manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env(), check=True
        )
        sql(SEED_OFFICES + "CREATE SEQUENCE bench_seq;")
        seeded = grow_county(1, SMALL)
        print(f"county of {SMALL:,} people with a quarter of records: {seeded:.1f} s to generate", flush=True)
        import django

        django.setup()
        worker = start_worker()
        small_s, _small_id = screen(SMALL)
        print(f"screening {SMALL:,} people: {small_s:.2f} s, {SMALL / small_s:,.0f} people/s", flush=True)
        seeded = grow_county(SMALL + 1, LARGE)
        print(f"county grown to {LARGE:,} people: {seeded:.1f} s to generate", flush=True)
        cpu_before = worker_cpu(worker)
        large_s, large_id = screen(LARGE)
        large_cpu = worker_cpu(worker) - cpu_before
        ratio = (large_s / LARGE) / (small_s / SMALL)
        print(
            f"screening {LARGE:,} people: {large_s:.2f} s, {LARGE / large_s:,.0f} people/s "
            f"(target ≤ 60 s at 100,000); time per person {ratio:.2f}× that at {SMALL:,} (target ≤ 1.5×); "
            f"the Celery processes used {large_cpu:.1f} CPU s, PostgreSQL's not counted "
            f"(load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)",
            flush=True,
        )
        ledger = export(large_id)
        print(
            f"ledger of {LARGE:,} rows: {ledger['s']:.2f} s ({ledger['cpu_s']:.2f} CPU s), "
            f"{ledger['bytes'] / 1e6:.1f} MB of XLSX, peak "
            f"RSS {ledger['peak_mb']:.0f} MB (Django loaded: {ledger['rss_before_mb']:.0f} MB) "
            f"(targets ≤ 15 s, < 200 MB)",
            flush=True,
        )
        print(
            json.dumps(
                {
                    "size": "ci" if CI else "full",
                    "people_small": SMALL,
                    "people_large": LARGE,
                    "screened_per_s_10k": round(SMALL / small_s, 1),
                    "screened_per_s_100k": round(LARGE / large_s, 1),
                    "screening_100k_s": round(large_s, 2),
                    "per_person_ratio_100k_to_10k": round(ratio, 3),
                    "xlsx_100k_s": round(ledger["s"], 2),
                    "xlsx_100k_cpu_s": round(ledger["cpu_s"], 2),
                    "screening_100k_worker_cpu_s": round(large_cpu, 2),
                    "load_average": round(os.getloadavg()[0], 1),
                    "xlsx_peak_mb": round(ledger["peak_mb"], 1),
                    "bench_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                }
            )
        )
    finally:
        if worker is not None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=60)
        from django.db import connections

        connections.close_all()
        if KEEP_DB:
            print(f"kept database {BENCH_DB}", file=sys.stderr)
        else:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


if __name__ == "__main__":
    main()
