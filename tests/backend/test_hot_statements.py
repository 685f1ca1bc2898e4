"""The hot statements (phone uploads, device auth, evaluator rounds) are prepared on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from backend.core.db import hot_cursor

pytestmark = pytest.mark.django_db

STATEMENT = "SELECT count(*) FROM supervision_subject WHERE id > %s"


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def run(times: int = 2) -> list[tuple[int]]:
    rows = []
    for _ in range(times):
        with hot_cursor() as cursor:
            cursor.execute(STATEMENT, [0])
            rows.append(cursor.fetchone())
    return rows


def test_a_hot_statement_answers_and_is_logged_like_any_other() -> None:
    with CaptureQueriesContext(connection) as queries:
        assert run() == [(0,), (0,)]
    # Counted like any other statement (psycopg keeps no text of a prepared run to log).
    assert len(queries.captured_queries) == 2
    assert "FROM supervision_subject WHERE id >" in queries.captured_queries[0]["sql"]


def test_a_failing_hot_statement_raises_djangos_error() -> None:
    with pytest.raises(DatabaseError), hot_cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table WHERE id = %s", [1])


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="prepared statements are PostgreSQL's")
def test_on_postgresql_it_is_prepared_from_its_second_run() -> None:
    run(1)
    assert not any("supervision_subject WHERE id > $1" in text for text in prepared_statements())
    run(1)
    assert any("supervision_subject WHERE id > $1" in text for text in prepared_statements())


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="prepared statements are PostgreSQL's")
def test_behind_a_transaction_pooler_it_can_be_turned_off() -> None:
    with override_settings(DB_PREPARED_STATEMENTS=False):
        run(3)
    assert not any("supervision_subject WHERE id > " in text for text in prepared_statements())


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="prepared statements are PostgreSQL's")
def test_the_evaluators_read_of_new_fixes_stays_an_index_scan_in_a_generic_plan(
    subject_a: object, officer_a: object
) -> None:
    """PostgreSQL plans a prepared statement once for any parameters after a few runs; the read
    of each person's fixes past their cursor must then still use the (subject, id) index, not
    scan every check-in ever stored (it did, 42 ms a round at 290,000 rows)."""
    import re

    from backend.monitoring.sql import lock_and_read_sql
    from tests.conftest import enroll_phone, make_subject

    # A county's worth of history: 40 people, 1,250 fixes each, with the statistics autovacuum keeps.
    people = [subject_a, *(make_subject(subject_a.office, officer_a) for _ in range(39))]  # type: ignore[attr-defined]
    device, _token = enroll_phone(subject_a, officer_a)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO monitoring_checkin (subject_id, device_id, client_id, body_hash, recorded_at, received_at, "
            "clock_skew_s, lat, lon, raw_lat, raw_lon, crs, accuracy_m, mock_location, provider, quality) "
            "SELECT person, %s, gen_random_uuid(), md5(n::text), now() - n * interval '1 second', now(), 0, 37.1, "
            "122.4, 37.1, 122.4, 'wgs84', 10, false, '', 'ok' "
            "FROM generate_series(1, 1250) AS n, unnest(%s::bigint[]) AS person",
            [device.pk, [p.pk for p in people]],
        )
        cursor.execute("ANALYZE monitoring_checkin")
        numbered = {"subject_ids": "$1", "limit": "$2"}
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        cursor.execute(
            "PREPARE fixes_plan(bigint[], integer) AS "
            + re.sub(r"%\((\w+)\)s", lambda m: numbered[m.group(1)], lock_and_read_sql(True, False))
        )
        cursor.execute("EXPLAIN EXECUTE fixes_plan(%s, %s)", [[subject_a.pk], 500])  # type: ignore[attr-defined]
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("DEALLOCATE fixes_plan")
        cursor.execute("RESET plan_cache_mode")
    assert "checkin_subject_id" in plan and "Seq Scan on monitoring_checkin" not in plan, plan


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="JIT is PostgreSQL's")
def test_sessions_run_without_jit() -> None:
    """A statement estimated past jit_above_cost (no statistics yet) would be compiled at every run."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="autovacuum is PostgreSQL's")
def test_the_monitoring_state_is_vacuumed_by_its_own_threshold() -> None:
    """One row per person rewritten by every upload: vacuumed every few thousand dead rows, not at 20 %."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'monitoring_monitorstate'")
        options = set(cursor.fetchone()[0] or [])
    assert {"autovacuum_vacuum_scale_factor=0", "autovacuum_vacuum_threshold=5000"} <= options


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="prepared statements are PostgreSQL's")
def test_a_phone_upload_is_one_prepared_statement(
    subject_a: object, officer_a: object, settings: object
) -> None:
    """The check-in fast path's upload (named parameters, pieces from supervision and reminders)
    is one round trip, prepared on the server from its second run."""
    from psycopg import _queries

    from backend.monitoring.services import record_checkins_with_token
    from tests.backend.monitoring.helpers import fix
    from tests.conftest import enroll_phone

    settings.CHECKIN_EVALUATION = "queue"  # type: ignore[attr-defined]
    _device, token = enroll_phone(subject_a, officer_a)
    record_checkins_with_token(token, [fix()])
    parsed = _queries._query2pg.cache_info()
    with CaptureQueriesContext(connection) as queries:
        outcome = record_checkins_with_token(token, [fix(), fix()])
    assert outcome is not None and outcome.accepted == 2
    assert len(queries.captured_queries) == 1
    assert any("WITH found AS" in text and "$1" in text for text in prepared_statements())
    # Its text (longer than psycopg's own limit) was parsed for placeholders once, not again.
    assert _queries._query2pg.cache_info().hits == parsed.hits + 1
