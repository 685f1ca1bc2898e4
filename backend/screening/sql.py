"""Screening's PostgreSQL statement, written out where measured (STYLE.md, practice 14).

Storing a chunk's results: ``COPY … FROM STDIN`` on PostgreSQL (2,000 rows with their factors in
a few milliseconds; the ORM's ``bulk_create`` took over a second for the same rows, most of it
building model instances). The generic twin is ``bulk_create``;
``tests/backend/screening/test_sql_twins.py`` holds both to the same stored rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection

from backend.screening.models import ScreeningResult

# The columns of a result as ``score_people`` makes it (the rest keep their defaults).
RESULT_COLUMNS = (
    "screening_id",
    "person_kind",
    "person_id",
    "office_id",
    "name",
    "rule_version",
    "score",
    "band",
    "missing",
    "factors",
    "factor_summary",
    "previous_score",
    "previous_band",
    "needs_review",
    "review_reasons",
    "conclusion",
    "override_band",
    "override_reason",
)
_JSON = {"factors", "review_reasons"}
_DEFAULTS = {"conclusion": "", "override_band": "", "override_reason": ""}

COPY_RESULTS = f"COPY {ScreeningResult._meta.db_table} ({', '.join(RESULT_COLUMNS)}) FROM STDIN"


def insert_results(rows: Sequence[dict[str, Any]]) -> None:
    """Store result rows (dicts of ``RESULT_COLUMNS`` but the defaulted text fields)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        insert_results_generic(rows)
        return
    with connection.cursor() as cursor, cursor.copy(COPY_RESULTS) as copy:
        for row in rows:
            copy.write_row(
                [
                    json.dumps(row[column], ensure_ascii=False)
                    if column in _JSON
                    else row.get(column, _DEFAULTS.get(column))
                    for column in RESULT_COLUMNS
                ]
            )


def insert_results_generic(rows: Sequence[dict[str, Any]]) -> None:
    ScreeningResult.objects.bulk_create([ScreeningResult(**row) for row in rows], batch_size=1000)
