"""The hot statements (phone uploads, device auth, evaluator rounds) are prepared on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from backend.config.db import hot_cursor

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
