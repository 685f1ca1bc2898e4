"""Risk screening's domain actions: start and run screenings, review results, write the ledger."""

from backend.screening.services.ledger import write_screening_ledger
from backend.screening.services.quarters import parse_quarter, previous_quarter, quarter_of, quarter_window
from backend.screening.services.review import review_result
from backend.screening.services.runs import (
    ScreeningError,
    active_rule_table,
    finish_if_done,
    plan_screening,
    score_next_chunk,
    start_scheduled_screening,
    start_screening,
    unfinished,
    work_on,
)

__all__ = [
    "ScreeningError",
    "active_rule_table",
    "finish_if_done",
    "parse_quarter",
    "plan_screening",
    "previous_quarter",
    "quarter_of",
    "quarter_window",
    "review_result",
    "score_next_chunk",
    "start_scheduled_screening",
    "start_screening",
    "unfinished",
    "work_on",
    "write_screening_ledger",
]
