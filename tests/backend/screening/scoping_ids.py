"""A screening of office B only, for the walk of every staff endpoint with another office's ids."""

from __future__ import annotations

from typing import Any


def screening_ids(office_b: Any) -> dict[str, int]:
    from django.utils import timezone

    from backend.screening.services import quarter_of, start_screening

    return {"screenings": start_screening(quarter=quarter_of(timezone.now()), office=office_b).pk}
