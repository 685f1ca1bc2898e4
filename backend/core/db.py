"""Database plumbing shared by the hot paths (check-in upload, device auth, evaluator rounds).

Django's psycopg backend binds parameters on the client: every statement is sent as text and
PostgreSQL parses and plans it again each time. The few statements that run on every phone
request or every evaluator round are the same text each time, so they run on a cursor that binds
on the server, which psycopg prepares once per connection from the second execution on
(``prepare_threshold``, set in the settings; Django leaves it off). Measured on the
one-statement upload of one fix: PostgreSQL CPU went from ~920 to ~400 µs a statement and the
API's own CPU from ~310 to ~190 µs.

psycopg also parses each statement's text for its placeholders on every execution, and keeps
the result only for statements up to 4 kB (ORMs write endless variants of longer ones). The hot
statements are a few fixed texts, the upload's past that size (4.6 kB), whose parsing again cost
75 µs of every upload: ``hot_cursor`` raises the limit to ``HOT_STATEMENT_MAX_BYTES``. The cache
stays bounded (psycopg's LRU of 128 statements).

Behind a pooler in transaction mode (PgBouncer before 1.21) prepared statements break: set
``DB_PREPARED_STATEMENTS=0`` there and these statements bind on the client like all the others.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection

# The longest statement whose placeholders psycopg parses once (see the module text).
HOT_STATEMENT_MAX_BYTES = 16 * 1024


def hot_cursor() -> Any:
    """A cursor for a hot statement written out in SQL: server-side binding on PostgreSQL.

    It is Django's own cursor wrapper around it, so database errors are Django's, and the
    statement is counted like any other (``assertNumQueries``; the debug log shows a prepared
    run's text as ``None``: psycopg keeps none). Write the statement so every parameter has a
    type PostgreSQL can tell (cast where it cannot).
    """
    if connection.vendor != "postgresql" or not settings.DB_PREPARED_STATEMENTS:
        return connection.cursor()
    import psycopg
    from psycopg import _queries

    # The parsing cache's limit (private; tests/backend/test_hot_statements.py checks the cache is hit).
    if _queries.MAX_CACHED_STATEMENT_LENGTH < HOT_STATEMENT_MAX_BYTES:
        _queries.MAX_CACHED_STATEMENT_LENGTH = HOT_STATEMENT_MAX_BYTES
    connection.ensure_connection()
    # The same session and transaction as the ORM's: only the binding differs.
    # A private method of the PostgreSQL backend's DatabaseWrapper, which the stubs leave out.
    return connection._prepare_cursor(psycopg.Cursor(connection.connection))  # type: ignore[attr-defined]
