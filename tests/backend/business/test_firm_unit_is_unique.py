"""A firm's record names its unit once (found by the fuzz run, tests/fuzz): naming the unit of another
firm, by PUT, PATCH or POST, is a 400 on ``unit``, never a database error."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("method", ["put", "patch", "post"])
def test_another_firms_unit_is_refused(
    api: Any, bureau_staff: Any, firm: Any, other_firm: Any, method: str
) -> None:
    body = {"unit": other_firm.unit_id, "license_no": "L-x", "director": "主任", "rating": "A"}
    url = "/api/v1/law-firms" if method == "post" else f"/api/v1/law-firms/{firm.pk}"
    answer = getattr(api(bureau_staff), method)(url, body, format="json")
    assert answer.status_code == 400, answer.content
    assert "unit" in answer.json()["errors"]
    firm.refresh_from_db()
    assert firm.unit_id != other_firm.unit_id
