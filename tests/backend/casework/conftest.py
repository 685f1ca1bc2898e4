"""Casework tests: the cast of the root conftest, plus a county boundary and an enrolled phone."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import device_client, enroll_phone

COUNTY = {
    "type": "Polygon",
    "coordinates": [[[122.30, 37.10], [122.50, 37.10], [122.50, 37.20], [122.30, 37.20], [122.30, 37.10]]],
}


@pytest.fixture
def county_zone(bureau: Any) -> Any:
    from backend.monitoring.models import Zone

    return Zone.objects.create(
        office=bureau,
        name="县界",
        kind="inclusion",
        purpose="county",
        geometry=COUNTY,
        confirm_fixes=2,
        confirm_seconds=60,
        clear_fixes=2,
    )


@pytest.fixture
def phone_a(subject_a: Any, officer_a: Any) -> Any:
    """``(device, client)`` of subject_a's enrolled phone."""
    device, token = enroll_phone(subject_a, officer_a)
    return device, device_client(token)


@pytest.fixture
def office_head_b(office_b: Any) -> Any:
    from tests.conftest import make_staff

    return make_staff("head_b", "office_head", office_b)
