"""One record of each collection of the bureau's modules, for the tests that walk every path of the
published contract (``test_hostile_request_bodies``): ``{collection: id}``."""

from __future__ import annotations

import datetime as dt


def bureau_record_ids() -> dict[str, int]:
    from backend.bureau.models import Unit
    from backend.bureau.services import open_rectification

    unit = Unit.objects.create(code="dept-records", name="记录部门", kind=Unit.Kind.DEPARTMENT)
    item = open_rectification(unit=unit, finding="台账不全", deadline=dt.date(2027, 1, 31))
    return {"units": unit.pk, "rectification-items": item.pk}
