"""The COPY that stores a chunk's results stores what its twin, bulk_create, stores (PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from tests.backend.screening.helpers import add_alerts, add_phone, backdate, run_screening
from tests.conftest import make_released_person, make_subject

pytestmark = pytest.mark.django_db


def test_copy_and_bulk_create_store_the_same_rows(office_a: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's")
    from backend.screening.models import ScreeningResult
    from backend.screening.services.runs import score_people
    from backend.screening.sql import RESULT_COLUMNS, insert_results, insert_results_generic

    for n in range(4):
        subject = make_subject(office_a, name=f"张'\"\\\t{n}")
        backdate(subject)
        add_phone(subject)
        add_alerts(subject, "lost_contact", n)
    backdate(make_released_person(office_a, is_key_person=True))
    first, second = run_screening(), run_screening()
    ScreeningResult.objects.filter(screening__in=[first, second]).delete()
    for screening, store in ((first, insert_results), (second, insert_results_generic)):
        for kind in ("subject", "released"):
            store(score_people(screening, kind, 0, 2**62))

    def stored(screening: Any) -> list[tuple[Any, ...]]:
        columns = [c for c in RESULT_COLUMNS if c != "screening_id"]
        return list(
            ScreeningResult.objects.filter(screening=screening)
            .order_by("person_kind", "person_id")
            .values_list(*columns)
        )

    assert stored(first) == stored(second)
    assert len(stored(first)) == 5
