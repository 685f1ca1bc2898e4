"""Units for the bureau's modules: a town per office of the small cast, a village, a department,
and a reporter for the town of office A and one for the department."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import make_staff


@pytest.fixture
def town_a(office_a: Any) -> Any:
    from backend.bureau.models import Unit

    return Unit.objects.create(code="town-a", name="甲镇", kind=Unit.Kind.TOWN, office=office_a)


@pytest.fixture
def village_a(town_a: Any) -> Any:
    from backend.bureau.models import Unit

    return Unit.objects.create(code="village-a", name="甲镇东村", kind=Unit.Kind.VILLAGE, parent=town_a)


@pytest.fixture
def town_b(office_b: Any) -> Any:
    from backend.bureau.models import Unit

    return Unit.objects.create(code="town-b", name="乙镇", kind=Unit.Kind.TOWN, office=office_b)


@pytest.fixture
def department(db: Any) -> Any:
    from backend.bureau.models import Unit

    return Unit.objects.create(code="dept-market", name="市场监督管理局", kind=Unit.Kind.DEPARTMENT)


@pytest.fixture
def other_department(db: Any) -> Any:
    from backend.bureau.models import Unit

    return Unit.objects.create(code="dept-safety", name="应急管理局", kind=Unit.Kind.DEPARTMENT)


def make_reporter(username: str, unit: Any) -> Any:
    from backend.bureau.services import link_reporter

    user = make_staff(username, "reporter")
    if unit is not None:
        link_reporter(user, unit)
    return user


@pytest.fixture
def reporter_a(town_a: Any) -> Any:
    return make_reporter("reporter_a", town_a)


@pytest.fixture
def reporter_dept(department: Any) -> Any:
    return make_reporter("reporter_dept", department)
