"""A run is split into chunks; a chunk whose scoring fails leaves nothing behind and is scored
later, and every person of the run is scored exactly once however the work is shared."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from tests.backend.screening.helpers import QUARTER, add_phone, backdate
from tests.conftest import make_released_person, make_subject

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(office_a: Any, office_b: Any) -> list[Any]:
    made = []
    for index in range(23):
        subject = make_subject(office_a if index % 2 else office_b)
        backdate(subject)
        add_phone(subject)
        made.append(subject)
    for _ in range(4):
        released = make_released_person(office_a)
        backdate(released)
        made.append(released)
    return made


def _start(office: Any = None) -> Any:
    from backend.screening.services import start_screening

    with transaction.atomic():
        return start_screening(quarter=QUARTER, office=office, now=timezone.now())


@override_settings(SCREENING_CHUNK_SIZE=5)
def test_a_failed_chunk_is_rolled_back_and_scored_once_later(people: list[Any]) -> None:
    from backend.screening import factors
    from backend.screening.models import Screening, ScreeningChunk, ScreeningResult
    from backend.screening.services import plan_screening, score_next_chunk, work_on

    screening = _start()
    assert plan_screening(screening.pk) == 5 + 1  # 23 subjects in fives, 4 released persons
    assert plan_screening(screening.pk) == 6  # planning again changes nothing
    assert ScreeningChunk.objects.filter(screening=screening).count() == 6

    real = factors._factors["lost_contact_episodes"]

    def dies(chunk: Any) -> Any:
        raise RuntimeError("worker lost")

    factors._factors["lost_contact_episodes"] = factors.Factor(**{**real.__dict__, "compute": dies})
    with pytest.raises(RuntimeError):
        score_next_chunk(screening.pk)
    assert ScreeningResult.objects.filter(screening=screening).count() == 0
    assert ScreeningChunk.objects.filter(screening=screening, done_at__isnull=True).count() == 6

    factors._factors["lost_contact_episodes"] = real
    assert score_next_chunk(screening.pk) == 5
    assert work_on(screening.pk) == 22
    assert work_on(screening.pk) == 0  # a second worker finds nothing left
    screening.refresh_from_db()
    assert screening.status == Screening.Status.FINISHED
    assert screening.done == screening.total == 27 and screening.chunks_done == 6
    keys = list(ScreeningResult.objects.filter(screening=screening).values_list("person_kind", "person_id"))
    assert len(keys) == len(set(keys)) == 27


def test_an_office_run_screens_that_office_only(people: list[Any], office_a: Any) -> None:
    from backend.screening.models import ScreeningResult
    from backend.screening.services import plan_screening, work_on

    screening = _start(office_a)
    plan_screening(screening.pk)
    work_on(screening.pk)
    offices = set(ScreeningResult.objects.filter(screening=screening).values_list("office_id", flat=True))
    assert offices == {office_a.pk}
    assert ScreeningResult.objects.filter(screening=screening).count() == 11 + 4


def test_people_who_came_after_the_quarter_or_left_before_it_are_not_screened(office_a: Any) -> None:
    import datetime as dt

    from backend.screening.models import ScreeningResult
    from backend.screening.services import plan_screening, work_on
    from tests.backend.screening.helpers import BEFORE_QUARTER

    make_subject(office_a)  # created now, after 2026Q3
    gone = make_subject(office_a, status="ended", ended_at=BEFORE_QUARTER + dt.timedelta(days=1))
    backdate(gone)
    stayed = make_subject(office_a)
    backdate(stayed)
    screening = _start()
    plan_screening(screening.pk)
    work_on(screening.pk)
    assert list(ScreeningResult.objects.filter(screening=screening).values_list("person_id", flat=True)) == [
        stayed.pk
    ]


def test_an_empty_county_finishes_at_once(db: Any) -> None:
    from backend.screening.models import Screening
    from backend.screening.services import plan_screening

    screening = _start()
    assert plan_screening(screening.pk) == 0
    screening.refresh_from_db()
    assert screening.status == Screening.Status.FINISHED and screening.total == 0


def test_the_schedule_screens_the_quarter_that_ended_once(db: Any) -> None:
    import datetime as dt

    from backend.screening.models import Screening
    from backend.screening.services import start_scheduled_screening
    from tests.backend.screening.helpers import SHANGHAI

    new_year = dt.datetime(2027, 1, 1, 1, 30, tzinfo=SHANGHAI)
    with transaction.atomic():
        first = start_scheduled_screening(now=new_year)
        again = start_scheduled_screening(now=new_year)
    assert first is not None and again is None
    assert first.quarter == "2026Q4" and first.trigger == Screening.Trigger.SCHEDULE
    assert first.window_end == dt.datetime(2027, 1, 1, tzinfo=SHANGHAI)


def test_a_quarter_to_come_is_refused(db: Any) -> None:
    from backend.screening.services import ScreeningError, start_screening

    with pytest.raises(ScreeningError) as refused:
        start_screening(quarter="2999Q1")
    assert refused.value.field == "quarter"
