"""Quarters (季度) in the county's time zone: their names (``2026Q4``) and windows."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from django.conf import settings

QUARTER_PATTERN = re.compile(r"^(\d{4})Q([1-4])$")
FIRST_YEAR = 2000


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def quarter_of(moment: dt.datetime) -> str:
    local = moment.astimezone(_zone())
    return f"{local.year}Q{(local.month - 1) // 3 + 1}"


def parse_quarter(text: str) -> tuple[int, int]:
    """``(year, quarter)`` of ``2026Q4``; ``ValueError`` for anything else."""
    match = QUARTER_PATTERN.match(text) if isinstance(text, str) else None
    if match is None or int(match.group(1)) < FIRST_YEAR:
        raise ValueError(text)
    return int(match.group(1)), int(match.group(2))


def quarter_window(quarter: str) -> tuple[dt.datetime, dt.datetime]:
    """The quarter's first moment and the next quarter's first moment (aware, local midnight)."""
    year, number = parse_quarter(quarter)
    start = dt.datetime(year, 3 * number - 2, 1, tzinfo=_zone())
    end = dt.datetime(year + (number == 4), 1 if number == 4 else 3 * number + 1, 1, tzinfo=_zone())
    return start, end


def previous_quarter(quarter: str) -> str:
    year, number = parse_quarter(quarter)
    return f"{year - 1}Q4" if number == 1 else f"{year}Q{number - 1}"
