from __future__ import annotations

from typing import Any

import pytest

from tests.backend.bureau.conftest import (  # noqa: F401 - the bureau's unit fixtures
    department,
    make_reporter,
    other_department,
    reporter_a,
    reporter_dept,
    town_a,
    village_a,
)


def make_firm(code: str, name: str) -> Any:
    from backend.bureau.models import Unit
    from backend.business.models import LawFirm

    unit = Unit.objects.create(code=code, name=name, kind=Unit.Kind.LAW_FIRM)
    return LawFirm.objects.create(unit=unit, license_no=f"L-{code}", director="主任", rating="A")


@pytest.fixture
def firm(db: Any) -> Any:
    return make_firm("firm-a", "甲律师事务所")


@pytest.fixture
def other_firm(db: Any) -> Any:
    return make_firm("firm-b", "乙律师事务所")


@pytest.fixture
def lawyer(firm: Any) -> Any:
    from backend.business.models import Lawyer

    return Lawyer.objects.create(firm=firm, name="李律师", license_no="13710820001", phone="13900000000")


@pytest.fixture
def firm_reporter(firm: Any) -> Any:
    return make_reporter("firm_reporter", firm.unit)
