"""The demo county's archives are filed with realistic gaps, once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from backend.archives.demo import load_demo_archives
from backend.archives.models import Document
from backend.archives.services import subject_completeness
from backend.core.demo import demo_steps
from tests.conftest import make_subject

pytestmark = pytest.mark.django_db


def test_demo_archives_have_gaps_and_load_once(office_a: Any, officer_a: Any) -> None:
    people = [make_subject(office_a, officer_a, supervision_start=dt.date(2026, 6, 1)) for _ in range(6)]
    assert "archives" in [step.name for step in demo_steps()]
    line = load_demo_archives()
    assert "6 people" in line
    filed = Document.objects.count()
    assert filed > 6 * 7
    answers = [subject_completeness(person) for person in people]
    assert all(a["present"] > 0 for a in answers)
    assert any(a["overdue"] > 0 for a in answers)  # the gaps
    missing = {m["item"] for a in answers for m in a["missing"]}
    assert {"correction_team", "visit_record"} <= missing
    assert load_demo_archives() == "already loaded"
    assert Document.objects.count() == filed
